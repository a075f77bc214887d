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

import type { z as z3 } from 'zod/v3';
import type { z as z4 } from 'zod';

/** The zod v3 namespace the actions registry hands to `schema.input` / `schema.output`. */
export type ZodV3 = typeof z3;

/**
 * `input`: objects are as strict as the contract's (a strictObject rejects unknown keys, a looseObject keeps them).
 * `output`: every object keeps unknown keys (the registry parses outputs and would otherwise drop what the contract
 * leaves open).
 */
export type SchemaMode = 'input' | 'output';

type Def = { type: string; [key: string]: any };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;
const checksOf = (d: Def): Def[] =>
  ((d.checks ?? []) as unknown[]).map(c => defOf(c));

function stringOf(z: ZodV3, d: Def): z3.ZodTypeAny {
  let s = z.string();
  if (d.format === 'uuid') s = s.uuid();
  else if (d.format && d.pattern instanceof RegExp) s = s.regex(d.pattern);
  for (const c of checksOf(d)) {
    if (c.check === 'min_length') s = s.min(c.minimum);
    else if (c.check === 'max_length') s = s.max(c.maximum);
    else if (c.check === 'string_format' && c.pattern instanceof RegExp)
      s = s.regex(c.pattern);
  }
  return s;
}

function numberOf(z: ZodV3, d: Def): z3.ZodTypeAny {
  let n = z.number();
  for (const c of checksOf(d)) {
    if (c.check === 'number_format' && /int/.test(String(c.format)))
      n = n.int();
    else if (c.check === 'greater_than')
      n = c.inclusive ? n.min(c.value) : n.gt(c.value);
    else if (c.check === 'less_than')
      n = c.inclusive ? n.max(c.value) : n.lt(c.value);
  }
  return n;
}

function literalsOf(z: ZodV3, values: unknown[]): z3.ZodTypeAny {
  const ls = values.map(v => z.literal(v as z3.Primitive));
  if (ls.length === 1) return ls[0];
  return z.union(ls as unknown as [z3.ZodTypeAny, z3.ZodTypeAny]);
}

function objectOf(
  z: ZodV3,
  d: Def,
  mode: SchemaMode,
): z3.ZodObject<z3.ZodRawShape> {
  const shape: z3.ZodRawShape = {};
  for (const [k, v] of Object.entries(d.shape as Record<string, unknown>))
    shape[k] = toZodV3(z, v as z4.ZodType, mode);
  const o = z.object(shape);
  if (mode === 'output') return o.passthrough();
  const catchall = d.catchall ? defOf(d.catchall).type : undefined;
  if (catchall === 'never') return o.strict();
  if (catchall) return o.passthrough();
  return o;
}

/** The zod v4 types {@link toZodV3} carries over (anything else becomes `any`). */
export const CONVERTED_TYPES = [
  'string',
  'number',
  'boolean',
  'null',
  'unknown',
  'literal',
  'enum',
  'optional',
  'default',
  'prefault',
  'nullable',
  'readonly',
  'catch',
  'nonoptional',
  'array',
  'object',
  'union',
  'intersection',
  'record',
  'pipe',
] as const;

function convert(z: ZodV3, d: Def, mode: SchemaMode): z3.ZodTypeAny {
  switch (d.type) {
    case 'string':
      return stringOf(z, d);
    case 'number':
      return numberOf(z, d);
    case 'boolean':
      return z.boolean();
    case 'null':
      return z.null();
    case 'unknown':
      return z.unknown();
    case 'literal':
      return literalsOf(z, d.values as unknown[]);
    case 'enum': {
      const values = Object.values(d.entries as Record<string, unknown>);
      return values.every(v => typeof v === 'string')
        ? z.enum(values as [string, ...string[]])
        : literalsOf(z, values);
    }
    case 'optional':
    case 'default':
    case 'prefault':
      return toZodV3(z, d.innerType, mode).optional();
    case 'nullable':
      return toZodV3(z, d.innerType, mode).nullable();
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return toZodV3(z, d.innerType, mode);
    case 'array': {
      let a = z.array(toZodV3(z, d.element, mode));
      for (const c of checksOf(d)) {
        if (c.check === 'min_length') a = a.min(c.minimum);
        else if (c.check === 'max_length') a = a.max(c.maximum);
      }
      return a;
    }
    case 'object':
      return objectOf(z, d, mode);
    case 'union': {
      const options = (d.options as z4.ZodType[]).map(o => toZodV3(z, o, mode));
      return options.length === 1
        ? options[0]
        : z.union(options as [z3.ZodTypeAny, z3.ZodTypeAny]);
    }
    case 'intersection':
      return z.intersection(
        toZodV3(z, d.left, mode),
        toZodV3(z, d.right, mode),
      );
    case 'record':
      return z.record(z.string(), toZodV3(z, d.valueType, mode));
    case 'pipe':
      return toZodV3(z, mode === 'input' ? d.in : d.out, mode);
    default:
      // Anything else (lazy, custom, transform …) is described as "any": the action parses its input with the
      // contract's own schema anyway.
      return z.any();
  }
}

/**
 * A zod v3 schema with the shape, limits and descriptions of a zod v4 schema of the REST contract
 * (`@fusioninfer/plugin-fusioninfer-common`), for the actions registry, which takes v3 schemas (it parses with them
 * and publishes them as JSON Schema). Refinements cannot be carried over: each action parses its input again with the
 * contract's v4 schema, so it accepts exactly what the REST route accepts, with the same messages.
 */
export function toZodV3(
  z: ZodV3,
  schema: z4.ZodType,
  mode: SchemaMode,
): z3.ZodTypeAny {
  const out = convert(z, defOf(schema), mode);
  const description = (schema as { description?: string }).description;
  return description ? out.describe(description) : out;
}

/** {@link toZodV3} of a v4 object schema, typed as the registry's top-level object. */
export function objectToZodV3(
  z: ZodV3,
  schema: z4.ZodObject,
  mode: SchemaMode,
): z3.AnyZodObject {
  return toZodV3(z, schema, mode) as z3.AnyZodObject;
}

/**
 * One object for the answers of a REST route (`outcome: 'applied'` 200 and `outcome: 'approval-required'` 202):
 * `outcome` is one of their literals, every other field of either is optional (the registry wants one object, not a
 * union). Fields both share keep the first one's schema.
 */
export function outcomesToZodV3(
  z: ZodV3,
  schemas: z4.ZodObject[],
): z3.AnyZodObject {
  const outcomes: string[] = [];
  const shape: z3.ZodRawShape = {};
  for (const s of schemas)
    for (const [k, v] of Object.entries(s.shape)) {
      if (k === 'outcome') {
        outcomes.push(...(defOf(v).values as string[]));
        continue;
      }
      if (!(k in shape))
        shape[k] = toZodV3(z, v as z4.ZodType, 'output').optional();
    }
  return z
    .object({
      outcome: z
        .enum(outcomes as [string, ...string[]])
        .describe(
          'applied: the change was written; approval-required: policy holds it as an approval request (nothing changed)',
        ),
      ...shape,
    })
    .passthrough();
}
