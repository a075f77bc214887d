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
import { InputError } from '@backstage/errors';
import {
  MAX_PROJECT_QUOTA_GPUS,
  TeamProject,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Knex } from 'knex';

const TABLE = 'fusioninfer_project_quotas';

interface Row {
  project: string;
  cluster: string;
  gpus: number | string;
  reason: string;
  raised_by: string;
  raised_at: Date | string | number;
}

/** A project's GPU quota in one cluster as an approver set it (replaces the configured one). */
export interface QuotaOverride {
  project: string;
  cluster: string;
  gpus: number;
  reason: string;
  /** User entity ref of who set it. */
  by: string;
  /** ISO 8601. */
  at: string;
}

const iso = (v: Date | string | number): string => {
  const d =
    v instanceof Date
      ? v
      : new Date(/^\d+$/.test(String(v)) ? Number(v) : String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
};

function toOverride(r: Row): QuotaOverride {
  return {
    project: r.project,
    cluster: r.cluster,
    gpus: Number(r.gpus),
    reason: r.reason,
    by: r.raised_by,
    at: iso(r.raised_at),
  };
}

/**
 * The quotas in force of a project: its configured `gpuQuota` with every override of the project replacing (or
 * adding) the value of its cluster. Undefined when the project has neither.
 */
export function effectiveGpuQuota(
  project: TeamProject,
  overrides: readonly QuotaOverride[],
): Record<string, number> | undefined {
  const mine = overrides.filter(o => o.project === project.name);
  if (!mine.length) return project.gpuQuota;
  const out: Record<string, number> = { ...(project.gpuQuota ?? {}) };
  for (const o of mine) out[o.cluster] = o.gpus;
  return out;
}

/**
 * GPU quotas of team projects set by an approver (`PUT /projects/:project/quotas/:cluster`), in the plugin's
 * database (table `fusioninfer_project_quotas`, one row per project and cluster). A row replaces
 * `fusioninfer.projects.<project>.gpuQuota.<cluster>` until it is deleted.
 */
export class ProjectQuotaStore {
  static async create(
    knex: Knex,
    options: { skipMigrations?: boolean; now?: () => Date } = {},
  ): Promise<ProjectQuotaStore> {
    if (!options.skipMigrations) {
      // The plugin's one migration directory and table (ApprovalStore.create runs the same; latest is idempotent).
      await knex.migrate.latest({
        directory: resolvePackagePath(
          '@fusioninfer/plugin-fusioninfer-backend',
          'migrations',
        ),
        tableName: 'fusioninfer_knex_migrations',
      });
    }
    return new ProjectQuotaStore(knex, options.now ?? (() => new Date()));
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  /** Every override, by project and cluster. */
  async list(): Promise<QuotaOverride[]> {
    const rows = await this.db<Row>(TABLE).orderBy([
      { column: 'project', order: 'asc' },
      { column: 'cluster', order: 'asc' },
    ]);
    return rows.map(toOverride);
  }

  /** The overrides of one project. */
  async forProject(project: string): Promise<QuotaOverride[]> {
    const rows = await this.db<Row>(TABLE)
      .where({ project })
      .orderBy('cluster', 'asc');
    return rows.map(toOverride);
  }

  /** Sets (inserts or replaces) a project's quota in a cluster. */
  async set(input: {
    project: string;
    cluster: string;
    gpus: number;
    reason: string;
    by: string;
  }): Promise<QuotaOverride> {
    if (
      !Number.isFinite(input.gpus) ||
      input.gpus < 0 ||
      input.gpus > MAX_PROJECT_QUOTA_GPUS
    )
      throw new InputError(
        `gpus: must be a number from 0 to ${MAX_PROJECT_QUOTA_GPUS}`,
      );
    const row: Row = {
      project: input.project,
      cluster: input.cluster,
      gpus: input.gpus,
      reason: input.reason.slice(0, 500),
      raised_by: input.by,
      raised_at: this.now(),
    };
    await this.db<Row>(TABLE)
      .insert(row)
      .onConflict(['project', 'cluster'])
      .merge(['gpus', 'reason', 'raised_by', 'raised_at']);
    return toOverride(row);
  }

  /** Drops a project's override in a cluster (the configured quota is in force again); false when there was none. */
  async remove(project: string, cluster: string): Promise<boolean> {
    const n = await this.db<Row>(TABLE).where({ project, cluster }).delete();
    return n > 0;
  }
}
