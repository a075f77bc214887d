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

import { mockCredentials } from '@backstage/backend-test-utils';
import {
  context,
  exampleInputs,
  mockClient,
  responseError,
} from '../__testUtils__/mocks';
import {
  clusterSnapshotOf,
  formatPreflight,
  preflight,
} from '@fusioninfer/plugin-fusioninfer-common';
import { detail } from '../__testUtils__/details';
import { createApplyAction } from './apply';
import { examples } from './apply.examples';

const APPROVAL = '0b7e3c52-9a51-4f3e-8d53-0a8f0c1f2e3d';
const input = exampleInputs(examples)[1]; // no wait
const applied = {
  outcome: 'applied',
  created: true,
  service: { cluster: 'lab', namespace: 'ml', name: 'qwen-chat', uid: 'u1' },
  entityRef: 'component:default/qwen-chat.ml.lab',
};

describe('fusioninfer:service:apply', () => {
  let client: ReturnType<typeof mockClient>;
  let action: ReturnType<typeof createApplyAction>;
  beforeEach(() => {
    client = mockClient();
    action = createApplyAction({
      client,
      links: { appBaseUrl: 'https://portal.example.com/' },
      pollIntervalMs: 5,
    });
  });

  it.each(exampleInputs(examples).map((x, i) => [i, x]))(
    'runs example %s',
    async (_, example) => {
      client.apply.mockResolvedValue({
        ...applied,
        service: { ...applied.service, cluster: example.cluster },
      });
      client.getService.mockResolvedValue(detail('ready'));
      const c = context(example);
      await action.handler(c.ctx as any);
      expect(c.outputs().outcome).toBe('applied');
      expect(client.apply).toHaveBeenCalledTimes(1);
    },
  );

  it('applies through the backend as the task user and links the Inference tab', async () => {
    client.apply.mockResolvedValue(applied);
    const c = context(input);
    await action.handler(c.ctx as any);
    expect(client.apply).toHaveBeenCalledWith(
      {
        cluster: 'lab',
        namespace: 'ml',
        manifest: expect.objectContaining({
          metadata: expect.objectContaining({
            name: 'qwen-chat',
            namespace: 'ml',
          }),
        }),
        children: true,
        taskId: 'mock-task-id',
      },
      { credentials: mockCredentials.user() },
    );
    expect(c.outputs()).toEqual({
      cluster: 'lab',
      namespace: 'ml',
      name: 'qwen-chat',
      outcome: 'applied',
      created: true,
      approvalRequired: false,
      reasons: [],
      uid: 'u1',
      entityRef: 'component:default/qwen-chat.ml.lab',
      inferenceUrl: '/catalog/default/component/qwen-chat.ml.lab/inference',
    });
    expect(c.logs()).toContainEqual(
      expect.stringContaining(
        'https://portal.example.com/catalog/default/component/qwen-chat.ml.lab/inference',
      ),
    );
    expect(client.getService).not.toHaveBeenCalled();
  });

  it('applies nothing when the backend holds the deployment, and ends with the approval link', async () => {
    client.apply.mockResolvedValue({
      outcome: 'approval-required',
      reasons: ['80 GPUs requested; more than 8 need approval'],
      approval: {
        id: APPROVAL,
        status: 'pending',
        cluster: 'lab',
        namespace: 'ml',
        name: 'qwen-chat',
      },
    });
    const c = context({ ...input, wait: true });
    await action.handler(c.ctx as any);
    expect(c.outputs()).toMatchObject({
      outcome: 'approval-required',
      approvalRequired: true,
      approvalId: APPROVAL,
      approvalUrl: `/fusioninfer/approvals/${APPROVAL}`,
      reasons: ['80 GPUs requested; more than 8 need approval'],
    });
    expect(c.outputs().entityRef).toBeUndefined();
    expect(c.logs()).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `Nothing was applied.*https://portal.example.com/fusioninfer/approvals/${APPROVAL}`,
        ),
      ),
    );
    expect(client.getService).not.toHaveBeenCalled(); // no waiting for something not applied
  });

  it('is idempotent across task recovery: a replayed step neither applies nor files a request again', async () => {
    client.apply.mockResolvedValue({
      outcome: 'approval-required',
      reasons: ['r'],
      approval: {
        id: APPROVAL,
        status: 'pending',
        cluster: 'lab',
        namespace: 'ml',
        name: 'qwen-chat',
      },
    });
    const store = new Map<string, unknown>();
    const first = context(input, { store });
    await action.handler(first.ctx as any);
    const second = context(input, { store });
    await action.handler(second.ctx as any);
    expect(client.apply).toHaveBeenCalledTimes(1);
    expect(second.outputs().approvalId).toBe(APPROVAL);
    expect(first.checkpoint).toHaveBeenCalledWith(
      expect.objectContaining({
        key: expect.stringMatching(/^fusioninfer\.apply\.lab\.ml\.qwen-chat\./),
      }),
    );
  });

  it('dry run: asks the backend for the verdict only, applies nothing and uses no checkpoint', async () => {
    client.apply.mockResolvedValue({
      outcome: 'dry-run',
      approvalRequired: true,
      reasons: ['80 GPUs requested; more than 8 need approval'],
      summary: { gpus: 80, pods: 10, roles: [] },
      validation: { valid: true, errors: [], warnings: [] },
    });
    const c = context(input, { isDryRun: true });
    await action.handler(c.ctx as any);
    expect(client.apply).toHaveBeenCalledWith(
      expect.objectContaining({ dryRun: true }),
      expect.anything(),
    );
    expect(c.checkpoint).not.toHaveBeenCalled();
    expect(c.outputs()).toMatchObject({
      outcome: 'dry-run',
      approvalRequired: true,
    });
    expect(c.logs()).toContainEqual(
      expect.stringContaining('80 GPUs in 10 pods; approval required'),
    );
  });

  it('dry run: logs the InferenceService it would apply, with 1 GPU in the singular', async () => {
    client.apply.mockResolvedValue({
      outcome: 'dry-run',
      approvalRequired: false,
      reasons: [],
      summary: { gpus: 1, pods: 2, roles: [] },
      validation: { valid: true, errors: [], warnings: [] },
      policy: {
        allowed: true,
        denials: [],
        project: 'llm-apps',
        quota: { cluster: 'lab', limit: 64, before: 43, after: 44 },
        podSecurity: { level: 'baseline-gpu', violations: [] },
      },
    });
    const c = context(input, { isDryRun: true });
    await action.handler(c.ctx as any);
    const log = c.logs().join('\n');
    expect(log).toContain(
      'would request 1 GPU in 2 pods (project llm-apps: 43 → 44 of 64 GPUs in lab)',
    );
    expect(log).toMatch(
      /apiVersion: fusioninfer.io\/v1alpha1\nkind: InferenceService\nmetadata:\n {2}name: qwen-chat/,
    );
  });

  it('dry run: outputs the pre-flight and warns with vLLM’s error and the fix when a role would not start', async () => {
    // The report common's preflight() makes for this manifest on four nodes of 24 GiB GPUs (L4-like).
    const nodes = [0, 1, 2, 3].map(i => ({
      metadata: {
        name: `gpu-node-${i}`,
        labels: {
          'nvidia.com/gpu.product': 'NVIDIA-L4',
          'nvidia.com/gpu.memory': '23034',
        },
      },
      status: { allocatable: { 'nvidia.com/gpu': '4' } },
    }));
    const report = preflight(
      input.manifest,
      clusterSnapshotOf(nodes as any, []),
    );
    client.apply.mockResolvedValue({
      outcome: 'dry-run',
      approvalRequired: false,
      reasons: [],
      summary: { gpus: 1, pods: 1, roles: [] },
      validation: { valid: true, errors: [], warnings: [] },
      preflight: report,
    });
    const c = context(input, { isDryRun: true });
    await action.handler(c.ctx as any);
    expect(c.outputs().preflight).toEqual(report);
    const log = c.logs().join('\n');
    expect(log).toContain(
      `Pre-flight of lab/ml/qwen-chat:\n${formatPreflight(report)}`,
    );
    // Qwen3-8B's 40,960-token context does not fit the KV cache a 24 GiB GPU leaves.
    expect(report.verdict).toBe('does-not-start');
    expect(log).toContain(report.roles[0].error!);
    expect(log).toContain(`fix: ${report.roles[0].fix}`);
  });

  it('dry run: fails naming each field and rule when the policy would refuse', async () => {
    client.apply.mockResolvedValue({
      outcome: 'dry-run',
      approvalRequired: false,
      reasons: ['refused: metadata.namespace: not one of the project'],
      summary: { gpus: 1, pods: 2, roles: [] },
      validation: { valid: true, errors: [], warnings: [] },
      policy: {
        allowed: false,
        denials: [
          {
            field: 'metadata.namespace',
            rule: 'project.destination',
            message:
              "namespace ml of cluster lab is not one of project llm-apps's (llm-apps)",
          },
        ],
        podSecurity: { level: 'baseline-gpu', violations: [] },
      },
    });
    const c = context(input, { isDryRun: true });
    await expect(action.handler(c.ctx as any)).rejects.toThrow(
      /would be refused by policy: metadata.namespace: namespace ml of cluster lab is not one of project llm-apps's/,
    );
  });

  it("ends an applied step only once the catalog lists the service's entity (the tab link works)", async () => {
    client.apply.mockResolvedValue(applied);
    let calls = 0;
    const catalog = {
      getEntityByRef: jest.fn(async () =>
        ++calls >= 3 ? { kind: 'Component' } : undefined,
      ),
    };
    const withCatalog = createApplyAction({
      client,
      pollIntervalMs: 5,
      catalog: catalog as any,
    });
    const c = context(input);
    await withCatalog.handler(c.ctx as any);
    expect(catalog.getEntityByRef).toHaveBeenCalledTimes(3);
    expect(catalog.getEntityByRef).toHaveBeenCalledWith(applied.entityRef, {
      credentials: mockCredentials.user(),
    });
    expect(c.logs()).toContainEqual(
      expect.stringContaining(`${applied.entityRef} is in the catalog`),
    );
    // A catalog that never lists it only warns after the timeout: the service was applied.
    const never = createApplyAction({
      client,
      pollIntervalMs: 5,
      catalog: { getEntityByRef: async () => undefined } as any,
      entityTimeoutSeconds: 0.05,
    });
    const d = context(input);
    await never.handler(d.ctx as any);
    expect(d.outputs().outcome).toBe('applied');
    expect(d.logs().join('\n')).toMatch(/is not in the catalog yet/);
  });

  it('refuses a service owned by another entity or manager, naming update', async () => {
    client.apply.mockRejectedValue(
      await responseError(
        409,
        'InferenceService ml/qwen-chat belongs to component:default/other',
      ),
    );
    const c = context(input);
    await expect(action.handler(c.ctx as any)).rejects.toThrow(
      /lab\/ml\/qwen-chat exists and belongs to another entity or field manager: 409 .*component:default\/other.*Set update: true/,
    );
  });

  it('sends update when told to take a service over', async () => {
    client.apply.mockResolvedValue({ ...applied, created: false });
    await action.handler(context(exampleInputs(examples)[2]).ctx as any);
    expect(client.apply.mock.calls[0][0]).toMatchObject({
      update: true,
      entityRef: 'component:default/chat-assistant',
    });
  });

  it('never calls the backend with an invalid manifest; reports every problem by path', async () => {
    const c = context({
      cluster: 'dev',
      namespace: 'ml',
      manifest: {
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'x' },
        spec: {
          roles: [{ name: 'W', componentType: 'worker', replicas: 100000 }],
        },
      },
    });
    const error = await action.handler(c.ctx as any).catch(e => e);
    expect(error.name).toBe('InputError');
    expect(error.message).toContain('manifest.spec.roles[0].name:');
    expect(error.message).toContain('manifest.spec.roles[0].replicas:');
    expect(client.apply).not.toHaveBeenCalled();
  });

  it('waits until Ready with progress lines', async () => {
    client.apply.mockResolvedValue(applied);
    client.getService
      .mockRejectedValueOnce(await responseError(404, 'not found'))
      .mockResolvedValueOnce(detail('pending-unschedulable'))
      .mockResolvedValueOnce(detail('deploying'))
      .mockResolvedValue(detail('ready'));
    const c = context({ ...input, wait: true, timeoutSeconds: 10 });
    await action.handler(c.ctx as any);
    expect(c.outputs().ready).toBe(true);
    expect(
      c.logs().filter(l => l.startsWith('info: lab/ml/qwen-chat:')),
    ).toEqual([
      'info: lab/ml/qwen-chat: not found yet',
      'info: lab/ml/qwen-chat: Pending — decode 0/2 replicas ready',
      'info: lab/ml/qwen-chat: Deploying — decode 1/2 replicas ready',
      'info: lab/ml/qwen-chat: Running — decode 2/2 replicas ready',
    ]);
  });

  it('times out naming the gang that cannot be placed', async () => {
    client.apply.mockResolvedValue(applied);
    client.getService.mockResolvedValue(detail('pending-unschedulable'));
    const c = context({ ...input, wait: true, timeoutSeconds: 1 });
    await expect(action.handler(c.ctx as any)).rejects.toThrow(
      /lab\/ml\/qwen-chat is not Ready after 1 s\. Still missing: PodGroup deepseek cannot be placed \(gang of 8 pods\): 8\/8 tasks in gang unschedulable.*; role decode: 0\/2 replicas ready/,
    );
    expect(c.outputs().outcome).toBe('applied'); // the apply itself happened and is reported
  });
});
