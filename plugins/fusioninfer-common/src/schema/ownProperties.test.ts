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

import { parse } from 'yaml';
import { formatIssue, validateInferenceService } from '../validate';
import { applyDefaults, pruneStructural, validateStructural } from '.';

/** Field names that live on Object.prototype (review L3). */
const NAMES = [
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
];

const manifest = (extra: string) => `{
  "apiVersion": "fusioninfer.io/v1alpha1",
  "kind": "InferenceService",
  "metadata": {"name": "svc"},
  "spec": {${extra}
    "roles": [{"name": "w", "componentType": "worker",
      "template": {"spec": {"containers": [{"name": "c", "image": "vllm:ok"}]}}}]
  }
}`;

describe('unknown fields named like Object.prototype members (review L3)', () => {
  for (const name of NAMES) {
    for (const value of ['"x"', '1', '{"a": 1}']) {
      const text = manifest(`"${name}": ${value},`);
      for (const [how, parsed] of [
        ['JSON.parse', JSON.parse(text)],
        ['YAML', parse(text)],
      ] as const) {
        it(`spec.${name} = ${value} via ${how} is an unknown field`, () => {
          const r = validateInferenceService(parsed);
          expect(r.valid).toBe(false);
          expect(r.errors.map(formatIssue)).toContainEqual(
            expect.stringMatching(
              new RegExp(
                `^spec\\.${name}: unknown field: the InferenceService schema has no such field`,
              ),
            ),
          );
          expect(({} as any).polluted).toBeUndefined();
        });
      }
    }
  }

  it('does not count a missing required field as present because of the prototype', () => {
    const schema = {
      type: 'object',
      required: ['toString', 'constructor'],
      properties: {
        toString: { type: 'string' },
        constructor: { type: 'string' },
      },
    };
    expect(validateStructural(schema, {}).map(i => i.path)).toEqual([
      'toString',
      'constructor',
    ]);
  });

  it('prunes them, and keeps a preserved __proto__ as an own field (not a prototype)', () => {
    const schema = {
      type: 'object',
      properties: {
        known: { type: 'string' },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    const value = JSON.parse(
      '{"known": "k", "toString": "x", "free": {"__proto__": {"polluted": 1}, "constructor": 2}}',
    );
    const { value: out, pruned } = pruneStructural(schema, value);
    expect(pruned).toEqual(['toString']);
    expect(Object.getPrototypeOf(out.free)).toBe(Object.prototype);
    expect(Object.keys(out.free)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(out)).toBe(
      '{"known":"k","free":{"__proto__":{"polluted":1},"constructor":2}}',
    );
    const defaulted = applyDefaults(
      { type: 'object', additionalProperties: { type: 'object' } } as any,
      JSON.parse('{"__proto__": {"a": 1}}'),
    ) as object;
    expect(Object.getPrototypeOf(defaulted)).toBe(Object.prototype);
    expect(Object.keys(defaulted)).toEqual(['__proto__']);
  });
});

describe('list-type set', () => {
  it('finds duplicates in linear time (a 50,000-item list was quadratic: over a billion comparisons)', () => {
    const schema = {
      type: 'array',
      'x-kubernetes-list-type': 'set',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    };
    const list = Array.from({ length: 50000 }, (_, i) => ({ a: i, b: [i] }));
    list.push({ b: [7], a: 7 }); // same value, other key order
    expect(validateStructural(schema, list)).toEqual([
      {
        path: '[50000]',
        type: 'duplicate',
        message: 'Duplicate value: {"b":[7],"a":7}',
      },
    ]);
  });
});
