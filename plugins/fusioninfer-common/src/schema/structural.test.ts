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
  applyDefaults,
  celRules,
  JSONSchemaProps,
  pruneStructural,
  validateStructural,
} from './structural';
import { crdSchemaFor, parseCrd } from './crds';
import { inferenceServiceCrd } from '../crd/inferenceServiceCrd';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        replicas: {
          type: 'integer',
          format: 'int32',
          minimum: 0,
          maximum: 10,
          default: 1,
        },
        port: { 'x-kubernetes-int-or-string': true },
        mode: { type: 'string', enum: ['a', 'b'] },
        ratio: { type: 'number', exclusiveMaximum: true, maximum: 1 },
        note: { type: 'string', nullable: true },
        tags: {
          type: 'array',
          'x-kubernetes-list-type': 'set',
          items: { type: 'string' },
        },
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              size: { type: 'integer', default: 3 },
            },
          },
        },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: {
            known: { type: 'object', properties: { x: { type: 'string' } } },
          },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: {
            spec: { type: 'object', properties: { a: { type: 'string' } } },
          },
        },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
      'x-kubernetes-validations': [
        { rule: 'self.replicas <= 10', message: 'too many' },
      ],
    },
  },
};

const issues = (spec: unknown) =>
  validateStructural(schema, {
    apiVersion: 'x/v1',
    kind: 'X',
    metadata: { name: 'n' },
    spec,
  }).map(i => `${i.type} ${i.path}: ${i.message}`);

describe('validateStructural', () => {
  it('accepts a valid object and skips apiVersion/kind/metadata at the root', () => {
    expect(
      issues({
        name: 'abc',
        replicas: 2,
        port: 'http',
        mode: 'a',
        ratio: 0.5,
        note: null,
        tags: ['x', 'y'],
        items: [{ name: 'p' }, { name: 'q' }],
        either: 3,
      }),
    ).toEqual([]);
  });

  it('reports every violation with Kubernetes-style paths and messages', () => {
    const out = issues({
      replicas: -1,
      port: 1.5,
      mode: 'c',
      ratio: 1,
      tags: ['x', 'x'],
      items: [{ name: 'p' }, { name: 'p' }],
      labels: { a: 1 },
      either: true,
      name: 'ABCDEFG',
    });
    expect(out).toEqual(
      expect.arrayContaining([
        'range spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
        'type spec.port: Invalid value: 1.5: spec.port in body must be of type integer or string: "number"',
        'enum spec.mode: Unsupported value: "c": supported values: "a", "b"',
        'range spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1',
        'duplicate spec.tags[1]: Duplicate value: "x"',
        'duplicate spec.items[1]: Duplicate value: map[string]interface {}{"name":"p"}',
        'type spec.labels.a: Invalid value: 1: spec.labels.a in body must be of type string: "integer"',
        'combinator spec.either: Invalid value: true: spec.either in body must match at least one schema (anyOf)',
        'length spec.name: Too long: may not be more than 5 bytes',
      ]),
    );
    expect(out.some(o => o.startsWith('pattern spec.name'))).toBe(true);
    expect(issues({})).toEqual(['required spec.name: Required value']);
    expect(issues({ name: 'a', replicas: 2 ** 31 })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/should be a valid int32/),
      ]),
    );
  });

  it('requires apiVersion and kind of embedded resources', () => {
    expect(issues({ name: 'a', template: { spec: {} } })).toEqual([
      'required spec.template.apiVersion: Required value: must not be empty',
      'required spec.template.kind: Required value: must not be empty',
    ]);
  });
});

describe('pruneStructural', () => {
  it('drops unknown fields and lists their paths, keeps preserved and embedded metadata, never mutates the input', () => {
    const input = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: {
        name: 'a',
        bogus: 1,
        free: { anything: { deep: true }, known: { x: 'ok', y: 'gone' } },
        template: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { labels: { a: 'b' } },
          spec: { a: 'x', b: 'gone' },
        },
        labels: { any: 'x' },
      },
      extra: true,
    };
    const copy = JSON.parse(JSON.stringify(input));
    const { value, pruned } = pruneStructural(schema, input);
    expect(pruned.sort()).toEqual([
      'extra',
      'spec.bogus',
      'spec.free.known.y',
      'spec.template.spec.b',
    ]);
    expect((value as any).spec.free.anything).toEqual({ deep: true });
    expect((value as any).spec.template.metadata).toEqual({
      labels: { a: 'b' },
    });
    expect((value as any).spec.labels).toEqual({ any: 'x' });
    expect(input).toEqual(copy);
  });
});

describe('applyDefaults', () => {
  it('fills missing and non-nullable null fields, inside array items too', () => {
    const out = applyDefaults(schema, {
      spec: {
        name: 'a',
        replicas: null,
        items: [{ name: 'p' }, { name: 'q', size: 7 }],
      },
    }) as any;
    expect(out.spec.replicas).toBe(1);
    expect(out.spec.items).toEqual([
      { name: 'p', size: 3 },
      { name: 'q', size: 7 },
    ]);
  });
});

describe('CRD helpers', () => {
  it('lists CEL rules with their paths', () => {
    expect(celRules(schema)).toEqual([
      { path: 'spec', rule: 'self.replicas <= 10', message: 'too many' },
    ]);
  });

  it('reads the shipped InferenceService CRD: names, served version, structural schema and its CEL rules', () => {
    const info = parseCrd(inferenceServiceCrd);
    expect(info).toMatchObject({
      group: 'fusioninfer.io',
      kind: 'InferenceService',
      plural: 'inferenceservices',
    });
    const s = crdSchemaFor(inferenceServiceCrd, 'v1alpha1')!;
    expect(s.properties?.spec).toBeDefined();
    expect(celRules(s).length).toBeGreaterThan(0);
    expect(crdSchemaFor(inferenceServiceCrd, 'v9')).toBeUndefined();
  });
});
