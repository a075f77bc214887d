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

import { readFileSync, readdirSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';
import {
  clusterSnapshotOf,
  KubeObject,
  preflight,
  renderInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { startDevCluster } from '@fusioninfer/dev-cluster';
import { waitFor } from '@fusioninfer/test-utils';
import { ModelResolver, modelNames } from './preflight';

const QWEN_CONFIG = {
  architectures: ['Qwen3ForCausalLM'],
  hidden_size: 4096,
  intermediate_size: 12288,
  max_position_embeddings: 40960,
  num_attention_heads: 32,
  num_hidden_layers: 36,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 151936,
  torch_dtype: 'bfloat16',
};

const manifestFor = (model: string) => ({
  spec: {
    roles: [
      {
        name: 'w',
        componentType: 'worker',
        template: {
          spec: {
            containers: [
              { image: 'vllm/vllm-openai:v0.19.0', args: ['--model', model] },
            ],
          },
        },
      },
    ],
  },
});

describe('ModelResolver', () => {
  const respond = (status: number, body: unknown) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
    });

  it('fetches an unknown model’s config.json and safetensors index once, with the token, and caches both answers', async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    const fetchImpl = jest.fn(async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      if (url.endsWith('/acme/private-8b/resolve/main/config.json'))
        return respond(200, QWEN_CONFIG);
      if (
        url.endsWith(
          '/acme/private-8b/resolve/main/model.safetensors.index.json',
        )
      )
        return respond(200, { metadata: { total_size: 16_381_470_720 } });
      return respond(404, 'not found');
    });
    const resolver = new ModelResolver(
      {
        models: [],
        huggingFace: {
          baseUrl: 'https://hf.example/',
          token: 'hf_secret',
          timeoutMs: 1000,
          cacheTtlMs: 60_000,
        },
      },
      undefined,
      fetchImpl,
    );
    const catalog = await resolver.catalogFor(manifestFor('acme/private-8b'));
    expect(catalog.find('acme/private-8b')).toMatchObject({
      id: 'acme/private-8b',
      weightsBytes: 16_381_470_720,
      source: 'https://hf.example/acme/private-8b',
      config: { num_hidden_layers: 36 },
    });
    expect((calls[0][1]?.headers as Record<string, string>).authorization).toBe(
      'Bearer hf_secret',
    );
    await resolver.catalogFor(manifestFor('acme/private-8b'));
    expect(fetchImpl).toHaveBeenCalledTimes(2);
    // Not found: unknown, asked once within the negative cache time.
    const none = await resolver.catalogFor(manifestFor('acme/missing'));
    expect(none.find('acme/missing')).toBeUndefined();
    await resolver.catalogFor(manifestFor('acme/missing'));
    expect(fetchImpl).toHaveBeenCalledTimes(3);
  });

  it('never fetches without the endpoint configured, for shipped models, or for paths that are not repository ids', async () => {
    const fetchImpl = jest.fn();
    const off = new ModelResolver({ models: [] }, undefined, fetchImpl);
    expect(
      (await off.catalogFor(manifestFor('acme/x'))).find('acme/x'),
    ).toBeUndefined();
    const on = new ModelResolver(
      {
        models: [],
        huggingFace: {
          baseUrl: 'https://hf.example',
          timeoutMs: 1000,
          cacheTtlMs: 1000,
        },
      },
      undefined,
      fetchImpl,
    );
    await on.catalogFor(manifestFor('Qwen/Qwen3-8B')); // shipped
    await on.catalogFor(manifestFor('/models/local'));
    await on.catalogFor(manifestFor('../../etc/passwd'));
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('refuses a config larger than 1 MiB and survives an endpoint that fails', async () => {
    const big = new ModelResolver(
      {
        models: [],
        huggingFace: {
          baseUrl: 'https://hf.example',
          timeoutMs: 1000,
          cacheTtlMs: 1000,
        },
      },
      undefined,
      async () => respond(200, `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`),
    );
    expect(
      (await big.catalogFor(manifestFor('acme/big'))).find('acme/big'),
    ).toBeUndefined();
    const down = new ModelResolver(
      {
        models: [],
        huggingFace: {
          baseUrl: 'https://hf.example',
          timeoutMs: 1000,
          cacheTtlMs: 1000,
        },
      },
      undefined,
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
    );
    expect(
      (await down.catalogFor(manifestFor('acme/down'))).find('acme/down'),
    ).toBeUndefined();
  });

  it('configured models join the shipped ones and win by id', async () => {
    const r = new ModelResolver({
      models: [
        {
          id: 'Qwen/Qwen3-8B',
          parameters: 1,
          config: { ...QWEN_CONFIG, num_hidden_layers: 2 },
        },
      ],
    });
    const c = await r.catalogFor(manifestFor('Qwen/Qwen3-8B'));
    expect(c.find('Qwen/Qwen3-8B')?.config.num_hidden_layers).toBe(2);
    expect(c.find('meta-llama/Llama-3.1-8B-Instruct')).toBeDefined();
    expect([...modelNames(manifestFor('a/b'))]).toEqual(['a/b']);
  });
});

/**
 * The gang verdict of the pre-flight against what the development cluster's scheduler then does: every example and
 * demo service, rendered and created on a fresh cluster (4 nodes × 8 GPUs), fits exactly when all its pods get bound.
 */
describe('pre-flight placement = the development cluster’s scheduler', () => {
  const root = path.resolve(__dirname, '../../../../examples');
  const files = [
    ...readdirSync(root)
      .filter(f => f.endsWith('.yaml'))
      .map(f => path.join(root, f)),
    ...readdirSync(path.join(root, 'demo'))
      .filter(f => f.endsWith('.yaml'))
      .map(f => path.join(root, 'demo', f)),
  ];

  it.each(files.map(f => [path.relative(root, f), f] as const))(
    '%s',
    async (_name, file) => {
      const isvc = parse(readFileSync(file, 'utf8'));
      isvc.metadata = { ...isvc.metadata, namespace: 'default' };
      const dev = await startDevCluster({
        simulation: { podStartupDelayMs: 10 },
      });
      try {
        const type = (g: string, v: string, r: string) =>
          dev.api.findType(g, v, r)!;
        const nodes = dev.api.list(type('', 'v1', 'nodes'), undefined)
          .items as KubeObject[];
        const pods0 = dev.api.list(type('', 'v1', 'pods'), undefined)
          .items as any[];
        const report = preflight(isvc, clusterSnapshotOf(nodes, pods0));
        const isvcType = type(
          'fusioninfer.io',
          'v1alpha1',
          'inferenceservices',
        );
        const created = dev.api.create(isvcType, 'default', isvc, {
          fieldManager: 'test',
        });
        for (const child of renderInferenceService(created, {
          namespace: 'default',
          ownerUid: created.metadata.uid,
        }).children) {
          const t = dev.api.typeForObject(child);
          if (!t)
            throw new Error(`no type for ${child.apiVersion} ${child.kind}`);
          dev.api.create(t, 'default', child, { fieldManager: 'test' });
        }
        const expected = report.gang.pods;
        // Wait for what a user waits for: every pod bound, or every pod the scheduler could not place marked so.
        const outcome = await waitFor(
          () => {
            const pods = (
              dev.api.list(type('', 'v1', 'pods'), 'default').items as any[]
            ).filter(
              p =>
                p.metadata.labels?.['fusioninfer.io/service'] ===
                  isvc.metadata.name || p.metadata.ownerReferences?.length,
            );
            const workload = pods.filter(
              p => !p.metadata.name.includes('-epp-'),
            );
            if (workload.length < expected) return undefined;
            const bound = workload.filter(p => p.spec.nodeName).length;
            const refused = workload.filter(p =>
              p.status?.conditions?.some(
                (c: any) => c.type === 'PodScheduled' && c.status === 'False',
              ),
            ).length;
            if (bound === workload.length) return { fits: true, bound };
            if (bound + refused === workload.length && refused > 0)
              return { fits: false, bound };
            return undefined;
          },
          {
            timeoutMs: 60_000,
            what: `the pods of ${isvc.metadata.name} to be scheduled or refused`,
          },
        );
        expect({
          fits: report.gang.fits,
          message: report.gang.message,
        }).toMatchObject({ fits: outcome.fits });
      } finally {
        await dev.close();
      }
    },
    90_000,
  );
});
