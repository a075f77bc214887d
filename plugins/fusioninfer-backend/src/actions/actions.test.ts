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

import request from 'supertest';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  applyAppliedResponseSchema,
  applyDryRunResponseSchema,
  approvalRequiredResponseSchema,
  InferenceService,
  scaleResponseSchema,
  serviceState,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
  TestPolicy,
} from '@fusioninfer/test-utils/backend';
import { fusioninferPlugin } from '../plugin';

const API = '/api/fusioninfer';
const ACTIONS = `${API}/.backstage/actions/v1/actions`;
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const ENTITY = 'component:default/qwen';

/** alice owns component:default/qwen (update, delete); everybody reads; alice may create in dev/default. */
const permissions: TestPolicy = {
  authorize: ({ permission, resourceRef, user }) => {
    if (
      permission === 'fusioninfer.service.update' ||
      permission === 'fusioninfer.service.delete'
    )
      return resourceRef === ENTITY && user === ALICE;
    if (permission === 'fusioninfer.service.create') return user === ALICE;
    return true;
  },
};

const owned = <T extends object>(obj: T, name: string): T =>
  ({
    ...obj,
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/entity-ref': ENTITY },
    },
  }) as T;

describe('FusionInfer actions in the actions registry', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  let server: any;

  const invoke = (id: string, user: string, input: object) =>
    request(server)
      .post(`${ACTIONS}/fusioninfer:${id}/invoke`)
      .set(as(user))
      .send(input);
  const workerReplicas = async (name: string) =>
    (
      await client.get<InferenceService>(
        KINDS.InferenceService,
        'default',
        name,
      )
    )?.spec.roles.find(r => r.name === 'inference')?.replicas;
  const svc = (name: string) =>
    `${API}/clusters/dev/namespaces/default/services/${name}`;

  beforeAll(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    client = new ClusterClient(devClusterConfig(dev.url));
    // 1 GPU per worker replica; the approval threshold is 2 GPUs.
    await client.apply(owned(loadExample('monolithic-router-qwen'), 'qwen'), {
      fieldManager: 'kubectl',
    });
    // 5 pods × 8 GPUs in one gang: the 4 × 8-GPU cluster cannot place it.
    await client.apply(
      owned(loadExample('demo/gang-cannot-fit'), 'deepseek-r1-gang'),
      { fieldManager: 'kubectl' },
    );
    ({ server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      config: {
        reconciler: { leaseDurationSeconds: 1 },
        metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
        approvals: { maxGpusWithoutApproval: 2 },
      },
      permissions,
    }));
  }, 30000);
  afterAll(() => dev.close());

  it('registers ten actions with their attributes and the contract limits in their input schemas', async () => {
    const res = await request(server).get(ACTIONS).set(as(BOB));
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(
      res.body.actions.map((a: any) => [a.id, a]),
    );
    const readOnly = { readOnly: true, destructive: false, idempotent: true };
    const destructive = {
      readOnly: false,
      destructive: true,
      idempotent: true,
    };
    expect(
      Object.fromEntries(
        Object.entries(byId).map(([id, a]: [string, any]) => [
          id,
          a.attributes,
        ]),
      ),
    ).toEqual({
      'fusioninfer:get-service-status': readOnly,
      'fusioninfer:explain-gang': readOnly,
      'fusioninfer:get-routing-metrics': readOnly,
      'fusioninfer:dry-run': readOnly,
      'fusioninfer:scale-role': destructive,
      'fusioninfer:set-strategy': destructive,
      'fusioninfer:set-rollout-paused': destructive,
      'fusioninfer:canary': { ...destructive, idempotent: false },
      'fusioninfer:delete-service': destructive,
      'fusioninfer:apply-service': destructive,
    });
    const scale = byId['fusioninfer:scale-role'].schema.input;
    expect(scale).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['cluster', 'namespace', 'name', 'role', 'replicas'],
      properties: {
        replicas: { type: 'integer', minimum: 0, maximum: 10000 },
        role: { type: 'string', maxLength: 63 },
      },
    });
    expect(byId['fusioninfer:set-rollout-paused'].schema.input).toMatchObject({
      required: ['cluster', 'namespace', 'name', 'role', 'paused'],
      properties: { paused: { type: 'boolean' } },
    });
    expect(
      byId['fusioninfer:apply-service'].schema.output.properties.outcome.enum,
    ).toEqual(['applied', 'approval-required']);
  });

  it('get-service-status answers the ready counts, phase and gang words of the REST detail', async () => {
    const status = await waitFor(
      async () => {
        const r = await invoke('get-service-status', BOB, {
          cluster: 'dev',
          namespace: 'default',
          name: 'qwen',
        });
        const out = r.body.output;
        return (
          r.status === 200 &&
          out.phase === 'Running' &&
          out.roles[0]?.readyReplicas === 1 &&
          out.router?.eppReady &&
          out
        );
      },
      { timeoutMs: 20000, what: 'qwen running' },
    );
    const rest = await request(server).get(svc('qwen')).set(as(BOB));
    expect(status).toMatchObject({
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
      entityRef: ENTITY,
      phase: rest.body.status.phase,
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          desiredReplicas: 1,
          readyReplicas: 1,
          readyPods: 1,
          totalPods: 1,
          nodesPerReplica: 1,
          problems: [],
        },
      ],
      router: { role: 'router', strategy: rest.body.router.strategy },
    });
    // The state is common's serviceState of the REST detail: the reading the Inference tab and the scaffolder share.
    const state = serviceState(rest.body);
    expect(status).toMatchObject({
      ready: true,
      state: 'Ready',
      stale: false,
      missing: [],
      progress: 'Running — inference 1/1 replicas ready, router ready',
      observedGeneration: rest.body.generation,
    });
    expect(status).toMatchObject({
      ready: state.ready,
      state: state.kind,
      message: state.message,
      progress: state.progress,
    });
    // Unknown input is refused by the registry; a bad name with the contract's message, as REST does.
    const bad = await invoke('get-service-status', BOB, {
      cluster: 'dev',
      namespace: 'Bad_NS',
      name: 'qwen',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe('InputError');
    expect(bad.body.error.message).toMatch(/^namespace: /);
  }, 30000);

  it('explain-gang says why the gang cannot start: tasks, GPUs and the free capacity', async () => {
    const out = await waitFor(
      async () => {
        const r = await invoke('explain-gang', BOB, {
          cluster: 'dev',
          namespace: 'default',
          name: 'deepseek-r1-gang',
        });
        return (
          r.status === 200 &&
          r.body.output.gang?.unschedulable &&
          r.body.output.capacityFit?.fits === false &&
          r.body.output
        );
      },
      { timeoutMs: 20000, what: 'an unschedulable gang with capacity' },
    );
    expect(out).toMatchObject({
      gangScheduling: true,
      running: false,
      gang: { name: 'deepseek-r1-gang', minMember: 5 },
      waitingTasks: [
        {
          task: 'inference-0',
          role: 'inference',
          min: 5,
          gpusPerPod: 8,
        },
      ],
      capacityFit: { fits: false },
    });
    expect(out.waitingTasks[0].gpusNeeded).toBeGreaterThan(8);
    // Volcano's own words, as the REST detail carries them.
    expect(out.gang.unschedulable.reason).toBe('NotEnoughResources');
    expect(out.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^The gang deepseek-r1-gang does not run/),
        expect.stringMatching(/^Volcano reports NotEnoughResources: /),
        'Task inference-0 (role inference) needs 5 pods at the same time, 0 scheduled; 8 GPUs per pod, 40 GPUs still to place.',
        expect.stringMatching(/^Cluster dev: does not fit: needs 40 GPUs/),
        expect.stringMatching(
          /^The scheduler reports: 0\/4 nodes are available: 4 Insufficient nvidia.com\/gpu/,
        ),
      ]),
    );
    // The service without a gang runs by definition.
    const plain = await invoke('explain-gang', BOB, {
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
    });
    expect(plain.body.output).toMatchObject({
      gangScheduling: false,
      running: true,
      waitingTasks: [],
    });
  }, 30000);

  it('get-routing-metrics answers the collector document of the service', async () => {
    const r = await invoke('get-routing-metrics', BOB, {
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
      historyPoints: 1,
    });
    expect(r.status).toBe(200);
    expect(r.body.output).toMatchObject({
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
      source: 'pod-proxy',
    });
    expect(r.body.output.history.length).toBeLessThanOrEqual(1);
    expect(Array.isArray(r.body.output.endpoints)).toBe(true);
  }, 30000);

  it('dry-run answers exactly what POST /apply with dryRun answers, and changes nothing', async () => {
    const input = {
      cluster: 'dev',
      namespace: 'default',
      manifest: owned(loadExample('demo/gang-cannot-fit'), 'dry'),
    };
    const action = await invoke('dry-run', ALICE, input);
    const rest = await request(server)
      .post(`${API}/apply`)
      .set(as(ALICE))
      .send({ ...input, dryRun: true });
    expect(action.status).toBe(200);
    expect(rest.status).toBe(200);
    expect(action.body.output).toEqual(rest.body);
    expect(applyDryRunResponseSchema.parse(action.body.output)).toBeTruthy();
    expect(action.body.output).toMatchObject({
      outcome: 'dry-run',
      approvalRequired: true,
      summary: { gpus: 40, pods: 5 },
      policy: { allowed: true },
    });
    expect(action.body.output.reasons[0]).toMatch(/GPUs/);
    expect(
      await client.get(KINDS.InferenceService, 'default', 'dry'),
    ).toBeUndefined();
  }, 30000);

  it('refuses a write by a user without update permission on the entity exactly like REST (403)', async () => {
    const ref = { cluster: 'dev', namespace: 'default', name: 'qwen' };
    const action = await invoke('scale-role', BOB, {
      ...ref,
      role: 'inference',
      replicas: 2,
    });
    const rest = await request(server)
      .post(`${svc('qwen')}/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 2 });
    expect(action.status).toBe(403);
    expect(rest.status).toBe(403);
    expect(action.body.error).toEqual({
      name: 'NotAllowedError',
      message: 'not allowed: fusioninfer.service.update',
    });
    expect(action.body.error).toEqual(rest.body.error);
    // Same answer for a service that does not exist (authorized before anything is loaded).
    const missing = await invoke('scale-role', BOB, {
      ...ref,
      name: 'missing',
      role: 'inference',
      replicas: 2,
    });
    expect(missing.status).toBe(403);
    expect(missing.body.error).toEqual(action.body.error);
    const del = await invoke('delete-service', BOB, ref);
    expect(del.status).toBe(403);
    expect(del.body.error.message).toBe(
      'not allowed: fusioninfer.service.delete',
    );
    expect(
      (
        await invoke('set-strategy', BOB, {
          ...ref,
          strategy: 'queue-size',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await invoke('apply-service', BOB, {
          cluster: 'dev',
          namespace: 'default',
          manifest: owned(loadExample('monolithic-no-router'), 'bobs'),
        })
      ).status,
    ).toBe(403);
    // The rollout and canary commands: refused like REST before anything is read (qwen has no canary policy; with
    // the permission that is a 400, without it the same 403 as REST, for every command).
    expect(
      (
        await invoke('set-rollout-paused', BOB, {
          ...ref,
          role: 'inference',
          paused: true,
        })
      ).body.error,
    ).toEqual(action.body.error);
    for (const command of ['promote', 'rollback', 'pause', 'resume']) {
      const canary = await invoke('canary', BOB, { ...ref, action: command });
      const restCanary = await request(server)
        .post(`${svc('qwen')}/canary`)
        .set(as(BOB))
        .send({ action: command });
      expect([canary.status, restCanary.status]).toEqual([403, 403]);
      expect(canary.body.error).toEqual(action.body.error);
      expect(restCanary.body.error).toEqual(action.body.error);
    }
    expect(await workerReplicas('qwen')).toBe(1);
  }, 30000);

  it('apply-service takes the one policy: GPUs in a sidecar are held for approval, a protected namespace or a privileged pod is refused', async () => {
    const hidden = owned(loadExample('monolithic-no-router'), 'sneaky') as any;
    hidden.spec.roles[0].template.spec.initContainers = [
      {
        name: 'side',
        image: 'x',
        restartPolicy: 'Always',
        resources: { limits: { 'nvidia.com/gpu': '8' } },
      },
    ];
    const held = await invoke('apply-service', ALICE, {
      cluster: 'dev',
      namespace: 'default',
      manifest: hidden,
    });
    expect(held.status).toBe(200);
    expect(held.body.output).toMatchObject({
      outcome: 'approval-required',
    });
    expect(held.body.output.reasons.join(' ')).toMatch(
      /GPUs requested; more than 2 need approval/,
    );
    expect(
      await client.get(KINDS.InferenceService, 'default', 'sneaky'),
    ).toBeUndefined();
    const system = await invoke('apply-service', ALICE, {
      cluster: 'dev',
      namespace: 'kube-system',
      manifest: {
        ...owned(loadExample('monolithic-no-router'), 'sys'),
        metadata: { name: 'sys', namespace: 'kube-system' },
      },
    });
    expect(system.status).toBe(403);
    expect(system.body.error.message).toMatch(/protected-namespace/);
    const privileged = owned(
      loadExample('monolithic-no-router'),
      'priv',
    ) as any;
    privileged.spec.roles[0].template.spec.hostPID = true;
    const refused = await invoke('apply-service', ALICE, {
      cluster: 'dev',
      namespace: 'default',
      manifest: privileged,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/hostPID/);
    expect(
      await client.get(KINDS.InferenceService, 'default', 'priv'),
    ).toBeUndefined();
  }, 30000);

  it('holds a scale above the approval threshold (approval-required, nothing changed) and applies one below it', async () => {
    const ref = { cluster: 'dev', namespace: 'default', name: 'qwen' };
    const held = await invoke('scale-role', ALICE, {
      ...ref,
      role: 'inference',
      replicas: 3,
    });
    expect(held.status).toBe(200);
    expect(held.body.output).toMatchObject({
      outcome: 'approval-required',
      approval: {
        status: 'pending',
        action: 'scale',
        cluster: 'dev',
        namespace: 'default',
        name: 'qwen',
        requestedBy: ALICE,
      },
    });
    expect(held.body.output.reasons[0]).toMatch(/GPUs/);
    expect(approvalRequiredResponseSchema.parse(held.body.output)).toBeTruthy();
    expect(await workerReplicas('qwen')).toBe(1);
    // Idempotent: asking again finds the same pending request.
    const again = await invoke('scale-role', ALICE, {
      ...ref,
      role: 'inference',
      replicas: 3,
    });
    expect(again.body.output.approval.id).toBe(held.body.output.approval.id);
    const stored = await request(server)
      .get(`${API}/approvals/${held.body.output.approval.id}`)
      .set(as(ALICE));
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ status: 'pending', action: 'scale' });

    const applied = await invoke('scale-role', ALICE, {
      ...ref,
      role: 'inference',
      replicas: 2,
    });
    expect(applied.status).toBe(200);
    expect(applied.body.output).toMatchObject({
      outcome: 'applied',
      name: 'qwen',
      roles: expect.arrayContaining([{ name: 'inference', replicas: 2 }]),
    });
    expect(scaleResponseSchema.parse(applied.body.output)).toBeTruthy();
    expect(await workerReplicas('qwen')).toBe(2);
    await waitFor(
      async () =>
        (
          await client.list(
            KINDS.LeaderWorkerSet,
            'default',
            'fusioninfer.io/service=qwen',
          )
        ).length === 2,
      { what: 'a second LeaderWorkerSet' },
    );
    // A router is not scaled: the route's own 400.
    const router = await invoke('scale-role', ALICE, {
      ...ref,
      role: 'router',
      replicas: 2,
    });
    expect(router.status).toBe(400);
    expect(router.body.error.message).toMatch(/is the router/);
  }, 30000);

  it('sets the strategy, applies a new service and deletes it through the one writer', async () => {
    const strategy = await invoke('set-strategy', ALICE, {
      cluster: 'dev',
      namespace: 'default',
      name: 'qwen',
      strategy: 'queue-size',
    });
    expect(strategy.body.output).toEqual({
      outcome: 'applied',
      strategy: 'queue-size',
    });
    const created = await invoke('apply-service', ALICE, {
      cluster: 'dev',
      namespace: 'default',
      manifest: owned(loadExample('monolithic-no-router'), 'small'),
    });
    expect(created.status).toBe(200);
    expect(created.body.output).toMatchObject({
      outcome: 'applied',
      created: true,
      service: { cluster: 'dev', namespace: 'default', name: 'small' },
      entityRef: ENTITY,
    });
    expect(applyAppliedResponseSchema.parse(created.body.output)).toBeTruthy();
    const deleted = await invoke('delete-service', ALICE, {
      cluster: 'dev',
      namespace: 'default',
      name: 'small',
    });
    expect(deleted.body.output).toEqual({
      outcome: 'applied',
      deleted: 'dev/default/small',
    });
    await waitFor(
      async () =>
        !(await client.get(KINDS.InferenceService, 'default', 'small')),
      { what: 'small deleted' },
    );
  }, 30000);

  it('honours backend.actions.filter: excluded destructive actions are neither listed nor invocable', async () => {
    const { server: filtered } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      appConfig: {
        backend: {
          actions: {
            filter: {
              exclude: [
                { id: 'fusioninfer:*', attributes: { destructive: true } },
              ],
            },
          },
        },
      },
      permissions,
    });
    const list = await request(filtered).get(ACTIONS).set(as(ALICE));
    expect(list.body.actions.map((a: any) => a.name).sort()).toEqual([
      'dry-run',
      'explain-gang',
      'get-routing-metrics',
      'get-service-status',
    ]);
    const scale = await request(filtered)
      .post(`${ACTIONS}/fusioninfer:scale-role/invoke`)
      .set(as(ALICE))
      .send({
        cluster: 'dev',
        namespace: 'default',
        name: 'qwen',
        role: 'inference',
        replicas: 1,
      });
    expect(scale.status).toBe(404);
  }, 30000);
});
