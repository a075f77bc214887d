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

import { ApiError, errors } from './errors';
import { BUILTIN_LIST_MAP_KEYS } from './resources';

const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

function unescape(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(ptr: unknown): string[] {
  if (typeof ptr !== 'string' || (ptr !== '' && !ptr.startsWith('/')))
    throw errors.badRequest(`invalid JSON pointer: ${JSON.stringify(ptr)}`);
  return ptr === '' ? [] : ptr.slice(1).split('/').map(unescape);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw errors.badRequest('a JSON patch must be an array of operations');
  let doc = clone(target);
  const parentOf = (path: string[]): { parent: any; key: string } => {
    let cur: any = doc;
    for (const seg of path.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObj(cur)) cur = cur[seg];
      else cur = undefined;
      if (cur === undefined)
        throw new ApiError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: doc is missing path: "/${path.join('/')}"`,
        );
    }
    return { parent: cur, key: path[path.length - 1] };
  };
  const get = (path: string[]) => {
    let cur: any = doc;
    for (const seg of path) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObj(cur)) cur = cur[seg];
      else return undefined;
    }
    return cur;
  };
  const add = (path: string[], value: unknown) => {
    if (path.length === 0) {
      doc = clone(value);
      return;
    }
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) {
      const idx = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length)
        throw errors.badRequest(`invalid array index: ${key}`);
      parent.splice(idx, 0, clone(value));
    } else if (isObj(parent)) parent[key] = clone(value);
    else throw errors.badRequest(`cannot add at /${path.join('/')}`);
  };
  const remove = (path: string[]) => {
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) {
      const idx = Number(key);
      if (!(idx >= 0 && idx < parent.length))
        throw new ApiError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}`,
        );
      parent.splice(idx, 1);
    } else if (isObj(parent) && key in parent) delete parent[key];
    else
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}`,
      );
  };
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string')
      throw errors.badRequest('every JSON patch operation needs an "op"');
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        add(path, op.value);
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        if (get(path) === undefined)
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: /${path.join('/')}`,
          );
        remove(path);
        add(path, op.value);
        break;
      case 'move': {
        const from = parsePointer(op.from);
        const v = get(from);
        remove(from);
        add(path, v);
        break;
      }
      case 'copy':
        add(path, get(parsePointer(op.from)));
        break;
      case 'test':
        if (!deepEqual(get(path), op.value))
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: testing value /${path.join('/')} failed`,
          );
        break;
      default:
        throw errors.badRequest(`unexpected JSON patch operation "${op.op}"`);
    }
  }
  return doc;
}

/**
 * Strategic merge patch for built-in kinds: a merge patch in which lists with a merge key (containers by name,
 * ports by containerPort/port, env by name, …) merge item by item, and `$patch: delete` removes an item.
 */
export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
  field?: string,
): unknown {
  if (Array.isArray(patch)) {
    let key = BUILTIN_LIST_MAP_KEYS[field ?? '']?.[0];
    if (field === 'ports')
      key = patch.some(p => isObj(p) && 'containerPort' in p)
        ? 'containerPort'
        : 'port';
    if (!key || !Array.isArray(target))
      return clone(patch.filter(p => !(isObj(p) && p.$patch === 'delete')));
    const out = [...target];
    for (const item of patch) {
      if (!isObj(item)) continue;
      const idx = out.findIndex(o => isObj(o) && o[key] === item[key]);
      if (item.$patch === 'delete') {
        if (idx >= 0) out.splice(idx, 1);
      } else if (idx >= 0) out[idx] = applyStrategicMergePatch(out[idx], item);
      else out.push(clone(item));
    }
    return out;
  }
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (
      k === '$patch' ||
      k.startsWith('$setElementOrder') ||
      k.startsWith('$retainKeys')
    )
      continue;
    if (v === null) delete out[k];
    else out[k] = applyStrategicMergePatch(out[k], v, k);
  }
  return out;
}
