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

import {
  AutoscalingRoleDecision,
  AutoscalingState,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Knex } from 'knex';

const TABLE = 'fusioninfer_autoscaler';

/** What the autoscaler last did for a role (kept until it does something else). */
export interface AutoscalerAction {
  /** ISO 8601. */
  at: string;
  outcome: 'scaled' | 'approval-requested' | 'refused' | 'failed';
  message: string;
  approvalId?: string;
}

/** The autoscaler's memory of one service: the state of its decisions and the last one. */
export interface AutoscalerRecord {
  cluster: string;
  namespace: string;
  name: string;
  uid?: string;
  state: AutoscalingState;
  /** The last decision per role. */
  roles: AutoscalingRoleDecision[];
  /** The last action per role. */
  actions: Record<string, AutoscalerAction>;
  /** ISO 8601. */
  decidedAt: string;
}

interface Row {
  cluster: string;
  namespace: string;
  name: string;
  uid: string | null;
  state: string;
  decision: string;
  decided_at: Date | string | number;
}

const iso = (v: Date | string | number): string => {
  const d =
    v instanceof Date
      ? v
      : new Date(/^\d+$/.test(String(v)) ? Number(v) : String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
};

const parse = <T>(s: string, fallback: T): T => {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};

/**
 * The autoscaler's records in the plugin's database (table `fusioninfer_autoscaler`, created by the plugin's
 * migrations): written by the instance leading a cluster after each decision, read by every instance's REST API and by
 * the next leader, which resumes the stabilisation window and the cooldown instead of starting blind.
 */
export class AutoscalerStore {
  constructor(private readonly db: Knex) {}

  async get(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<AutoscalerRecord | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ cluster, namespace, name })
      .first();
    if (!row) return undefined;
    const decision = parse<{
      roles?: AutoscalingRoleDecision[];
      actions?: Record<string, AutoscalerAction>;
    }>(row.decision, {});
    return {
      cluster: row.cluster,
      namespace: row.namespace,
      name: row.name,
      ...(row.uid ? { uid: row.uid } : {}),
      state: parse<AutoscalingState>(row.state, {}),
      roles: decision.roles ?? [],
      actions: decision.actions ?? {},
      decidedAt: iso(row.decided_at),
    };
  }

  async put(r: AutoscalerRecord): Promise<void> {
    const row: Row = {
      cluster: r.cluster,
      namespace: r.namespace,
      name: r.name,
      uid: r.uid ?? null,
      state: JSON.stringify(r.state),
      decision: JSON.stringify({ roles: r.roles, actions: r.actions }),
      decided_at: new Date(r.decidedAt),
    };
    await this.db<Row>(TABLE)
      .insert(row)
      .onConflict(['cluster', 'namespace', 'name'])
      .merge(['uid', 'state', 'decision', 'decided_at']);
  }

  /** Forgets the services of a cluster not in `keep` ("namespace/name"): deleted, or no longer autoscaled. */
  async retain(cluster: string, keep: Set<string>): Promise<number> {
    const rows = await this.db<Row>(TABLE)
      .where({ cluster })
      .select('namespace', 'name');
    const gone = rows.filter(r => !keep.has(`${r.namespace}/${r.name}`));
    for (const r of gone)
      await this.db<Row>(TABLE)
        .where({ cluster, namespace: r.namespace, name: r.name })
        .delete();
    return gone.length;
  }
}
