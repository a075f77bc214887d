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

/*
 * Field ownership for server-side apply: field sets in the real FieldsV1 encoding (`f:field`, `k:{"key":…}` for
 * list-map items, `v:value` for set items, `.` for the item itself), computed with list semantics from the CRD
 * schema (x-kubernetes-list-type / list-map-keys / map-type) or, for built-ins, from the built-in table.
 */

import type { JSONSchemaProps } from '@fusioninfer/plugin-fusioninfer-common/schema';
import { ApiError, StatusCause } from './errors';
import { BUILTIN_LIST_MAP_KEYS, BUILTIN_SETS } from './resources';

/** A FieldsV1 tree: every key is a path element, a leaf is `{}`. */
export type FieldSet = { [element: string]: FieldSet };

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

type Path = string[];
const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const deepEqual = (a: unknown, b: unknown) =>
  JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map(k => [k, sortKeys(v[k])]),
  );
}

/** Schema context while walking an object: the structural schema node (custom resources) or a built-in hint. */
interface Ctx {
  schema?: JSONSchemaProps;
  builtin: boolean;
  field?: string;
}

function childCtx(ctx: Ctx, key: string): Ctx {
  let schema: JSONSchemaProps | undefined;
  if (ctx.schema) {
    schema =
      ctx.schema.properties?.[key] ??
      (isObj(ctx.schema.additionalProperties)
        ? (ctx.schema.additionalProperties as JSONSchemaProps)
        : undefined);
  }
  // metadata is never described by CRD schemas: it follows the built-in rules.
  return {
    schema,
    builtin: ctx.builtin || (key === 'metadata' && !schema?.properties),
    field: key,
  };
}

interface ListKind {
  type: 'map' | 'set' | 'atomic';
  keys?: string[];
}

function listKind(ctx: Ctx, items: unknown[]): ListKind {
  if (ctx.schema && !ctx.builtin) {
    const t = ctx.schema['x-kubernetes-list-type'];
    if (t === 'map' && ctx.schema['x-kubernetes-list-map-keys']?.length)
      return { type: 'map', keys: ctx.schema['x-kubernetes-list-map-keys'] };
    if (t === 'set') return { type: 'set' };
    return { type: 'atomic' };
  }
  const f = ctx.field ?? '';
  if (BUILTIN_SETS.has(f)) return { type: 'set' };
  if (f === 'ports') {
    const keys = items.some(i => isObj(i) && 'containerPort' in i)
      ? ['containerPort', 'protocol']
      : ['port', 'protocol'];
    return { type: 'map', keys };
  }
  if (BUILTIN_LIST_MAP_KEYS[f])
    return { type: 'map', keys: BUILTIN_LIST_MAP_KEYS[f] };
  return { type: 'atomic' };
}

function itemKey(item: unknown, keys: string[]): string {
  const o = isObj(item) ? item : {};
  const k: Record<string, unknown> = {};
  for (const key of [...keys].sort())
    k[key] = o[key] ?? (key === 'protocol' ? 'TCP' : null);
  return `k:${JSON.stringify(k)}`;
}

const atomicMap = (ctx: Ctx) =>
  ctx.schema?.['x-kubernetes-map-type'] === 'atomic';

/** The field set an (applied or stored) object configuration touches. */
export function fieldsOf(value: unknown, ctx: Ctx): FieldSet {
  const out: FieldSet = {};
  if (!isObj(value) || atomicMap(ctx)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const c = childCtx(ctx, k);
    if (Array.isArray(v)) {
      const lk = listKind(c, v);
      const node: FieldSet = {};
      if (lk.type === 'map') {
        for (const item of v)
          node[itemKey(item, lk.keys!)] = {
            '.': {},
            ...fieldsOf(item, {
              ...c,
              schema: c.schema?.items,
              field: undefined,
            }),
          };
      } else if (lk.type === 'set') {
        for (const item of v) node[`v:${JSON.stringify(item)}`] = {};
      }
      out[`f:${k}`] = node;
    } else if (isObj(v) && !atomicMap(c)) {
      // An empty map owns nothing (as in structured-merge-diff, only its members are fields).
      const sub = fieldsOf(v, c);
      if (Object.keys(sub).length > 0) out[`f:${k}`] = sub;
    } else {
      out[`f:${k}`] = {};
    }
  }
  return out;
}

/** Paths to the leaves of a field set (item markers `.` included). */
export function leaves(fs: FieldSet, prefix: Path = []): Path[] {
  const out: Path[] = [];
  for (const [k, child] of Object.entries(fs)) {
    const p = [...prefix, k];
    if (Object.keys(child).length === 0) out.push(p);
    else out.push(...leaves(child, p));
  }
  return out;
}

/** Builds a field set from leaf paths. */
export function fromLeaves(paths: Path[]): FieldSet {
  const root: FieldSet = {};
  for (const p of paths) {
    let node = root;
    for (const el of p) node = node[el] ??= {};
  }
  return root;
}

const pathKey = (p: Path) => JSON.stringify(p);

function findItem(list: unknown[], el: string): number {
  if (el.startsWith('k:')) {
    const want = JSON.parse(el.slice(2)) as Record<string, unknown>;
    return list.findIndex(
      item =>
        isObj(item) &&
        Object.entries(want).every(([k, v]) =>
          deepEqual(item[k] ?? (k === 'protocol' ? 'TCP' : null), v),
        ),
    );
  }
  if (el.startsWith('v:')) {
    const want = JSON.parse(el.slice(2));
    return list.findIndex(item => deepEqual(item, want));
  }
  return -1;
}

/** Reads the value at a field path (undefined when absent). */
export function valueAt(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const el of path) {
    if (el === '.') return cur;
    if (el.startsWith('f:')) {
      if (!isObj(cur)) return undefined;
      cur = cur[el.slice(2)];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = findItem(cur, el);
      if (i < 0) return undefined;
      cur = cur[i];
    }
  }
  return cur;
}

/** Removes the field or item at a path (no-op when absent). */
export function removeAt(obj: unknown, path: Path): void {
  let cur: unknown = obj;
  const target = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  for (let i = 0; i < target.length; i++) {
    const el = target[i];
    const last = i === target.length - 1;
    if (el.startsWith('f:')) {
      if (!isObj(cur)) return;
      if (last) delete cur[el.slice(2)];
      else cur = cur[el.slice(2)];
    } else {
      if (!Array.isArray(cur)) return;
      const idx = findItem(cur, el);
      if (idx < 0) return;
      if (last) cur.splice(idx, 1);
      else cur = cur[idx];
    }
  }
}

/** Merges an applied configuration into the live object with SSA list/map semantics. */
export function mergeApplied(
  live: unknown,
  applied: unknown,
  ctx: Ctx,
): unknown {
  if (!isObj(applied) || !isObj(live) || atomicMap(ctx)) return clone(applied);
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(applied)) {
    const c = childCtx(ctx, k);
    const lv = live[k];
    if (Array.isArray(v) && Array.isArray(lv)) {
      const lk = listKind(c, v);
      if (lk.type === 'map') {
        const merged = [...lv];
        for (const item of v) {
          const idx = findItem(merged, itemKey(item, lk.keys!));
          if (idx >= 0)
            merged[idx] = mergeApplied(merged[idx], item, {
              ...c,
              schema: c.schema?.items,
              field: undefined,
            });
          else merged.push(clone(item));
        }
        out[k] = merged;
      } else if (lk.type === 'set') {
        out[k] = [...lv, ...v.filter(x => !lv.some(y => deepEqual(x, y)))];
      } else out[k] = clone(v);
    } else if (isObj(v) && isObj(lv)) {
      out[k] = mergeApplied(lv, v, c);
    } else {
      out[k] = clone(v);
    }
  }
  return out;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const IGNORED_TOP = new Set(['apiVersion', 'kind']);
const IGNORED_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
]);

/** The part of an object that field ownership covers (identity and server-set metadata excluded). */
export function ownedView(
  obj: Record<string, any>,
  withStatus: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (IGNORED_TOP.has(k)) continue;
    if (k === 'status' && !withStatus) continue;
    if (k === 'metadata' && isObj(v)) {
      const md = Object.fromEntries(
        Object.entries(v).filter(([mk]) => !IGNORED_META.has(mk)),
      );
      if (Object.keys(md).length > 0) out.metadata = md;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Result of applying a configuration. */
export interface ApplyResult {
  object: Record<string, any>;
  managedFields: ManagedFieldsEntry[];
}

/**
 * Server-side apply: merges `applied` into `live`, removes fields this manager applied before but no longer does
 * (unless another manager owns them), and reports conflicts with other managers unless `force`.
 */
export function serverSideApply(opts: {
  live: Record<string, any> | undefined;
  applied: Record<string, any>;
  manager: string;
  force: boolean;
  schema?: JSONSchemaProps;
  builtin: boolean;
  apiVersion: string;
  now: string;
  subresource?: string;
}): ApplyResult {
  const { live, applied, manager, force, apiVersion, now } = opts;
  const withStatus = opts.subresource === 'status';
  const ctx: Ctx = { schema: opts.schema, builtin: opts.builtin };
  const entries: ManagedFieldsEntry[] = clone(
    live?.metadata?.managedFields ?? [],
  );
  const mine = (e: ManagedFieldsEntry) =>
    e.manager === manager &&
    e.operation === 'Apply' &&
    (e.subresource ?? '') === (opts.subresource ?? '');
  const appliedView = ownedView(applied, withStatus);
  const newSet = fieldsOf(
    withStatus ? { status: appliedView.status } : appliedView,
    ctx,
  );
  const newLeaves = leaves(newSet);
  const newKeys = new Set(newLeaves.map(pathKey));
  const liveView = live ? ownedView(live, withStatus) : {};

  // Conflicts: another manager owns a leaf we set to a different value.
  const causes: StatusCause[] = [];
  for (const e of entries) {
    if (mine(e)) continue;
    const theirs = leaves(e.fieldsV1 ?? {});
    const keep: Path[] = [];
    for (const p of theirs) {
      if (
        newKeys.has(pathKey(p)) &&
        p[p.length - 1] !== '.' &&
        !deepEqual(valueAt(liveView, p), valueAt(appliedView, p))
      ) {
        if (force) continue; // ownership moves to us
        causes.push({
          reason: 'FieldManagerConflict',
          message: `conflict with "${e.manager}"${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`,
          field: toFieldPath(p),
        });
      }
      keep.push(p);
    }
    e.fieldsV1 = fromLeaves(keep);
  }
  if (causes.length > 0) {
    throw new ApiError(
      409,
      'Conflict',
      `Apply failed with ${causes.length} conflict${causes.length > 1 ? 's' : ''}: ${causes.map(c => `${c.message}: ${c.field}`).join('; ')}`,
      { causes },
    );
  }

  const merged = mergeApplied(
    live ? clone(live) : {},
    withStatus ? { status: applied.status } : appliedView,
    ctx,
  ) as Record<string, any>;
  // Fields this manager applied before and no longer applies are removed, unless someone else owns them.
  const previous = entries.find(mine);
  if (previous) {
    const othersOwn = new Set<string>();
    const otherPrefixes: Path[] = [];
    for (const e of entries)
      if (!mine(e))
        for (const p of leaves(e.fieldsV1 ?? {})) {
          othersOwn.add(pathKey(p));
          otherPrefixes.push(p);
        }
    const dropped = leaves(previous.fieldsV1 ?? {}).filter(
      p => !newKeys.has(pathKey(p)),
    );
    dropped.sort((a, b) => b.length - a.length);
    for (const p of dropped) {
      const target = p[p.length - 1] === '.' ? p.slice(0, -1) : p;
      const ownedElsewhere = otherPrefixes.some(
        o => o.length >= target.length && target.every((el, i) => o[i] === el),
      );
      if (!ownedElsewhere && !othersOwn.has(pathKey(p))) removeAt(merged, p);
    }
    // A struct, map or list left empty by those removals goes too, unless the applier still sets it or another
    // manager owns it (structured-merge-diff removes the parent with its last field: an LWS going single-node loses
    // leaderTemplate, not just its leaves).
    for (const p of dropped) {
      for (let n = p.length - 1; n > 0; n--) {
        const prefix = p.slice(0, n);
        if (!prefix[prefix.length - 1].startsWith('f:')) continue;
        const v = valueAt(merged, prefix);
        const empty =
          (isObj(v) && Object.keys(v).length === 0) ||
          (Array.isArray(v) && v.length === 0);
        if (!empty || valueAt(appliedView, prefix) !== undefined) break;
        if (othersOwn.has(pathKey(prefix))) break;
        removeAt(merged, prefix);
      }
    }
  }
  const next = entries.filter(
    e => !mine(e) && leaves(e.fieldsV1 ?? {}).length > 0,
  );
  next.push({
    manager,
    operation: 'Apply',
    apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: newSet,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  });
  return { object: merged, managedFields: next };
}

/** Records an Update by `manager`: fields it changed become its own; fields that disappeared lose their owners. */
export function trackUpdate(opts: {
  before: Record<string, any> | undefined;
  after: Record<string, any>;
  manager: string;
  schema?: JSONSchemaProps;
  builtin: boolean;
  apiVersion: string;
  now: string;
  subresource?: string;
}): ManagedFieldsEntry[] {
  const withStatus = opts.subresource === 'status';
  const ctx: Ctx = { schema: opts.schema, builtin: opts.builtin };
  const entries: ManagedFieldsEntry[] = clone(
    opts.before?.metadata?.managedFields ?? [],
  );
  const beforeView = opts.before ? ownedView(opts.before, withStatus) : {};
  const afterView = ownedView(opts.after, withStatus);
  const scope = (v: Record<string, unknown>) =>
    withStatus ? { status: v.status } : v;
  const afterLeaves = leaves(fieldsOf(scope(afterView), ctx));
  const afterKeys = new Set(afterLeaves.map(pathKey));
  const changed = afterLeaves.filter(p =>
    p[p.length - 1] === '.'
      ? valueAt(beforeView, p) === undefined
      : !deepEqual(valueAt(beforeView, p), valueAt(afterView, p)),
  );
  if (changed.length === 0 && opts.before) {
    // Nothing of ours changed; drop leaves that vanished from other entries.
    return entries
      .map(e => ({
        ...e,
        fieldsV1: fromLeaves(
          leaves(e.fieldsV1 ?? {}).filter(
            p => afterKeys.has(pathKey(p)) || !isInScope(p, withStatus),
          ),
        ),
      }))
      .filter(e => leaves(e.fieldsV1).length > 0);
  }
  const changedKeys = new Set(changed.map(pathKey));
  const isMine = (e: ManagedFieldsEntry) =>
    e.manager === opts.manager &&
    e.operation === 'Update' &&
    (e.subresource ?? '') === (opts.subresource ?? '');
  const out: ManagedFieldsEntry[] = [];
  let minePrev: Path[] = [];
  for (const e of entries) {
    const kept = leaves(e.fieldsV1 ?? {}).filter(
      p =>
        !isInScope(p, withStatus) ||
        (afterKeys.has(pathKey(p)) &&
          (isMine(e) || !changedKeys.has(pathKey(p)))),
    );
    if (isMine(e)) minePrev = kept;
    else if (kept.length > 0) out.push({ ...e, fieldsV1: fromLeaves(kept) });
  }
  const mineLeaves = [
    ...minePrev,
    ...changed.filter(p => !minePrev.some(q => pathKey(q) === pathKey(p))),
  ];
  if (mineLeaves.length > 0) {
    out.push({
      manager: opts.manager,
      operation: 'Update',
      apiVersion: opts.apiVersion,
      time: opts.now,
      fieldsType: 'FieldsV1',
      fieldsV1: fromLeaves(mineLeaves),
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    });
  }
  return out;
}

function isInScope(p: Path, withStatus: boolean): boolean {
  return withStatus ? p[0] === 'f:status' : p[0] !== 'f:status';
}

/** A readable field path (`.spec.containers[name="vllm"].image`) for conflict messages. */
export function toFieldPath(p: Path): string {
  let out = '';
  for (const el of p) {
    if (el === '.') continue;
    if (el.startsWith('f:')) out += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const k = JSON.parse(el.slice(2)) as Record<string, unknown>;
      out += `[${Object.entries(k)
        .map(([a, b]) => `${a}=${JSON.stringify(b)}`)
        .join(',')}]`;
    } else out += `[=${el.slice(2)}]`;
  }
  return out;
}
