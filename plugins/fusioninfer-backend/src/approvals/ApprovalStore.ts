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

import { randomUUID } from 'crypto';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ApprovalAction,
  ApprovalExecution,
  ApprovalRequest,
  ApprovalStatus,
  MAX_MANIFEST_BYTES,
  MAX_PAGE_SIZE,
} from '@fusioninfer/plugin-fusioninfer-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { ApprovalQueryCriteria } from './rules';

const TABLE = 'fusioninfer_approvals';

interface Row {
  id: string;
  status: ApprovalStatus;
  action: ApprovalAction;
  cluster: string;
  namespace: string;
  name: string;
  entity_ref: string | null;
  requested_by: string;
  requested_at: Date | string;
  reasons: string;
  summary: string | null;
  manifest: string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
  comment: string | null;
  expires_at: Date | string | null;
  task_id: string | null;
  spec_hash?: string | null;
  options?: string | null;
  execution_state?: ApprovalExecution['state'] | null;
  execution_at?: Date | string | null;
  execution_message?: string | null;
}

/** Options stored with a request: how to apply it once approved. */
export interface StoredApplyOptions {
  children?: boolean;
  update?: boolean;
  /** Scale/strategy changes: the generation the change was computed from (a changed service needs a new request). */
  baseGeneration?: number;
  /** How the writer applies it: the whole manifest, a scale or strategy patch of `spec.roles`, or a delete. */
  kind?: 'apply' | 'scale' | 'strategy' | 'rollout' | 'canary' | 'delete';
  /** A canary command: applied to the canary's state as it is when the approved request is executed. */
  canaryCommand?: {
    action: 'promote' | 'rollback' | 'pause' | 'resume';
    by: string;
  };
  /** UID of the live service the request was made against (null: none existed). */
  expectUid?: string | null;
  /** SHA-256 of the manifest's canonical JSON: what the approval approves. */
  sha256?: string;
  /** The policy's verdict when filed (shown on the approval page). */
  policy?: ApprovalRequest['policy'];
}

/** A new approval request. */
export interface NewApproval {
  action: ApprovalAction;
  cluster: string;
  namespace: string;
  name: string;
  entityRef?: string;
  requestedBy: string;
  reasons: string[];
  summary?: ApprovalRequest['summary'];
  manifest?: unknown;
  /** Pending requests expire after this many seconds (default: never). */
  ttlSeconds?: number;
  taskId?: string;
  /** specHash of the manifest (what an approval approves). */
  specHash?: string;
  options?: StoredApplyOptions;
}

/** Filters of {@link ApprovalStore.list}. */
export interface ApprovalQuery {
  status?: ApprovalStatus[];
  cluster?: string;
  namespace?: string;
  name?: string;
  requestedBy?: string;
  limit?: number;
  offset?: number;
  /** Conditions of a conditional permission decision, as query criteria (rules' toQuery). */
  filter?: PermissionCriteria<ApprovalQueryCriteria>;
}

const iso = (v: Date | string | null): string | undefined => {
  if (v === null || v === undefined) return undefined;
  const d =
    v instanceof Date
      ? v
      : new Date(/^\d+$/.test(String(v)) ? Number(v) : String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
};

const parse = (s: string | null): unknown => {
  if (s === null || s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

function toApproval(r: Row): ApprovalRequest {
  const out: ApprovalRequest = {
    id: r.id,
    status: r.status,
    action: r.action,
    cluster: r.cluster,
    namespace: r.namespace,
    name: r.name,
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at)!,
    reasons: (parse(r.reasons) as string[] | undefined) ?? [],
  };
  if (r.entity_ref) out.entityRef = r.entity_ref;
  if (r.summary) out.summary = parse(r.summary) as ApprovalRequest['summary'];
  if (r.manifest) out.manifest = parse(r.manifest);
  if (r.decided_by) out.decidedBy = r.decided_by;
  if (r.decided_at) out.decidedAt = iso(r.decided_at);
  if (r.comment) out.comment = r.comment;
  if (r.expires_at) out.expiresAt = iso(r.expires_at);
  if (r.task_id) out.taskId = r.task_id;
  if (r.spec_hash) out.specHash = r.spec_hash;
  if (r.options) {
    const o = parse(r.options) as StoredApplyOptions | undefined;
    if (o && (o.children !== undefined || o.update !== undefined))
      out.options = {
        ...(o.children !== undefined ? { children: o.children } : {}),
        ...(o.update !== undefined ? { update: o.update } : {}),
      };
    if (o?.policy) out.policy = o.policy;
  }
  if (r.execution_state)
    out.execution = {
      state: r.execution_state,
      at: iso(r.execution_at ?? null) ?? '',
      ...(r.execution_message ? { message: r.execution_message } : {}),
    };
  return out;
}

/** Columns of list items (no manifest: lists stay small). */
const LIST_COLUMNS = [
  'id',
  'status',
  'action',
  'cluster',
  'namespace',
  'name',
  'entity_ref',
  'requested_by',
  'requested_at',
  'reasons',
  'summary',
  'decided_by',
  'decided_at',
  'comment',
  'expires_at',
  'task_id',
  'spec_hash',
  'options',
  'execution_state',
  'execution_at',
  'execution_message',
];

const COLUMN_OF: Record<ApprovalQueryCriteria['property'], string> = {
  requested_by: 'requested_by',
  namespace: 'namespace',
  cluster: 'cluster',
};

/** Adds permission criteria (allOf / anyOf / not of rule queries) to a knex where-builder. */
function applyCriteria(
  b: Knex.QueryBuilder,
  c: PermissionCriteria<ApprovalQueryCriteria>,
): void {
  if ('allOf' in c) {
    for (const x of c.allOf) b.andWhere(w => applyCriteria(w, x));
  } else if ('anyOf' in c) {
    b.andWhere(w => {
      for (const x of c.anyOf) w.orWhere(o => applyCriteria(o, x));
    });
  } else if ('not' in c) {
    b.whereNot(w => applyCriteria(w, c.not));
  } else {
    // An empty value list matches nothing (never "everything").
    if (!c.values.length) b.whereRaw('1 = 0');
    else b.whereIn(COLUMN_OF[c.property], c.values);
  }
}

/** Approval requests in the plugin's database (SQLite, PostgreSQL or MySQL through knex). */
export class ApprovalStore {
  static async create(
    knex: Knex,
    options: { skipMigrations?: boolean; now?: () => Date } = {},
  ): Promise<ApprovalStore> {
    if (!options.skipMigrations) {
      await knex.migrate.latest({
        directory: resolvePackagePath(
          '@fusioninfer/plugin-fusioninfer-backend',
          'migrations',
        ),
        tableName: 'fusioninfer_knex_migrations',
      });
    }
    return new ApprovalStore(knex, options.now ?? (() => new Date()));
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async add(req: NewApproval): Promise<ApprovalRequest> {
    const manifest =
      req.manifest === undefined ? null : JSON.stringify(req.manifest);
    if (manifest && manifest.length > MAX_MANIFEST_BYTES)
      throw new InputError(`manifest: larger than ${MAX_MANIFEST_BYTES} bytes`);
    const now = this.now();
    const row: Row = {
      id: randomUUID(),
      status: 'pending',
      action: req.action,
      cluster: req.cluster,
      namespace: req.namespace,
      name: req.name,
      entity_ref: req.entityRef ?? null,
      requested_by: req.requestedBy,
      requested_at: now,
      reasons: JSON.stringify(req.reasons ?? []),
      summary: req.summary ? JSON.stringify(req.summary) : null,
      manifest,
      decided_by: null,
      decided_at: null,
      comment: null,
      expires_at: req.ttlSeconds
        ? new Date(now.getTime() + req.ttlSeconds * 1000)
        : null,
      task_id: req.taskId ?? null,
      spec_hash: req.specHash ?? null,
      options: req.options ? JSON.stringify(req.options) : null,
      execution_state: null,
      execution_at: null,
      execution_message: null,
    };
    await this.db(TABLE).insert(row);
    return toApproval(row);
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    await this.expire();
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toApproval(row) : undefined;
  }

  async getMany(ids: string[]): Promise<ApprovalRequest[]> {
    if (!ids.length) return [];
    const rows = await this.db<Row>(TABLE).whereIn('id', ids);
    return rows.map(toApproval);
  }

  /** A page of requests, newest first, without manifests; `filter` is applied in the query, so pages stay full. */
  async list(
    q: ApprovalQuery = {},
  ): Promise<{ items: ApprovalRequest[]; totalCount: number }> {
    await this.expire();
    const base = this.db<Row>(TABLE).where(b => {
      if (q.status?.length) b.whereIn('status', q.status);
      if (q.cluster) b.where('cluster', q.cluster);
      if (q.namespace) b.where('namespace', q.namespace);
      if (q.name) b.where('name', q.name);
      if (q.requestedBy) b.where('requested_by', q.requestedBy);
      if (q.filter) applyCriteria(b, q.filter);
    });
    const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = await base
      .clone()
      .select(LIST_COLUMNS)
      .orderBy([
        { column: 'requested_at', order: 'desc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(Math.min(Math.max(q.limit ?? 50, 1), MAX_PAGE_SIZE))
      .offset(Math.max(q.offset ?? 0, 0));
    return {
      items: (rows as unknown as Row[]).map(toApproval),
      totalCount: Number(count),
    };
  }

  /** The pending request of this requester for exactly this manifest, if any (retries reuse it). */
  async findPending(q: {
    requestedBy: string;
    cluster: string;
    namespace: string;
    name: string;
    action: ApprovalAction;
    specHash: string;
  }): Promise<ApprovalRequest | undefined> {
    await this.expire();
    const row = await this.db<Row>(TABLE)
      .where({
        status: 'pending',
        requested_by: q.requestedBy,
        cluster: q.cluster,
        namespace: q.namespace,
        name: q.name,
        action: q.action,
        spec_hash: q.specHash,
      })
      .orderBy('requested_at', 'desc')
      .first();
    return row ? toApproval(row) : undefined;
  }

  /** The stored manifest and apply options of a request (for execution). */
  async executionInput(id: string): Promise<
    | {
        request: ApprovalRequest;
        manifest: unknown;
        options: StoredApplyOptions;
      }
    | undefined
  > {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    if (!row) return undefined;
    return {
      request: toApproval(row),
      manifest: parse(row.manifest),
      options: (parse(row.options ?? null) as StoredApplyOptions) ?? {},
    };
  }

  /**
   * Claims the execution of an approved request: one conditional UPDATE, so of any number of concurrent callers
   * (decisions, retries, other backend instances, start-up recovery) exactly one gets true. A claim older than
   * `staleBefore` (an instance that died while applying) may be taken over.
   */
  async claimExecution(id: string, staleBefore?: Date): Promise<boolean> {
    const now = this.now();
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'approved' })
      .where(b => {
        b.whereNull('execution_state');
        if (staleBefore)
          b.orWhere(w =>
            w
              .where('execution_state', 'applying')
              .where('execution_at', '<', staleBefore),
          );
      })
      .update({
        execution_state: 'applying',
        execution_at: now,
        execution_message: null,
      });
    return updated === 1;
  }

  /**
   * Makes a failed execution of an approved request claimable again, if it was decided after `decidedAfter` (the
   * approval is still valid). Conditional, so two retries at once reopen it once. False when not reopened.
   */
  async reopenFailed(id: string, decidedAfter: Date): Promise<boolean> {
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'approved', execution_state: 'failed' })
      .where('decided_at', '>', decidedAfter)
      .update({ execution_state: null, execution_at: null });
    return updated === 1;
  }

  /** Records the outcome of an execution this instance claimed. */
  async finishExecution(
    id: string,
    state: 'applied' | 'failed',
    message?: string,
  ): Promise<ApprovalRequest> {
    await this.db<Row>(TABLE)
      .where({ id, execution_state: 'applying' })
      .update({
        execution_state: state,
        execution_at: this.now(),
        execution_message: message ? message.slice(0, 4000) : null,
      });
    return toApproval((await this.db<Row>(TABLE).where({ id }).first())!);
  }

  /** Approved requests not executed yet (or whose claim is older than `staleBefore`). */
  async unexecuted(staleBefore: Date): Promise<string[]> {
    const rows = await this.db<Row>(TABLE)
      .where('status', 'approved')
      .where(b =>
        b
          .whereNull('execution_state')
          .orWhere(w =>
            w
              .where('execution_state', 'applying')
              .where('execution_at', '<', staleBefore),
          ),
      )
      .select('id')
      .orderBy('decided_at', 'asc');
    return rows.map(r => r.id);
  }

  /**
   * Approves or rejects a pending request. The update is conditional on the status still being `pending`, so two
   * people deciding at once cannot both win: the second gets a ConflictError.
   */
  async decide(
    id: string,
    decision: { approve: boolean; by: string; comment?: string },
  ): Promise<ApprovalRequest> {
    await this.expire();
    const current = await this.db<Row>(TABLE).where({ id }).first();
    if (!current) throw new NotFoundError(`approval request ${id} not found`);
    if (current.status !== 'pending')
      throw new ConflictError(
        `approval request ${id} is already ${current.status}`,
      );
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'pending' })
      .update({
        status: decision.approve ? 'approved' : 'rejected',
        decided_by: decision.by,
        decided_at: this.now(),
        comment: decision.comment ?? null,
      });
    if (updated !== 1) {
      const again = await this.db<Row>(TABLE).where({ id }).first();
      throw new ConflictError(
        `approval request ${id} is already ${again?.status ?? 'gone'}`,
      );
    }
    return toApproval((await this.db<Row>(TABLE).where({ id }).first())!);
  }

  /** Cancels a pending request (by its requester). */
  async cancel(id: string, by: string): Promise<ApprovalRequest> {
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'pending' })
      .update({ status: 'cancelled', decided_by: by, decided_at: this.now() });
    const row = await this.db<Row>(TABLE).where({ id }).first();
    if (!row) throw new NotFoundError(`approval request ${id} not found`);
    if (updated !== 1)
      throw new ConflictError(
        `approval request ${id} is already ${row.status}`,
      );
    return toApproval(row);
  }

  /** Marks pending requests past their expiry as expired. */
  async expire(): Promise<number> {
    return this.db<Row>(TABLE)
      .where('status', 'pending')
      .whereNotNull('expires_at')
      .where('expires_at', '<', this.now())
      .update({ status: 'expired' });
  }
}
