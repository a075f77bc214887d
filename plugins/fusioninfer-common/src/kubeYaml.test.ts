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

import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { parse, parseDocument } from 'yaml';
import { loadExamples } from './__testUtils__/examples';
import {
  findYamlAmbiguities,
  kubectlPlainScalar,
  stringifyKubernetesYaml,
  YAML_MAX_NESTING_BOUND,
  yamlNestingBound,
} from './kubeYaml';
import { renderInferenceService } from './render';
import { validateInferenceService } from './validate';

const TRICKY = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Y',
  'ON',
  'true',
  'False',
  '~',
  'null',
  '',
  '017',
  '0o17',
  '0b11',
  '1_000',
  '0x1F',
  '09',
  '1:30',
  '2001-12-14',
  '+.5',
  '.inf',
  '1e3',
  '-0',
  '1.2.3',
  '<<',
  'plain text',
  'vllm:kv_cache_usage_perc',
];

/** kubectl's own YAML reader (sigs.k8s.io/yaml, go-yaml v2), reached offline through `kubectl config view`. */
function kubectlRead(values: Record<string, string>): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-kubectl-'));
  try {
    const body = Object.entries(values)
      .map(([k, v]) => `        ${k}: ${v}`)
      .join('\n');
    const file = path.join(dir, 'config');
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://x\n    extensions:\n    - name: e\n      extension:\n${body}\n`,
    );
    const out = execFileSync(
      'kubectl',
      ['config', 'view', '--kubeconfig', file, '-o', 'json'],
      { encoding: 'utf8', timeout: 20000 },
    );
    return JSON.parse(out).clusters[0].cluster.extensions[0].extension;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const haveKubectl =
  spawnSync('kubectl', ['version', '--client'], { timeout: 20000 }).status ===
  0;
/** Skipped (and counted as skipped) when kubectl is not on the machine. */
const describeWithKubectl = haveKubectl ? describe : describe.skip;

describe('stringifyKubernetesYaml (review M8)', () => {
  it('quotes every string a YAML 1.1 or 1.2 reader could take for something else', () => {
    const value = Object.fromEntries(TRICKY.map((s, i) => [`k${i}`, s]));
    const text = stringifyKubernetesYaml(value);
    expect(text).toContain('k0: "yes"');
    expect(text).toContain('k2: "on"');
    expect(text).toContain('k16: "1_000"');
    expect(text).toContain('k13: "017"');
    expect(text).toContain('k14: "0o17"');
    expect(parse(text)).toEqual(value);
    expect(findYamlAmbiguities(parseDocument(text))).toEqual([]);
    // keys too
    expect(stringifyKubernetesYaml({ on: 1, '017': 'x' })).toBe(
      '"on": 1\n"017": x\n',
    );
  });

  it('keeps rendered children byte-compatible where nothing is ambiguous', () => {
    for (const isvc of Object.values(loadExamples()))
      for (const child of renderInferenceService(isvc).children)
        expect(parse(stringifyKubernetesYaml(child))).toEqual(
          JSON.parse(JSON.stringify(child)),
        );
  });
});

describe('kubectlPlainScalar', () => {
  it('reads plain scalars as go-yaml v2 does', () => {
    expect(TRICKY.map(kubectlPlainScalar)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
      null,
      null,
      null,
      15,
      15,
      3,
      1000,
      31,
      9,
      '1:30',
      '2001-12-14',
      0.5,
      Infinity,
      1000,
      0,
      '1.2.3',
      '<<',
      'plain text',
      'vllm:kv_cache_usage_perc',
    ]);
  });
});

describe('findYamlAmbiguities', () => {
  it('names each scalar kubectl reads differently, with its path', () => {
    const doc = parseDocument(
      [
        'spec:',
        '  roles:',
        '  - name: w',
        '    replicas: 017',
        '    template:',
        '      spec:',
        '        containers:',
        '        - env:',
        '          - {name: A, value: yes}',
        '          - {name: B, value: 1_000}',
        '          - {name: C, value: "yes"}',
        '          - {name: D, value: 0o17}',
        '          - {name: E, value: 0b11}',
        '          - {name: F, value: 1:30}',
        '          - {name: G, value: 0x1F}',
        '          - {name: H, value: 17}',
        'on: x',
        'base: &b {a: 1}',
        'other:',
        '  <<: *b',
      ].join('\n'),
    );
    const found = findYamlAmbiguities(doc);
    expect(found.map(f => f.path)).toEqual([
      'spec.roles[0].replicas',
      'spec.roles[0].template.spec.containers[0].env[0].value',
      'spec.roles[0].template.spec.containers[0].env[1].value',
      'spec.roles[0].template.spec.containers[0].env[3].value',
      'spec.roles[0].template.spec.containers[0].env[4].value',
      'on',
      'other["<<"]',
    ]);
    expect(found[0].message).toBe(
      'ambiguous value 017: kubectl (YAML 1.1) reads the number 15, YAML 1.2 the number 17; quote it ("017") for a string, or write the number in decimal without leading zeros or "_" that is meant',
    );
    expect(found[1].message).toMatch(
      /^ambiguous value yes: kubectl \(YAML 1\.1\) reads the boolean true, YAML 1\.2 the string "yes"; quote it/,
    );
    expect(found[5].message).toMatch(/^ambiguous key on: /);
  });
});

describeWithKubectl('kubectl itself (when installed)', () => {
  it('is read back by kubectl as exactly the same strings', () => {
    const value = Object.fromEntries(TRICKY.map((s, i) => [`k${i}`, s]));
    const lines = stringifyKubernetesYaml(value).trimEnd().split('\n');
    const asRead = kubectlRead(
      Object.fromEntries(
        lines.map(l => [l.split(': ')[0], l.slice(l.indexOf(': ') + 2)]),
      ),
    );
    expect(asRead).toEqual(value);
  });

  it('agrees with kubectl itself', () => {
    const plain = TRICKY.filter(
      s => s !== '' && s !== '<<' && s !== '.inf' && s !== '~' && s !== 'null',
    );
    const asRead = kubectlRead(
      Object.fromEntries(plain.map((s, i) => [`k${i}`, s])),
    );
    plain.forEach((s, i) =>
      expect({ s, v: asRead[`k${i}`] }).toEqual({
        s,
        v: kubectlPlainScalar(s),
      }),
    );
  });
});

describe('yamlNestingBound (deep YAML must not reach the recursive parser)', () => {
  const block = (n: number) =>
    Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n');

  it('is an upper bound of the real depth, and small for real documents', () => {
    expect(yamlNestingBound('a: 1')).toBeLessThanOrEqual(8); // the value at column 3: 2 × 3 + 2
    for (const isvc of Object.values(loadExamples()))
      expect(yamlNestingBound(stringifyKubernetesYaml(isvc))).toBeLessThan(100);
    expect(yamlNestingBound('[[[[x]]]]')).toBeGreaterThanOrEqual(4);
    expect(yamlNestingBound('- - - - x')).toBeGreaterThanOrEqual(4);
    expect(yamlNestingBound(block(50))).toBeGreaterThanOrEqual(50);
    expect(
      yamlNestingBound('a:\n- b:\n  - c:\n    - d: 1'),
    ).toBeGreaterThanOrEqual(6);
  });

  it('is not fooled by brackets in quotes, comments or block scalars', () => {
    const q = Array.from(
      { length: 300 },
      () => `["${']'.repeat(50)}", '}}', `,
    ).join('');
    expect(yamlNestingBound(`${q}${'['.repeat(500)}`)).toBeGreaterThan(
      YAML_MAX_NESTING_BOUND,
    );
    expect(
      yamlNestingBound(
        `a: "${'['.repeat(1000)}"\n# ${'['.repeat(1000)}\nb: |\n  ${'['.repeat(1000)}\n`,
      ),
    ).toBeLessThan(10);
  });

  it('flags hostile nesting quickly, however it is written', () => {
    for (const text of [
      '['.repeat(100000),
      '{a: '.repeat(30000),
      `${'- '.repeat(50000)}x`,
      block(800),
    ])
      expect(yamlNestingBound(text)).toBeGreaterThan(YAML_MAX_NESTING_BOUND);
  });

  it('keeps validate and render of a hostile endpointPickerConfig an ordinary error (it crashed the process)', () => {
    const svc = {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 's' },
      spec: {
        roles: [
          {
            name: 'r',
            componentType: 'router',
            endpointPickerConfig: '['.repeat(60000), // within the size limit
            httproute: { parentRefs: [{ name: 'g' }] },
          },
          {
            name: 'w',
            componentType: 'worker',
            template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
          },
        ],
      },
    };
    const v = validateInferenceService(svc);
    expect(v.errors.map(e => `${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(
        /^spec\.roles\[0\]\.endpointPickerConfig: is nested too deeply to be parsed safely/,
      ),
    ]);
    expect(() => renderInferenceService(svc)).not.toThrow();
  });
});
