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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  budgetShare,
  budgetThresholdsToNotify,
  InferenceService,
  ModelServerCounters,
  monthOf,
  ServiceUsageObservation,
  usageSampleOf,
} from '@fusioninfer/plugin-fusioninfer-common';
import { LiveService, Showback } from './Showback';
import { usageKeyOf, UsageStore } from './UsageStore';
import { Rounds } from '../lib/rounds';

/** A budget threshold crossed by a project this month (what is notified). */
export interface BudgetCrossing {
  project: string;
  owners: string[];
  month: string;
  threshold: number;
  spentShare: number;
  spent: number;
  monthly: number;
  currency: string;
}

/** What the recorder needs. */
export interface UsageRecorderOptions {
  showback: Showback;
  store: UsageStore;
  logger: LoggerService;
  /** Whether this instance leads the cluster now (the reconciler's leader election). */
  isLeader(cluster: string): boolean;
  /** The counters of a service's leaders by pod (absent pods: not read). */
  counters(
    cluster: string,
    isvc: InferenceService,
    leaders: string[],
  ): Promise<Map<string, ModelServerCounters>>;
  /** Sends the notification of a crossed budget threshold (failures are the sender's to log). */
  notify?(crossing: BudgetCrossing): void;
  /** Services sampled at once (default 4). */
  concurrency?: number;
  now?: () => number;
}

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Samples the usage of every service of the clusters this instance leads, every `interval`: what its pods hold
 * (the caches), what its model servers counted (the metrics collector, or Prometheus), turned into one sample per
 * service with the previous observation and added to the hour's rows. Then prunes what is older than the
 * retention (once an hour) and checks the projects' budgets (notifying each threshold once per month). A cluster it
 * stops leading is forgotten, so a new leader starts afresh (its first interval is not billed; gaps are billed at
 * most two intervals).
 */
export class UsageRecorder {
  private readonly rounds: Rounds;
  private readonly last = new Map<
    string,
    { uid?: string; observation: ServiceUsageObservation }
  >();
  private prunedAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: UsageRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.rounds = new Rounds({
      // Without the recorder, rounds run only when asked (tick).
      intervalMs: options.showback.settings.recorder
        ? options.showback.settings.intervalMs
        : 0,
      round: () => this.round(),
      onError: e =>
        options.logger.warn(`showback: recording usage failed: ${e.message}`),
    });
  }

  start() {
    this.rounds.start();
  }

  async stop() {
    await this.rounds.stop();
  }

  /** One round (never two at once; a round still running when the next is due makes that one wait). */
  tick(): Promise<void> {
    return this.rounds.runNow();
  }

  private async round() {
    const { showback, store, logger } = this.options;
    const clusters = showback.options.source
      .clusterNames()
      .filter(c => this.options.isLeader(c));
    const leading = new Set(clusters);
    for (const key of [...this.last.keys()])
      if (!leading.has(key.split('/')[0])) this.last.delete(key);
    if (!clusters.length) return;
    const maxSeconds = (2 * showback.settings.intervalMs) / 1000;
    const samples: Parameters<UsageStore['add']>[0][number][] = [];
    const seen = new Set<string>();
    const { services: mine } = await showback.live(undefined, clusters);
    await mapLimit(mine, this.options.concurrency ?? 4, async s => {
      const key = usageKeyOf(s);
      seen.add(key);
      const observation = await this.observe(s);
      if (!observation) return;
      const prev = this.last.get(key);
      this.last.set(key, { uid: s.isvc.metadata.uid, observation });
      if (!prev || prev.uid !== s.isvc.metadata.uid) return;
      const sample = usageSampleOf(prev.observation, observation, {
        maxSeconds,
      });
      if (sample)
        samples.push({
          cluster: s.cluster,
          namespace: s.namespace,
          name: s.name,
          entityRef: s.entityRef,
          ...(s.team ? { team: s.team } : {}),
          ...(s.project ? { project: s.project } : {}),
          sample,
        });
    });
    // Services gone from a cluster still led: their last interval is not billed.
    for (const key of [...this.last.keys()])
      if (!seen.has(key) && leading.has(key.split('/')[0]))
        this.last.delete(key);
    await store.add(samples);
    const now = this.now();
    if (now - this.prunedAt >= 3_600_000) {
      this.prunedAt = now;
      const month = monthOf(now - showback.settings.retentionMs).key;
      const n = await store.prune(now - showback.settings.retentionMs, month);
      if (n) logger.info(`showback: pruned ${n} hourly usage rows`);
    }
    await this.checkBudgets();
  }

  /** The observation of a live service now: its replicas (caches) with their leaders' counters. */
  private async observe(
    s: LiveService,
  ): Promise<ServiceUsageObservation | undefined> {
    if (!s.replicas) return undefined;
    const leaders = s.replicas
      .filter(r => r.ready && r.leaderPod)
      .map(r => r.leaderPod!);
    let counters = new Map<string, ModelServerCounters>();
    try {
      counters = await this.options.counters(s.cluster, s.isvc, leaders);
    } catch (e) {
      // Unreadable counters make the replicas unmeasured, never idle.
      this.options.logger.debug(
        `showback: counters of ${usageKeyOf(s)} could not be read: ${(e as Error).message}`,
      );
    }
    return {
      at: this.now(),
      replicas: s.replicas.map(r => {
        const c = r.leaderPod ? counters.get(r.leaderPod) : undefined;
        return c ? { ...r, counters: c } : r;
      }),
    };
  }

  /**
   * Each project with a budget: its month to date over all its services (no caller's filter), and the thresholds
   * (80 %, 100 %) crossed this month and not notified yet; each is claimed in the database first, so one instance
   * notifies it once.
   */
  async checkBudgets(): Promise<BudgetCrossing[]> {
    const { showback, store } = this.options;
    const projects = showback.options.projects.filter(p => p.budget);
    if (!projects.length) return [];
    const now = this.now();
    const month = monthOf(now);
    const { services } = await showback.compute({
      start: month.start,
      end: now,
    });
    const crossings: BudgetCrossing[] = [];
    for (const p of projects) {
      const budget = p.budget!;
      const spentMicros = services
        .filter(s => s.project === p.name)
        .reduce((a, s) => a + s.monthToDate.totalCostMicros, 0);
      const share = budgetShare(spentMicros, budget.monthly);
      const due = budgetThresholdsToNotify(
        share,
        await store.notified(p.name, month.key),
      );
      for (const threshold of due) {
        const claimed = await store.claimNotice({
          project: p.name,
          month: month.key,
          threshold,
          spentShare: share,
          at: now,
        });
        if (!claimed) continue;
        const crossing: BudgetCrossing = {
          project: p.name,
          owners: [...p.owners],
          month: month.key,
          threshold,
          spentShare: share,
          spent: spentMicros / 1e6,
          monthly: budget.monthly,
          currency: budget.currency,
        };
        crossings.push(crossing);
        this.options.notify?.(crossing);
      }
    }
    return crossings;
  }
}
