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

/**
 * CRD validation rules (`x-kubernetes-validations`, CEL) evaluated like an API server does for custom resources,
 * with `@bufbuild/cel` plus its `strings` extension (which provides the Kubernetes `split`, `indexOf`, `join`, …).
 * A rule that does not compile (parse error, unknown function or variable) never rejects an object: it is counted
 * and logged once.
 */

import {
  celEnv,
  isCelError,
  parse,
  plan,
  type CelEnv,
  type CelInput,
  type CelResult,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import {
  joinPath,
  type JSONSchemaProps,
} from '@fusioninfer/plugin-fusioninfer-common/schema';

/** One rule failure, shaped like a Kubernetes StatusCause. */
export interface CelIssue {
  field: string;
  reason: string;
  message: string;
}

type Rule = NonNullable<JSONSchemaProps['x-kubernetes-validations']>[number];

interface Compiled {
  ok: true;
  run: (bindings: Record<string, CelInput>) => CelResult;
  usesOldSelf: boolean;
}
interface Failed {
  ok: false;
  error: string;
}

const env: CelEnv = celEnv({ funcs: strings });
/** Call names the planner handles itself (logic operators, index, ternary) rather than the function table. */
const BUILTIN_CALLS = new Set([
  '_&&_',
  '_||_',
  '_?_:_',
  '_[_]',
  '@not_strictly_false',
  '!_',
  '@in',
]);
const FUNC_NAMES = new Set([...env.funcs].map(f => f.name));
const cache = new Map<string, Compiled | Failed>();
const logged = new Set<string>();

/** Checks the parsed expression for calls and variables the environment cannot resolve. */
function unresolved(expr: any, bound: Set<string>, out: string[]): void {
  if (!expr?.exprKind) return;
  const { case: kind, value } = expr.exprKind;
  switch (kind) {
    case 'identExpr':
      if (!bound.has(value.name))
        out.push(`undeclared reference to '${value.name}'`);
      return;
    case 'selectExpr':
      unresolved(value.operand, bound, out);
      return;
    case 'callExpr':
      if (!BUILTIN_CALLS.has(value.function) && !FUNC_NAMES.has(value.function))
        out.push(`undeclared reference to function '${value.function}'`);
      if (value.target) unresolved(value.target, bound, out);
      for (const a of value.args ?? []) unresolved(a, bound, out);
      return;
    case 'listExpr':
      for (const e of value.elements ?? []) unresolved(e, bound, out);
      return;
    case 'structExpr':
      for (const e of value.entries ?? []) {
        if (e.keyKind?.case === 'mapKey')
          unresolved(e.keyKind.value, bound, out);
        unresolved(e.value, bound, out);
      }
      return;
    case 'comprehensionExpr': {
      unresolved(value.iterRange, bound, out);
      unresolved(value.accuInit, bound, out);
      const inner = new Set(bound);
      inner.add(value.iterVar);
      if (value.iterVar2) inner.add(value.iterVar2);
      inner.add(value.accuVar);
      unresolved(value.loopCondition, inner, out);
      unresolved(value.loopStep, inner, out);
      const res = new Set(bound);
      res.add(value.accuVar);
      unresolved(value.result, res, out);
      return;
    }
    default:
      return;
  }
}

/** Compiles a rule (cached). Never throws. */
export function compileRule(rule: string): Compiled | Failed {
  let c = cache.get(rule);
  if (c) return c;
  try {
    const parsed = parse(rule);
    const problems: string[] = [];
    unresolved(parsed.expr, new Set(['self', 'oldSelf']), problems);
    if (problems.length > 0) c = { ok: false, error: problems.join('; ') };
    else {
      const refs: string[] = [];
      unresolved(parsed.expr, new Set(['self']), refs);
      const run = plan(env, parsed) as Compiled['run'];
      c = {
        ok: true,
        run,
        usesOldSelf: refs.some(r => r.includes("'oldSelf'")),
      };
    }
  } catch (e) {
    c = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  cache.set(rule, c);
  if (!c.ok && !logged.has(rule)) {
    logged.add(rule);
    // eslint-disable-next-line no-console
    console.warn(
      `dev-cluster: CEL rule not evaluated (does not compile: ${c.error}): ${rule}`,
    );
  }
  return c;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function childSchema(
  s: JSONSchemaProps | undefined,
  key: string,
): JSONSchemaProps | undefined {
  if (!s) return undefined;
  if (s.properties && Object.hasOwn(s.properties, key))
    return s.properties[key];
  return isObj(s.additionalProperties)
    ? (s.additionalProperties as JSONSchemaProps)
    : undefined;
}

/** Converts JSON to CEL values: objects become maps, integers (by schema, or untyped whole numbers) int. */
export function toCel(v: unknown, s: JSONSchemaProps | undefined): CelInput {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(x => toCel(x, s?.items));
  if (isObj(v)) {
    const m = new Map<string, CelInput>();
    for (const [k, x] of Object.entries(v))
      m.set(k, toCel(x, childSchema(s, k)));
    return m;
  }
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  return v as CelInput;
}

function typeName(s: JSONSchemaProps, v: unknown): string {
  if (s.type) return s.type;
  if (Array.isArray(v)) return 'array';
  if (isObj(v)) return 'object';
  return typeof v === 'number' ? 'number' : typeof v;
}

function messageFor(r: Rule, bindings: Record<string, CelInput>): string {
  if (r.messageExpression) {
    const c = compileRule(r.messageExpression);
    if (c.ok) {
      const m = c.run(bindings);
      if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n'))
        return m;
    }
  }
  return r.message ?? `failed rule: ${r.rule.trim()}`;
}

/** Resolves a rule's `fieldPath` (".spec.x", ".a['b']", ".list[0]") relative to the node's path. */
function withFieldPath(base: string, fieldPath: string | undefined): string {
  if (!fieldPath) return base;
  let out = base;
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(?:'([^']*)'|"([^"]*)"|(\d+))\]/g;
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) out = joinPath(out, m[1]);
    else if (m[4] !== undefined) out = `${out}[${m[4]}]`;
    else out = joinPath(out, m[2] ?? m[3]);
  }
  return out;
}

function issueFor(
  r: Rule,
  path: string,
  type: string,
  message: string,
): CelIssue {
  const field = withFieldPath(path, r.fieldPath);
  switch (r.reason) {
    case 'FieldValueForbidden':
      return { field, reason: r.reason, message: `Forbidden: ${message}` };
    case 'FieldValueRequired':
      return { field, reason: r.reason, message: `Required value: ${message}` };
    case 'FieldValueDuplicate':
      return {
        field,
        reason: r.reason,
        message: `Duplicate value: ${message}`,
      };
    default:
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${type}": ${message}`,
      };
  }
}

/** The old list item a new one corresponds to (list-type map: same keys), as Kubernetes correlates them. */
function correlate(
  s: JSONSchemaProps,
  oldList: unknown,
  item: unknown,
): unknown {
  if (!Array.isArray(oldList) || s['x-kubernetes-list-type'] !== 'map')
    return undefined;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  if (!isObj(item) || keys.length === 0) return undefined;
  return oldList.find(
    o =>
      isObj(o) &&
      keys.every(k => JSON.stringify(o[k]) === JSON.stringify(item[k])),
  );
}

function walk(
  s: JSONSchemaProps,
  v: unknown,
  old: unknown,
  path: string,
  root: boolean,
  out: CelIssue[],
): void {
  if (v === undefined || v === null) return;
  const rules = s['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) {
    let self: CelInput | undefined;
    let oldSelf: CelInput | undefined;
    for (const r of rules) {
      if (typeof r?.rule !== 'string') continue;
      const c = compileRule(r.rule);
      if (!c.ok) continue;
      if (c.usesOldSelf && (old === undefined || old === null)) continue;
      self ??= toCel(v, s);
      const bindings: Record<string, CelInput> = { self };
      if (c.usesOldSelf) bindings.oldSelf = oldSelf ??= toCel(old, s);
      const res = c.run(bindings);
      const type = typeName(s, v);
      if (isCelError(res))
        out.push({
          field: path,
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${type}": rule evaluation error: ${res.message}`,
        });
      else if (res !== true)
        out.push(issueFor(r, path, type, messageFor(r, bindings)));
    }
  }
  if (Array.isArray(v)) {
    if (!s.items) return;
    v.forEach((item, i) =>
      walk(
        s.items!,
        item,
        correlate(s, old, item),
        `${path}[${i}]`,
        false,
        out,
      ),
    );
    return;
  }
  if (!isObj(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata'))
      continue;
    const cs = childSchema(s, k);
    if (!cs) continue;
    walk(cs, x, isObj(old) ? old[k] : undefined, joinPath(path, k), false, out);
  }
}

/**
 * Evaluates every compiling `x-kubernetes-validations` rule of a custom resource's schema. Transition rules
 * (those using `oldSelf`) run only when an old value exists (updates, for fields present before).
 */
export function validateCel(
  schema: JSONSchemaProps,
  obj: unknown,
  old?: unknown,
): CelIssue[] {
  const out: CelIssue[] = [];
  walk(schema, obj, old, '', true, out);
  return out;
}

/** Lists every rule in a schema and whether it compiles (for tests and diagnostics). */
export function celRuleReport(schema: JSONSchemaProps): {
  total: number;
  compiled: number;
  failed: Array<{ rule: string; error: string }>;
} {
  const failed: Array<{ rule: string; error: string }> = [];
  let total = 0;
  const visit = (s: JSONSchemaProps | undefined) => {
    if (!isObj(s)) return;
    for (const r of s['x-kubernetes-validations'] ?? []) {
      total++;
      const c = compileRule(r.rule);
      if (!c.ok) failed.push({ rule: r.rule, error: c.error });
    }
    for (const p of Object.values(s.properties ?? {})) visit(p);
    visit(s.items);
    if (isObj(s.additionalProperties))
      visit(s.additionalProperties as JSONSchemaProps);
    for (const k of ['allOf', 'anyOf', 'oneOf'] as const)
      for (const x of s[k] ?? []) visit(x);
  };
  visit(schema);
  return { total, compiled: total - failed.length, failed };
}
