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

import fs from 'fs';
import os from 'os';
import path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { UPSTREAM_EXAMPLE_PARAMETERS } from '@fusioninfer/plugin-fusioninfer-common/builder';
import { context, exampleInputs } from '../__testUtils__/mocks';
import { createRenderAction } from './render';
import { examples } from './render.examples';
import { loadExample } from '@fusioninfer/test-utils';

const action = createRenderAction();

let workspace: string;
beforeEach(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-render-'));
});
afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

const run = async (input: Record<string, any>, isDryRun = false) => {
  const c = context(input, { workspacePath: workspace, isDryRun });
  await action.handler(c.ctx as any);
  return c;
};
const failure = async (input: Record<string, any>) => {
  const c = context(input, { workspacePath: workspace });
  const error = await action.handler(c.ctx as any).then(
    () => undefined,
    e => e as Error,
  );
  if (!error) throw new Error('expected the step to fail');
  return { error, c };
};

describe('fusioninfer:service:render', () => {
  it.each(exampleInputs(examples).map((input, i) => [i, input]))(
    'runs example %s',
    async (_, input) => {
      const { outputs } = await run(input);
      const o = outputs();
      expect(o.manifest).toMatchObject({ kind: 'InferenceService' });
      expect(o.children.length).toBe(o.summary.children);
      expect(o.summary.gpus).toBeGreaterThan(0);
    },
  );

  it('renders every upstream example from its template parameters (same builder), only adding the namespace', async () => {
    for (const [file, parameters] of Object.entries(
      UPSTREAM_EXAMPLE_PARAMETERS,
    )) {
      const expected = loadExample(file);
      const { outputs } = await run({ parameters, files: 'none' });
      const manifest = outputs().manifest;
      expect(manifest.metadata.namespace).toBe('default');
      const { namespace: _, ...metadata } = manifest.metadata;
      expect({ ...manifest, metadata }).toStrictEqual(expected);
    }
  });

  it('outputs the summary of a P/D multi-node service and writes the files for publish:*', async () => {
    const input = exampleInputs(examples)[1];
    const { outputs } = await run(input);
    const o = outputs();
    expect(o.summary).toMatchObject({
      name: 'deepseek-pd',
      namespace: 'ml',
      gpus: 8 * 2 + 8 * 8,
      pods: 2 + 8 + 1, // model pods and the EPP
      gangScheduling: true,
      pdDisaggregated: true,
      strategy: 'pd-disaggregation',
    });
    expect(o.summary.roles).toEqual([
      expect.objectContaining({ name: 'router', pods: 1, gpus: 0 }),
      expect.objectContaining({
        name: 'prefill',
        replicas: 1,
        nodesPerReplica: 2,
        gpus: 16,
      }),
      expect.objectContaining({
        name: 'decode',
        replicas: 2,
        nodesPerReplica: 4,
        gpus: 64,
      }),
    ]);
    expect(o.files).toEqual([
      'deploy/deepseek-pd/inferenceservice.yaml',
      'deploy/deepseek-pd/kustomization.yaml',
      'deploy/deepseek-pd/rendered/children.yaml',
    ]);
    const dir = path.join(workspace, 'deploy/deepseek-pd');
    expect(
      parse(fs.readFileSync(path.join(dir, 'inferenceservice.yaml'), 'utf8')),
    ).toStrictEqual(o.manifest);
    expect(
      parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')),
    ).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'ml',
      resources: ['inferenceservice.yaml'],
    });
    const docs = parseAllDocuments(
      fs.readFileSync(path.join(dir, 'rendered/children.yaml'), 'utf8'),
    ) as any[];
    expect(docs.map(d => d.toJS())).toEqual(o.children);
    expect(o.yaml).toBe(
      fs.readFileSync(path.join(dir, 'inferenceservice.yaml'), 'utf8'),
    );
  });

  it('writes files on a dry run too (the template editor shows them) and nothing else', async () => {
    const { outputs } = await run(exampleInputs(examples)[2], true);
    expect(outputs().files).toEqual([
      'services/llama-lora/inferenceservice.yaml',
      'services/llama-lora/kustomization.yaml',
    ]);
    const isvc = parse(
      fs.readFileSync(
        path.join(workspace, 'services/llama-lora/inferenceservice.yaml'),
        'utf8',
      ),
    );
    expect(isvc.spec.roles[1].template.spec.containers[0].args).toEqual([
      '--model',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--enable-lora',
      '--lora-modules',
      'sql=acme/llama-sql-lora',
      'support=/adapters/support',
    ]);
  });

  it('refuses a target path outside the workspace', async () => {
    const { error } = await failure({
      ...exampleInputs(examples)[0],
      targetPath: '../../etc',
    });
    expect(error.message).toMatch(/outside|workspace/i);
  });

  it('needs exactly one of parameters and manifest', async () => {
    expect((await failure({})).error.message).toMatch(
      /parameters, manifest: give exactly one/,
    );
    const [a, b] = exampleInputs(examples);
    expect(
      (await failure({ parameters: a.parameters, manifest: b.parameters }))
        .error.message,
    ).toMatch(/exactly one/);
  });

  it('fails invalid parameters with every field error under one heading, writing nothing', async () => {
    // "Deploy an LLM" form values the form accepts but the builder does not (the e2e test runs them as a task).
    const form = {
      name: 'h'.repeat(40),
      model: 'Qwen/Qwen3-8B',
      image: 'vllm/vllm-openai:v0.27.1',
      topology: 'monolithic',
      worker: { replicas: 1, gpusPerPod: 1 },
      routing: 'prefix-cache',
      gateway: { name: 'inference-gateway' },
    };
    const mixed = await failure({
      parameters: {
        ...form,
        routing: 'pd-disaggregation',
        hostnames: ['a.example.com'],
        gateway: {},
      },
    });
    expect(mixed.error.name).toBe('InputError');
    expect(mixed.error.message).toBe(
      [
        'The deployment parameters are not valid:',
        '  parameters.routing: pd-disaggregation needs a P/D topology (pd or pd-multi-node)',
        '  parameters.gateway.name: required when host names are given',
      ].join('\n'),
    );
    // Each error is logged too, for the task's log.
    expect(mixed.c.logs()).toEqual([
      'error: parameters.routing: pd-disaggregation needs a P/D topology (pd or pd-multi-node)',
      'error: parameters.gateway.name: required when host names are given',
    ]);
    // A name that passes the form but makes a child name too long for Kubernetes.
    const long = await failure({ parameters: form });
    expect(long.error.message).toMatch(
      /^The deployment parameters are not valid:\n {2}parameters\.name: the LeaderWorkerSet name "h{40}-inference-0" \(52 characters\) would be longer than 50/,
    );
    expect(long.c.outputs()).toEqual({});
    expect(fs.readdirSync(workspace)).toEqual([]);
  });

  it('fails an invalid manifest with every validation message by path', async () => {
    const { error, c } = await failure({
      manifest: {
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'Bad_Name' },
        spec: {
          roles: [
            { name: 'r', componentType: 'router', strategy: 'nope' },
            { name: 'w', componentType: 'worker', replicas: -1 },
          ],
        },
      },
    });
    expect(error.name).toBe('InputError');
    expect(error.message).toContain('manifest.metadata.name:');
    expect(error.message).toContain('manifest.spec.roles[0].strategy:');
    expect(error.message).toContain('manifest.spec.roles[1].replicas:');
    expect(c.outputs()).toEqual({});
    expect(fs.readdirSync(workspace)).toEqual([]);
  });

  it('refuses a manifest whose namespace differs from the step', async () => {
    const { error } = await failure({
      namespace: 'ml',
      manifest:
        'apiVersion: fusioninfer.io/v1alpha1\nkind: InferenceService\nmetadata: {name: a, namespace: other}\nspec: {roles: []}\n',
    });
    expect(error.message).toContain(
      'manifest.metadata.namespace: is "other" but the step targets namespace "ml"',
    );
  });
});
