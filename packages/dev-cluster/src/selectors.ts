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

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

/** A parsed label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). */
export type LabelSelector = Requirement[];

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map(x => x.trim()).filter(Boolean);
}

/** Parses a label selector string; throws a BadRequest ApiError when malformed. */
export function parseLabelSelector(s: string | undefined): LabelSelector {
  if (!s) return [];
  const reqs: LabelSelector = [];
  for (const part of splitTopLevel(s)) {
    const set = part.match(/^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    const eq = part.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/);
    const not = part.match(/^!\s*([^\s!=(),]+)$/);
    const exists = part.match(/^([^\s!=(),]+)$/);
    if (set)
      reqs.push({
        key: set[1],
        op: set[2] as 'in' | 'notin',
        values: set[3].split(',').map(v => v.trim()),
      });
    else if (eq)
      reqs.push({
        key: eq[1],
        op: eq[2] === '!=' ? 'notin' : 'in',
        values: [eq[3]],
      });
    else if (not) reqs.push({ key: not[1], op: '!' });
    else if (exists) reqs.push({ key: exists[1], op: 'exists' });
    else
      throw errors.badRequest(
        `unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`,
      );
  }
  return reqs;
}

/** True when the labels satisfy the selector. */
export function matchesLabels(
  sel: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return sel.every(r => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      default:
        return false;
    }
  });
}

/** A parsed field selector: a list of (path, op, value). */
export type FieldSelector = Array<{
  path: string;
  op: '=' | '!=';
  value: string;
}>;

/** Parses a field selector; only the fields a kind supports may be used (as the real server enforces). */
export function parseFieldSelector(
  s: string | undefined,
  supported: readonly string[],
  kind: string,
): FieldSelector {
  if (!s) return [];
  const out: FieldSelector = [];
  for (const part of splitTopLevel(s)) {
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m)
      throw errors.badRequest(
        `invalid selector: '${s}'; can't understand '${part}'`,
      );
    const path = m[1].trim();
    if (!supported.includes(path)) {
      throw new ApiError(
        400,
        'BadRequest',
        `field label not supported: ${path}`,
        { kind },
      );
    }
    out.push({ path, op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() });
  }
  return out;
}

function getPath(obj: unknown, path: string): string {
  let cur: any = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = cur[p];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

/** True when the object satisfies the field selector. */
export function matchesFields(sel: FieldSelector, obj: unknown): boolean {
  return sel.every(r => (getPath(obj, r.path) === r.value) === (r.op === '='));
}
