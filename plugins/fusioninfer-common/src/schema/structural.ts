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
 * Kubernetes apiextensions structural-schema semantics, without I/O: validation (what the API server rejects with
 * 422), pruning (what it silently drops) and defaulting, for CustomResourceDefinition `openAPIV3Schema`s.
 */

import { canonicalJson } from '../hash';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps that structural schemas use. @public */
export interface JSONSchemaProps {
  type?:
    'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | string;
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: boolean | JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map' | string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular' | string;
  'x-kubernetes-validations'?: Array<{
    rule: string;
    message?: string;
    messageExpression?: string;
    reason?: string;
    fieldPath?: string;
  }>;
  [key: string]: unknown;
}

/** One schema violation. @public */
export interface SchemaIssue {
  path: string;
  message: string;
  type:
    | 'required'
    | 'type'
    | 'enum'
    | 'format'
    | 'range'
    | 'length'
    | 'pattern'
    | 'items'
    | 'properties'
    | 'duplicate'
    | 'combinator'
    | 'unknown';
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The schema of a declared property: own properties only, so field names such as `toString`, `constructor`,
 * `__proto__` or `hasOwnProperty` are unknown fields like any other (review L3).
 */
function propertyOf(
  schema: JSONSchemaProps | undefined,
  key: string,
): JSONSchemaProps | undefined {
  const props = schema?.properties;
  return props && Object.hasOwn(props, key) ? props[key] : undefined;
}

/** Sets an own data property, `__proto__` included (plain assignment would replace the object's prototype). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown) {
  if (key === '__proto__')
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[key] = value;
}
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends a field to a JSON path the way Kubernetes prints field paths. @public */
export function joinPath(base: string, key: string): string {
  if (IDENT.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}
const indexPath = (base: string, i: number) => `${base}[${i}]`;

const regexCache = new Map<string, RegExp | null>();
function regexFor(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      try {
        re = new RegExp(pattern);
      } catch {
        re = null;
      }
    }
    regexCache.set(pattern, re);
  }
  return re;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    typeof a !== typeof b ||
    a === null ||
    b === null ||
    typeof a !== 'object'
  )
    return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every(k => deepEqual((a as any)[k], (b as any)[k]))
  );
}

const INT32 = [-2147483648, 2147483647];
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BYTE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkType(
  schema: JSONSchemaProps,
  v: unknown,
  path: string,
  out: SchemaIssue[],
): boolean {
  if (v === null) {
    if (schema.nullable) return false; // valid null; nothing else to check
    if (!schema.type && !schema['x-kubernetes-int-or-string']) return false;
    out.push({
      path,
      type: 'type',
      message: `Invalid value: "null": ${path || 'body'} in body must be of type ${schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type}: "null"`,
    });
    return false;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string')
      return true;
    out.push({
      path,
      type: 'type',
      message: `Invalid value: ${show(v)}: ${path} in body must be of type integer or string: "${typeName(v)}"`,
    });
    return false;
  }
  const t = schema.type;
  if (!t) return true;
  const actual = typeName(v);
  const ok =
    (t === 'object' && actual === 'object') ||
    (t === 'array' && actual === 'array') ||
    (t === 'string' && actual === 'string') ||
    (t === 'boolean' && actual === 'boolean') ||
    (t === 'integer' && actual === 'integer') ||
    (t === 'number' && (actual === 'integer' || actual === 'number'));
  if (!ok) {
    out.push({
      path,
      type: 'type',
      message: `Invalid value: ${show(v)}: ${path || 'body'} in body must be of type ${t}: "${actual}"`,
    });
  }
  return ok;
}

function validateValue(
  schema: JSONSchemaProps,
  v: unknown,
  path: string,
  out: SchemaIssue[],
  root: boolean,
): void {
  if (!checkType(schema, v, path, out)) return;
  if (schema.enum && !schema.enum.some(e => deepEqual(e, v))) {
    out.push({
      path,
      type: 'enum',
      message: `Unsupported value: ${show(v)}: supported values: ${schema.enum.map(show).join(', ')}`,
    });
  }
  if (typeof v === 'number') {
    if (schema.format === 'int32' && (v < INT32[0] || v > INT32[1]))
      out.push({
        path,
        type: 'format',
        message: `Invalid value: ${v}: ${path} in body should be a valid int32`,
      });
    if (schema.format === 'int64' && !Number.isSafeInteger(v))
      out.push({
        path,
        type: 'format',
        message: `Invalid value: ${v}: ${path} in body should be a valid int64`,
      });
    if (
      schema.minimum !== undefined &&
      (schema.exclusiveMinimum ? v <= schema.minimum : v < schema.minimum)
    ) {
      out.push({
        path,
        type: 'range',
        message: `Invalid value: ${v}: ${path} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`,
      });
    }
    if (
      schema.maximum !== undefined &&
      (schema.exclusiveMaximum ? v >= schema.maximum : v > schema.maximum)
    ) {
      out.push({
        path,
        type: 'range',
        message: `Invalid value: ${v}: ${path} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`,
      });
    }
    if (
      schema.multipleOf &&
      Math.abs(v / schema.multipleOf - Math.round(v / schema.multipleOf)) > 1e-9
    ) {
      out.push({
        path,
        type: 'range',
        message: `Invalid value: ${v}: ${path} in body should be a multiple of ${schema.multipleOf}`,
      });
    }
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (schema.minLength !== undefined && len < schema.minLength)
      out.push({
        path,
        type: 'length',
        message: `Invalid value: ${show(v)}: ${path} in body should be at least ${schema.minLength} chars long`,
      });
    if (schema.maxLength !== undefined && len > schema.maxLength)
      out.push({
        path,
        type: 'length',
        message: `Too long: may not be more than ${schema.maxLength} bytes`,
      });
    if (schema.pattern) {
      const re = regexFor(schema.pattern);
      if (re && !re.test(v))
        out.push({
          path,
          type: 'pattern',
          message: `Invalid value: ${show(v)}: ${path} in body should match '${schema.pattern}'`,
        });
    }
    if (schema.format === 'date-time' && !DATE_TIME.test(v))
      out.push({
        path,
        type: 'format',
        message: `Invalid value: ${show(v)}: ${path} in body must be of type date-time: ${show(v)}`,
      });
    if (schema.format === 'byte' && !BYTE.test(v))
      out.push({
        path,
        type: 'format',
        message: `Invalid value: ${show(v)}: ${path} in body must be of type byte: ${show(v)}`,
      });
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems)
      out.push({
        path,
        type: 'items',
        message: `Invalid value: ${v.length}: ${path} in body should have at least ${schema.minItems} items`,
      });
    if (schema.maxItems !== undefined && v.length > schema.maxItems)
      out.push({
        path,
        type: 'items',
        message: `Too many: ${v.length}: must have at most ${schema.maxItems} items`,
      });
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set' || schema.uniqueItems) {
      // Linear: equal JSON values have equal canonical JSON (keys sorted), so a Set finds duplicates.
      const seen = new Set<string>();
      for (let i = 0; i < v.length; i++) {
        const key = canonicalJson(v[i]);
        if (seen.has(key))
          out.push({
            path: indexPath(path, i),
            type: 'duplicate',
            message: `Duplicate value: ${show(v[i])}`,
          });
        seen.add(key);
      }
    } else if (
      listType === 'map' &&
      schema['x-kubernetes-list-map-keys']?.length
    ) {
      const keys = schema['x-kubernetes-list-map-keys'];
      const seen = new Set<string>();
      v.forEach((item, i) => {
        if (!isObj(item)) return;
        const tuple = JSON.stringify(
          keys.map(
            k => item[k] ?? schema.items?.properties?.[k]?.default ?? null,
          ),
        );
        if (seen.has(tuple)) {
          const shown = `map[string]interface {}{${keys.map(k => `"${k}":${show(item[k])}`).join(', ')}}`;
          out.push({
            path: indexPath(path, i),
            type: 'duplicate',
            message: `Duplicate value: ${shown}`,
          });
        }
        seen.add(tuple);
      });
    }
    if (schema.items)
      v.forEach((item, i) =>
        validateValue(schema.items!, item, indexPath(path, i), out, false),
      );
  }
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (
      schema.minProperties !== undefined &&
      keys.length < schema.minProperties
    )
      out.push({
        path,
        type: 'properties',
        message: `Invalid value: ${keys.length}: ${path} in body should have at least ${schema.minProperties} properties`,
      });
    if (
      schema.maxProperties !== undefined &&
      keys.length > schema.maxProperties
    )
      out.push({
        path,
        type: 'properties',
        message: `Too many: ${keys.length}: must have at most ${schema.maxProperties} items`,
      });
    for (const req of schema.required ?? []) {
      if (!Object.hasOwn(v, req) || v[req] === undefined)
        out.push({
          path: joinPath(path, req),
          type: 'required',
          message: 'Required value',
        });
    }
    for (const [k, val] of Object.entries(v)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata'))
        continue;
      if (val === undefined) continue;
      const prop = propertyOf(schema, k);
      if (prop) validateValue(prop, val, joinPath(path, k), out, false);
      else if (isObj(schema.additionalProperties))
        validateValue(
          schema.additionalProperties,
          val,
          joinPath(path, k),
          out,
          false,
        );
    }
    if (schema['x-kubernetes-embedded-resource']) {
      for (const req of ['apiVersion', 'kind']) {
        if (typeof v[req] !== 'string' || v[req] === '')
          out.push({
            path: joinPath(path, req),
            type: 'required',
            message: 'Required value: must not be empty',
          });
      }
    }
  }
  for (const sub of schema.allOf ?? []) validateValue(sub, v, path, out, root);
  if (schema.anyOf?.length) {
    const ok = schema.anyOf.some(sub => {
      const tmp: SchemaIssue[] = [];
      validateValue(sub, v, path, tmp, root);
      return tmp.length === 0;
    });
    if (!ok)
      out.push({
        path,
        type: 'combinator',
        message: `Invalid value: ${show(v)}: ${path} in body must match at least one schema (anyOf)`,
      });
  }
  if (schema.oneOf?.length) {
    const matches = schema.oneOf.filter(sub => {
      const tmp: SchemaIssue[] = [];
      validateValue(sub, v, path, tmp, root);
      return tmp.length === 0;
    }).length;
    if (matches !== 1)
      out.push({
        path,
        type: 'combinator',
        message: `Invalid value: ${show(v)}: ${path} in body must match exactly one schema (oneOf), matched ${matches}`,
      });
  }
  if (schema.not) {
    const tmp: SchemaIssue[] = [];
    validateValue(schema.not, v, path, tmp, root);
    if (tmp.length === 0)
      out.push({
        path,
        type: 'combinator',
        message: `Invalid value: ${show(v)}: ${path} in body must not match the schema (not)`,
      });
  }
}

/**
 * Validates a value against a structural schema like the API server does for custom resources; returns every
 * violation. At the root, `apiVersion`, `kind` and `metadata` are the server's business and are skipped.
 * CEL rules (`x-kubernetes-validations`) are not evaluated; see {@link celRules}.
 * @public
 */
export function validateStructural(
  schema: JSONSchemaProps,
  value: unknown,
  basePath = '',
): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  validateValue(schema, value, basePath, out, basePath === '');
  return out;
}

function prune(
  schema: JSONSchemaProps | undefined,
  v: unknown,
  path: string,
  pruned: string[],
  root: boolean,
  embedded: boolean,
): unknown {
  if (Array.isArray(v)) {
    if (!schema?.items) return v;
    return v.map((item, i) =>
      prune(
        schema.items,
        item,
        indexPath(path, i),
        pruned,
        false,
        !!schema.items!['x-kubernetes-embedded-resource'],
      ),
    );
  }
  if (!isObj(v) || !schema) return v;
  const preserve = !!schema['x-kubernetes-preserve-unknown-fields'];
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const childPath = joinPath(path, k);
    if (
      (root || embedded) &&
      (k === 'apiVersion' || k === 'kind' || k === 'metadata')
    ) {
      setOwn(out, k, val);
      continue;
    }
    const prop = propertyOf(schema, k);
    if (prop)
      setOwn(
        out,
        k,
        prune(
          prop,
          val,
          childPath,
          pruned,
          false,
          !!prop['x-kubernetes-embedded-resource'],
        ),
      );
    else if (isObj(schema.additionalProperties))
      setOwn(
        out,
        k,
        prune(
          schema.additionalProperties,
          val,
          childPath,
          pruned,
          false,
          !!schema.additionalProperties['x-kubernetes-embedded-resource'],
        ),
      );
    else if (preserve || schema.additionalProperties === true)
      setOwn(out, k, val);
    else pruned.push(childPath);
  }
  return out;
}

/**
 * Drops every field the schema does not know (what an API server silently prunes from custom resources) and lists
 * their paths. `x-kubernetes-preserve-unknown-fields` keeps unknown fields at that level; known properties below
 * are still pruned. Returns a copy; the input is not modified.
 * @public
 */
export function pruneStructural<T>(
  schema: JSONSchemaProps,
  value: T,
): { value: T; pruned: string[] } {
  const pruned: string[] = [];
  const out = prune(schema, value, '', pruned, true, false) as T;
  return { value: out, pruned };
}

function defaults(schema: JSONSchemaProps | undefined, v: unknown): unknown {
  if (!schema) return v;
  if (Array.isArray(v))
    return schema.items ? v.map(x => defaults(schema.items, x)) : v;
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = { ...v };
  for (const [k, prop] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && prop.default !== undefined)
      out[k] = JSON.parse(JSON.stringify(prop.default));
    if (out[k] === null && prop.default !== undefined && !prop.nullable)
      out[k] = JSON.parse(JSON.stringify(prop.default));
    if (out[k] !== undefined) out[k] = defaults(prop, out[k]);
  }
  if (isObj(schema.additionalProperties)) {
    for (const k of Object.keys(out))
      if (!propertyOf(schema, k))
        setOwn(out, k, defaults(schema.additionalProperties, out[k]));
  }
  return out;
}

/**
 * Applies schema `default`s like the API server (missing fields, and nulls of non-nullable fields, get the default;
 * defaults apply inside array items and additionalProperties). Returns a copy.
 * @public
 */
export function applyDefaults<T>(schema: JSONSchemaProps, value: T): T {
  return defaults(schema, value) as T;
}

/** Lists the CEL rules of a schema with the paths they apply to (they are not evaluated here). @public */
export function celRules(
  schema: JSONSchemaProps,
  path = '',
): Array<{ path: string; rule: string; message?: string }> {
  const out: Array<{ path: string; rule: string; message?: string }> = [];
  for (const r of schema['x-kubernetes-validations'] ?? [])
    out.push({ path, rule: r.rule, message: r.message });
  for (const [k, p] of Object.entries(schema.properties ?? {}))
    out.push(...celRules(p, joinPath(path, k)));
  if (schema.items) out.push(...celRules(schema.items, `${path}[*]`));
  if (isObj(schema.additionalProperties))
    out.push(...celRules(schema.additionalProperties, `${path}[*]`));
  return out;
}
