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

import { z as z3 } from 'zod/v3';
import {
  approvalIdParamsSchema,
  approvalRequiredResponseSchema,
  fusioninferRoutes,
  scaleResponseSchema,
} from '@fusioninfer/plugin-fusioninfer-common';
import * as schemas from './schemas';
import {
  CONVERTED_TYPES,
  objectToZodV3,
  outcomesToZodV3,
  toZodV3,
} from './zodV3';

/** Every zod v4 type used anywhere in a schema. */
function typesOf(schema: unknown, seen = new Set<unknown>()): Set<string> {
  const out = new Set<string>();
  const walk = (s: unknown) => {
    if (!s || typeof s !== 'object' || seen.has(s) || !('_zod' in s)) return;
    seen.add(s);
    const d = (s as any)._zod.def;
    out.add(d.type);
    for (const k of ['innerType', 'element', 'valueType', 'in']) walk(d[k]);
    // A pipe's transform (`?limit=10` → 10) has no schema of its output: `any` is right there.
    if (d.out && d.out._zod.def.type !== 'transform') walk(d.out);
    for (const o of d.options ?? []) walk(o);
    if (d.left) walk(d.left);
    if (d.right) walk(d.right);
    for (const v of Object.values(d.shape ?? {})) walk(v);
  };
  walk(schema);
  return out;
}

describe('zod v4 contract schemas as zod v3 for the actions registry', () => {
  it('carries every type of the REST contract and of the action schemas', () => {
    const all = new Set<string>();
    for (const route of Object.values(fusioninferRoutes)) {
      const r = route as Record<string, any>;
      for (const s of [
        r.params,
        r.query,
        r.body,
        ...Object.values(r.responses),
      ])
        if (s) for (const t of typesOf(s)) all.add(t);
    }
    for (const s of Object.values(schemas))
      for (const t of typesOf(s)) all.add(t);
    expect(
      [...all].filter(t => !(CONVERTED_TYPES as readonly string[]).includes(t)),
    ).toEqual([]);
  });

  it('keeps strictness, limits and formats for inputs and open objects for outputs', () => {
    const scale = objectToZodV3(z3, schemas.scaleInput, 'input');
    const ok = {
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
      role: 'worker',
      replicas: 2,
    };
    expect(scale.safeParse(ok).success).toBe(true);
    expect(scale.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    expect(scale.safeParse({ ...ok, replicas: 10001 }).success).toBe(false);
    expect(scale.safeParse({ ...ok, replicas: 1.5 }).success).toBe(false);
    expect(scale.safeParse({ ...ok, role: 'x'.repeat(64) }).success).toBe(
      false,
    );
    const id = toZodV3(z3, approvalIdParamsSchema, 'input');
    expect(id.safeParse({ id: 'nope' }).success).toBe(false);
    expect(
      id.safeParse({ id: '00000000-0000-4000-8000-000000000000' }).success,
    ).toBe(true);
    // Outputs keep what the contract leaves open, and the two answers of a route are one object.
    const out = outcomesToZodV3(z3, [
      scaleResponseSchema,
      approvalRequiredResponseSchema,
    ]);
    const applied = {
      outcome: 'applied',
      name: 'qwen',
      roles: [{ name: 'worker', replicas: 2 }],
      more: true,
    };
    expect(out.parse(applied)).toEqual(applied);
    expect(out.safeParse({ outcome: 'maybe' }).success).toBe(false);
  });
});
