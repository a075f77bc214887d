/*
 * Copyright 2026 The FusionInfer Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  AcceleratorUsage,
  UsageSample,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Knex } from 'knex';

const USAGE = 'fusioninfer_usage';
const ACCELERATORS = 'fusioninfer_usage_accelerators';
const NOTICES = 'fusioninfer_budget_notices';
const HOUR_MS = 3_600_000;

/** A service as usage rows name it. */
export interface UsageKey {
  cluster: string;
  namespace: string;
  name: string;
}

/** Who a sample is attributed to (as the service was when sampled). */
export interface UsageAttribution {
  entityRef: string;
  team?: string;
  project?: string;
}

/** The usage of one service summed over a window, with its attribution as last recorded. */
export interface ServiceUsage extends UsageKey, UsageAttribution {
  usage: UsageSample;
}

/** `cluster/namespace/name`. */
export const usageKeyOf = (k: UsageKey) =>
  `${k.cluster}/${k.namespace}/${k.name}`;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * Showback's usage in the plugin's database: one row per service and hour (`fusioninfer_usage`: seconds sampled,
 * token and request increases, attribution) and one per service, hour and accelerator type
 * (`fusioninfer_usage_accelerators`: unit-seconds, idle and unmeasured), each sample added to its hour's rows; the
 * budget notifications sent (`fusioninfer_budget_notices`). Windows are summed in SQL, so a month of a few hundred
 * services reads a few hundred rows.
 */
export class UsageStore {
  static async create(
    knex: Knex,
    options: { skipMigrations?: boolean } = {},
  ): Promise<UsageStore> {
    if (!options.skipMigrations)
      await knex.migrate.latest({
        directory: resolvePackagePath(
          '@fusioninfer/plugin-fusioninfer-backend',
          'migrations',
        ),
        tableName: 'fusioninfer_knex_migrations',
      });
    return new UsageStore(knex);
  }

  private constructor(private readonly db: Knex) {}

  /**
   * Adds samples to the rows of the hour each ends in (one transaction): seconds, tokens, requests and unit-seconds
   * are added; the attribution is the latest.
   */
  async add(
    samples: ReadonlyArray<
      UsageKey & UsageAttribution & { sample: UsageSample }
    >,
  ): Promise<void> {
    if (!samples.length) return;
    await this.db.transaction(async tx => {
      for (const s of samples) {
        const end = s.sample.start + s.sample.seconds * 1000;
        const hour = Math.floor((end - 1) / HOUR_MS) * HOUR_MS;
        const key = {
          cluster: s.cluster,
          namespace: s.namespace,
          name: s.name,
          hour,
        };
        const add = (column: string) =>
          tx.raw('?? + ??', [`${USAGE}.${column}`, `excluded.${column}`]);
        await tx(USAGE)
          .insert({
            ...key,
            entity_ref: s.entityRef,
            team: s.team ?? null,
            project: s.project ?? null,
            seconds: s.sample.seconds,
            prompt_tokens: s.sample.promptTokens,
            generation_tokens: s.sample.generationTokens,
            requests: s.sample.requests,
            first_at: Math.max(hour, Math.round(s.sample.start)),
          })
          .onConflict(['cluster', 'namespace', 'name', 'hour'])
          .merge({
            entity_ref: s.entityRef,
            team: s.team ?? null,
            project: s.project ?? null,
            seconds: add('seconds'),
            prompt_tokens: add('prompt_tokens'),
            generation_tokens: add('generation_tokens'),
            requests: add('requests'),
          });
        const addA = (column: string) =>
          tx.raw('?? + ??', [
            `${ACCELERATORS}.${column}`,
            `excluded.${column}`,
          ]);
        for (const a of s.sample.accelerators)
          await tx(ACCELERATORS)
            .insert({
              ...key,
              resource: a.resource,
              product: a.product ?? '',
              seconds: a.seconds,
              idle_seconds: a.idleSeconds,
              unmeasured_seconds: a.unmeasuredSeconds,
            })
            .onConflict([
              'cluster',
              'namespace',
              'name',
              'hour',
              'resource',
              'product',
            ])
            .merge({
              seconds: addA('seconds'),
              idle_seconds: addA('idle_seconds'),
              unmeasured_seconds: addA('unmeasured_seconds'),
            });
      }
    });
  }

  /**
   * Usage per service in the hours that start in [start, end) (an hour is the granularity: a window starting inside
   * an hour counts that whole hour), each attributed as its latest row in the window. `only` reads one service.
   */
  async sums(
    start: number,
    end: number,
    only?: UsageKey,
  ): Promise<Map<string, ServiceUsage>> {
    const from = Math.floor(start / HOUR_MS) * HOUR_MS;
    const scope = (q: Knex.QueryBuilder, table: string) => {
      q.where(`${table}.hour`, '>=', from).andWhere(`${table}.hour`, '<', end);
      if (only)
        q.andWhere({
          [`${table}.cluster`]: only.cluster,
          [`${table}.namespace`]: only.namespace,
          [`${table}.name`]: only.name,
        });
      return q;
    };
    const totals = await scope(
      this.db(USAGE)
        .select('cluster', 'namespace', 'name')
        .sum({
          seconds: 'seconds',
          prompt: 'prompt_tokens',
          generation: 'generation_tokens',
          requests: 'requests',
        })
        .min({ first: 'first_at' })
        .groupBy('cluster', 'namespace', 'name'),
      USAGE,
    );
    const latest = scope(
      this.db(USAGE)
        .select('cluster', 'namespace', 'name')
        .max({ hour: 'hour' })
        .groupBy('cluster', 'namespace', 'name'),
      USAGE,
    ).as('m');
    const attribution = await this.db({ u: USAGE })
      .join(latest, function on() {
        this.on('u.cluster', 'm.cluster')
          .andOn('u.namespace', 'm.namespace')
          .andOn('u.name', 'm.name')
          .andOn('u.hour', 'm.hour');
      })
      .select(
        'u.cluster',
        'u.namespace',
        'u.name',
        'u.entity_ref',
        'u.team',
        'u.project',
      );
    const accelerators = await scope(
      this.db(ACCELERATORS)
        .select('cluster', 'namespace', 'name', 'resource', 'product')
        .sum({
          seconds: 'seconds',
          idle: 'idle_seconds',
          unmeasured: 'unmeasured_seconds',
        })
        .groupBy('cluster', 'namespace', 'name', 'resource', 'product')
        .orderBy(['resource', 'product']),
      ACCELERATORS,
    );
    const who = new Map(attribution.map(a => [usageKeyOf(a), a]));
    const byService = new Map<string, AcceleratorUsage[]>();
    for (const a of accelerators) {
      const k = usageKeyOf(a);
      const list = byService.get(k) ?? [];
      list.push({
        resource: a.resource,
        ...(a.product ? { product: a.product } : {}),
        seconds: num(a.seconds),
        idleSeconds: num(a.idle),
        unmeasuredSeconds: num(a.unmeasured),
      });
      byService.set(k, list);
    }
    const out = new Map<string, ServiceUsage>();
    for (const t of totals) {
      const k = usageKeyOf(t);
      const a = who.get(k);
      out.set(k, {
        cluster: t.cluster,
        namespace: t.namespace,
        name: t.name,
        entityRef: a?.entity_ref ?? '',
        ...(a?.team ? { team: a.team } : {}),
        ...(a?.project ? { project: a.project } : {}),
        usage: {
          start: num(t.first),
          seconds: num(t.seconds),
          accelerators: byService.get(k) ?? [],
          promptTokens: num(t.prompt),
          generationTokens: num(t.generation),
          requests: num(t.requests),
        },
      });
    }
    return out;
  }

  /** Drops usage of hours that started before `before` (epoch ms) and notices of months before `beforeMonth`. */
  async prune(before: number, beforeMonth: string): Promise<number> {
    const n = await this.db(USAGE).where('hour', '<', before).delete();
    await this.db(ACCELERATORS).where('hour', '<', before).delete();
    await this.db(NOTICES).where('month', '<', beforeMonth).delete();
    return n;
  }

  /** Thresholds (percent) already notified for a project in a month. */
  async notified(project: string, month: string): Promise<number[]> {
    const rows = await this.db(NOTICES)
      .where({ project, month })
      .select('threshold');
    return rows.map(r => Number(r.threshold)).sort((a, b) => a - b);
  }

  /**
   * Records that a threshold was crossed; true only for the caller that recorded it first (two instances leading
   * different clusters may both see it: one notification).
   */
  async claimNotice(notice: {
    project: string;
    month: string;
    threshold: number;
    spentShare: number;
    at: number;
  }): Promise<boolean> {
    const inserted = await this.db(NOTICES)
      .insert({
        project: notice.project,
        month: notice.month,
        threshold: notice.threshold,
        spent_share: notice.spentShare,
        notified_at: notice.at,
      })
      .onConflict(['project', 'month', 'threshold'])
      .ignore()
      .returning('threshold');
    return Array.isArray(inserted) && inserted.length > 0;
  }
}
