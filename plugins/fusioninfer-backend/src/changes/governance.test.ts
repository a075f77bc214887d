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

/*
 * Regression tests of the security review of 41a64b0 (../shared/reference/security-review-41a64b0.md), at the level
 * the findings were found: REST against the real plugin and an in-process development cluster, as Mallory (owns
 * nothing of Bob's), Bob (team-b) and Carol (approver), under an owners-only policy. Variants beyond the review's own
 * examples are marked "variant".
 */

import request from 'supertest';
import { mockServices } from '@backstage/backend-test-utils';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  minimalInferenceService,
} from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import {
  ClusterApiError,
  ClusterClient,
  createFusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import {
  CANARY_ANNOTATION,
  CANARY_STATUS_ANNOTATION,
  CanaryStatus,
  readCanaryStatus,
  serializeCanaryStatus,
  workloadRevision,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferPlugin } from '../plugin';
import { Access } from '../auth/access';
import { createLiveServiceSource } from '../views/ServiceSource';
import { ServiceWriter } from './ServiceWriter';
import {
  BOB,
  CAROL,
  entity,
  MALLORY,
  MEMBERS,
  ownersOnlyPolicy,
  userEntity,
} from '../__testUtils__/governance';

const API = '/api/fusioninfer';
/** Entities each user owns (what catalog's isEntityOwner would answer in this test). */
const OWNS: Record<string, string[]> = {
  [BOB]: [
    'component:default/team-b-app',
    'component:default/bob-svc.team-b.dev',
    'component:default/shrink.team-b.dev',
    'component:default/replaced.team-b.dev',
  ],
  [MALLORY]: [
    'component:default/mallory-app',
    'component:default/victim.team-m.dev',
    'component:default/tiny.team-m.dev',
  ],
  [CAROL]: [],
};

const svc = (
  name: string,
  namespace: string,
  o: {
    replicas?: number;
    owner?: string;
    annotations?: Record<string, string>;
    image?: string;
    podSpec?: Record<string, unknown>;
  } = {},
) => {
  const m = minimalInferenceService(name, {
    namespace,
    replicas: o.replicas,
  }) as any;
  m.metadata.annotations = {
    ...(o.owner ? { 'fusioninfer.io/owner': o.owner } : {}),
    ...(o.annotations ?? {}),
  };
  if (o.image) m.spec.roles[0].template.spec.containers[0].image = o.image;
  if (o.podSpec) Object.assign(m.spec.roles[0].template.spec, o.podSpec);
  return m;
};

/** Bob's catalog entity (one object the mock catalog keeps by reference: a test can change his memberships). */
const BOB_ENTITY = userEntity('bob');

async function start(dev: DevCluster, fusioninfer: Record<string, unknown>) {
  const { server } = await startFusionInferTestBackend({
    plugin: fusioninferPlugin,
    cluster: dev,
    config: fusioninfer,
    permissions: ownersOnlyPolicy({ owns: OWNS }),
    teams: MEMBERS,
    entities: [
      entity('Component', 'team-b-app', {
        type: 'service',
        owner: 'group:default/team-b',
        lifecycle: 'x',
      }),
      entity('Component', 'mallory-app', {
        type: 'service',
        owner: 'group:default/team-m',
        lifecycle: 'x',
      }),
      BOB_ENTITY,
      userEntity('mallory'),
      userEntity('carol'),
    ],
  });
  return server;
}

describe('governed self-service (security review 41a64b0)', () => {
  let dev: DevCluster;
  let admin: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-b', 'team-m', 'team-c', 'kube-system', 'prod'],
    });
    admin = new ClusterClient(devClusterConfig(dev.url));
  });
  afterAll(() => dev?.close());

  it('N-H1: every accelerator counts towards the approval threshold (sidecar, init, MIG, shared, AMD, DRA)', async () => {
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 2 },
    });
    const dry = async (podSpec: Record<string, unknown>) =>
      (
        await request(server)
          .post(`${API}/apply`)
          .set(as(MALLORY))
          .send({
            cluster: 'dev',
            namespace: 'team-m',
            dryRun: true,
            manifest: svc('tiny', 'team-m', { replicas: 4, podSpec }),
          })
      ).body;
    const sidecar = await dry({
      initContainers: [
        {
          name: 'side',
          image: 'x',
          restartPolicy: 'Always',
          resources: { limits: { 'nvidia.com/gpu': '8' } },
        },
      ],
    });
    expect(sidecar).toMatchObject({
      approvalRequired: true,
      summary: { gpus: 32 },
    });
    const init = await dry({
      initContainers: [
        {
          name: 'warm',
          image: 'x',
          resources: { limits: { 'nvidia.com/gpu': '4' } },
        },
      ],
    });
    expect(init).toMatchObject({
      approvalRequired: true,
      summary: { gpus: 16 },
    });
    const variants = [
      { 'nvidia.com/mig-3g.40gb': '2' },
      { 'nvidia.com/gpu.shared': '4' },
      { 'amd.com/gpu': '1' },
      { 'gpu.intel.com/i915': '1' },
    ];
    for (const limits of variants) {
      const v = await dry({
        containers: [{ name: 'vllm', image: 'x', resources: { limits } }],
      });
      expect(v.approvalRequired).toBe(true);
      expect(v.summary.gpus).toBeGreaterThan(2);
    }
    const dra = await dry({
      resourceClaims: [
        { name: 'gpus', resourceClaimTemplateName: 'eight-h200' },
      ],
      containers: [
        { name: 'vllm', image: 'x', resources: { claims: [{ name: 'gpus' }] } },
      ],
    });
    expect(dra.approvalRequired).toBe(true);
    expect(dra.reasons.join(' ')).toMatch(/DRA resource claim/);
  });

  it("N-H2 / N-M1: nobody changes or deletes another team's service through an approval request or the entity a manifest names", async () => {
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 2 },
    });
    const bobSvc = svc('bob-svc', 'team-b', { image: 'vllm/vllm-openai:good' });
    expect(
      (
        await request(server)
          .post(`${API}/apply`)
          .set(as(BOB))
          .send({ cluster: 'dev', namespace: 'team-b', manifest: bobSvc })
      ).status,
    ).toBe(200);
    const evil = svc('bob-svc', 'team-b', { image: 'evil/image:1' });
    for (const action of ['create', 'update', 'scale', 'delete', undefined]) {
      const res = await request(server)
        .post(`${API}/approvals`)
        .set(as(MALLORY))
        .send({
          cluster: 'dev',
          namespace: 'team-b',
          manifest: evil,
          ...(action ? { action } : {}),
        });
      expect([action, res.status]).toEqual([action, 403]);
    }
    // The entity named by the manifest's annotation is authorized as strictly as the entityRef body field.
    const claimed = svc('claimed', 'team-m', {
      annotations: {
        'backstage.io/entity-ref': 'component:default/team-b-app',
      },
    });
    const byAnnotation = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({ cluster: 'dev', namespace: 'team-m', manifest: claimed });
    expect(byAnnotation.status).toBe(403);
    const byApproval = await request(server)
      .post(`${API}/approvals`)
      .set(as(MALLORY))
      .send({ cluster: 'dev', namespace: 'team-m', manifest: claimed });
    expect(byApproval.status).toBe(403);
    expect(
      await admin.get(KINDS.InferenceService, 'team-m', 'claimed'),
    ).toBeUndefined();
    const live = await admin.get<any>(
      KINDS.InferenceService,
      'team-b',
      'bob-svc',
    );
    expect(live.spec.roles[0].template.spec.containers[0].image).toBe(
      'vllm/vllm-openai:good',
    );
    // Bob's own request for his service records the action from what exists (update), whatever the body says.
    const own = await request(server)
      .post(`${API}/approvals`)
      .set(as(BOB))
      .send({
        cluster: 'dev',
        namespace: 'team-b',
        manifest: svc('bob-svc', 'team-b', { image: 'vllm/vllm-openai:next' }),
        action: 'create',
      });
    expect(own.status).toBe(201);
    expect(own.body.action).toBe('update');
  });

  it('N-H3: protected namespaces and privileged pods are refused, naming each field and rule', async () => {
    const server = await start(dev, {});
    const sys = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'kube-system',
        manifest: svc('tiny', 'kube-system'),
      });
    expect(sys.status).toBe(403);
    expect(sys.body.error.message).toMatch(
      /metadata\.namespace: namespace kube-system is protected/,
    );
    const priv = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'team-m',
        children: true,
        manifest: svc('tiny', 'team-m', {
          podSpec: {
            serviceAccountName: 'clusterrole-aggregation-controller',
            hostPID: true,
            hostNetwork: true,
            hostIPC: true,
            volumes: [{ name: 'root', hostPath: { path: '/' } }],
            containers: [
              {
                name: 'vllm',
                image: 'x',
                securityContext: {
                  privileged: true,
                  capabilities: { add: ['SYS_ADMIN'] },
                },
              },
            ],
          },
        }),
      });
    expect(priv.status).toBe(403);
    const message = priv.body.error.message as string;
    for (const field of [
      'hostPID',
      'hostNetwork',
      'hostIPC',
      'serviceAccountName',
      'volumes[0].hostPath',
      'securityContext.privileged',
      'capabilities.add',
    ])
      expect(message).toContain(field);
    expect(
      await admin.get(KINDS.InferenceService, 'team-m', 'tiny'),
    ).toBeUndefined();
    // The dry run tells the same before anything is submitted.
    const dry = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'kube-system',
        dryRun: true,
        manifest: svc('tiny', 'kube-system'),
      });
    expect(dry.status).toBe(200);
    expect(dry.body.policy.allowed).toBe(false);
    // GPU serving still works under baseline-gpu: /dev/shm in memory and IPC_LOCK.
    const gpu = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'team-m',
        manifest: svc('tiny', 'team-m', {
          podSpec: {
            volumes: [
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
            ],
            containers: [
              {
                name: 'vllm',
                image: 'x',
                securityContext: { capabilities: { add: ['IPC_LOCK'] } },
              },
            ],
          },
        }),
      });
    expect(gpu.status).toBe(200);
  });

  it('N-M2: children are never adopted: an unowned object with a child name is left alone (409)', async () => {
    const server = await start(dev, {});
    await admin.apply(
      {
        apiVersion: 'leaderworkerset.x-k8s.io/v1',
        kind: 'LeaderWorkerSet',
        metadata: {
          name: 'victim-inference-0',
          namespace: 'team-m',
          labels: { app: 'theirs' },
        },
        spec: {
          replicas: 1,
          leaderWorkerTemplate: {
            size: 1,
            workerTemplate: {
              spec: {
                containers: [{ name: 'theirs', image: 'team-b/prod:7' }],
              },
            },
          },
        },
      } as any,
      { fieldManager: 'kubectl' },
    );
    const res = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'team-m',
        children: true,
        manifest: svc('victim', 'team-m'),
      });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/not adopted/);
    const lws = await admin.get<any>(
      KINDS.LeaderWorkerSet,
      'team-m',
      'victim-inference-0',
    );
    expect(lws.metadata.ownerReferences ?? []).toEqual([]);
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.spec.containers.map(
        (c: any) => c.name,
      ),
    ).toEqual(['theirs']);
  });

  it('N-M3: a change bundled with a scale-down is not "shrink only"', async () => {
    const server = await start(dev, { approvals: { namespaces: ['prod'] } });
    await admin.apply(svc('shrink', 'prod', { replicas: 2, image: 'a:1' }), {
      fieldManager: 'kubectl',
    });
    OWNS[BOB].push('component:default/shrink.prod.dev');
    const bundled = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({
        cluster: 'dev',
        namespace: 'prod',
        update: true,
        manifest: svc('shrink', 'prod', {
          replicas: 1,
          image: 'other/image:1',
        }),
      });
    expect(bundled.status).toBe(202);
    const live = await admin.get<any>(KINDS.InferenceService, 'prod', 'shrink');
    expect(live.spec.roles[0].template.spec.containers[0].image).toBe('a:1');
    // A pure scale-down is not held.
    const down = await request(server)
      .post(`${API}/clusters/dev/namespaces/prod/services/shrink/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 1 });
    expect(down.status).toBe(200);
  });

  it('team projects: destinations, hard GPU quota (even after approval) and the owner group the caller belongs to', async () => {
    const gpuSvc = (
      name: string,
      replicas: number,
      owner = 'group:default/team-b',
      ns = 'team-b',
    ) =>
      svc(name, ns, {
        replicas,
        owner,
        podSpec: {
          containers: [
            {
              name: 'vllm',
              image: 'x',
              resources: { limits: { 'nvidia.com/gpu': '1' } },
            },
          ],
        },
      });
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 2 },
      projects: {
        'team-b': {
          owners: ['group:default/team-b'],
          destinations: [{ cluster: 'dev', namespaces: ['team-b'] }],
          gpuQuota: { dev: 6 },
        },
      },
    });
    OWNS[BOB].push(
      'component:default/q1.team-b.dev',
      'component:default/q2.team-b.dev',
      'component:default/q3.team-b.dev',
    );
    expect(
      (
        await request(server)
          .post(`${API}/apply`)
          .set(as(BOB))
          .send({
            cluster: 'dev',
            namespace: 'team-b',
            manifest: gpuSvc('q1', 2),
          })
      ).status,
    ).toBe(200);
    // Elsewhere than the project's namespaces: refused, naming the rule.
    const elsewhere = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({
        cluster: 'dev',
        namespace: 'team-c',
        manifest: gpuSvc('q2', 1, undefined, 'team-c'),
      });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toMatch(/project\.destination/);
    // Above the threshold but within quota: held for approval.
    const held = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({ cluster: 'dev', namespace: 'team-b', manifest: gpuSvc('q2', 3) });
    expect(held.status).toBe(202);
    // Over the quota: refused outright, no approval can apply it.
    const over = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({ cluster: 'dev', namespace: 'team-b', manifest: gpuSvc('q3', 5) });
    expect(over.status).toBe(403);
    expect(over.body.error.message).toMatch(/project\.quota/);
    expect(
      (
        await request(server)
          .post(`${API}/approvals`)
          .set(as(BOB))
          .send({
            cluster: 'dev',
            namespace: 'team-b',
            manifest: gpuSvc('q3', 5),
          })
      ).status,
    ).toBe(403);
    // Growth above the threshold is held, not applied.
    expect(
      (
        await request(server)
          .post(`${API}/clusters/dev/namespaces/team-b/services/q1/scale`)
          .set(as(BOB))
          .send({ role: 'inference', replicas: 3 })
      ).status,
    ).toBe(202);
    // Mallory cannot claim team-b's project (nor its quota) by naming it as the owner.
    const claim = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({ cluster: 'dev', namespace: 'team-b', manifest: gpuSvc('m1', 1) });
    expect(claim.status).toBe(403);
    expect(claim.body.error.message).toMatch(
      /not a member of group:default\/team-b/,
    );
    // Without a project at all: refused.
    const none = await request(server)
      .post(`${API}/apply`)
      .set(as(MALLORY))
      .send({
        cluster: 'dev',
        namespace: 'team-m',
        manifest: gpuSvc('m2', 1, 'group:default/team-m', 'team-m'),
      });
    expect(none.status).toBe(403);
    expect(none.body.error.message).toMatch(/has no team project/);
    // The quota is checked again when an approval executes: q1 grew meanwhile (kubectl, 2 → 4 GPUs), so the held q2
    // (3 GPUs) would make 7 of 6 and is not applied, although approved.
    const q1 = await admin.get<any>(KINDS.InferenceService, 'team-b', 'q1');
    q1.spec.roles[0].replicas = 4;
    await admin.apply(
      { ...q1, metadata: { name: 'q1', namespace: 'team-b' } },
      { fieldManager: 'kubectl' },
    );
    const approved = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(approved.status).toBe(200);
    expect(approved.body.execution).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/over its quota of 6/),
    });
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'q2'),
    ).toBeUndefined();
  });

  it('Pause / Resume of a rollout goes through the policy: held where changes need approval, then only the annotation is written', async () => {
    const server = await start(dev, { approvals: { namespaces: ['prod'] } });
    await admin.apply(
      svc('rolling', 'prod', {
        replicas: 2,
        image: 'a:1',
        annotations: { 'fusioninfer.io/rollout': '"*": {maxUnavailable: 1}' },
      }),
      { fieldManager: 'kubectl' },
    );
    OWNS[BOB].push('component:default/rolling.prod.dev');
    const pause = () =>
      request(server)
        .post(`${API}/clusters/dev/namespaces/prod/services/rolling/rollout`)
        .set(as(BOB))
        .send({ role: 'inference', paused: true });
    const mallory = await request(server)
      .post(`${API}/clusters/dev/namespaces/prod/services/rolling/rollout`)
      .set(as(MALLORY))
      .send({ role: 'inference', paused: true });
    expect(mallory.status).toBe(403);
    const held = await pause();
    expect(held.status).toBe(202);
    expect(held.body.outcome).toBe('approval-required');
    const before = await admin.get<any>(
      KINDS.InferenceService,
      'prod',
      'rolling',
    );
    expect(before.metadata.annotations['fusioninfer.io/rollout']).toBe(
      '"*": {maxUnavailable: 1}',
    );
    const decided = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(decided.body.execution).toMatchObject({ state: 'applied' });
    const after = await admin.get<any>(
      KINDS.InferenceService,
      'prod',
      'rolling',
    );
    expect(
      JSON.parse(after.metadata.annotations['fusioninfer.io/rollout']),
    ).toEqual({
      '*': { maxUnavailable: 1 },
      inference: { paused: true },
    });
    expect(after.spec).toEqual(before.spec);
    const bad = await request(server)
      .post(`${API}/clusters/dev/namespaces/prod/services/rolling/rollout`)
      .set(as(BOB))
      .send({ role: 'nope', paused: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/"nope" is not a role/);
  });

  it('a canary promotion goes through the policy: held where changes need approval, then applied to the canary as it is when approved; a rollback is never held', async () => {
    const server = await start(dev, { approvals: { namespaces: ['prod'] } });
    const m = svc('canaried', 'prod', {
      replicas: 2,
      image: 'a:1',
      annotations: { [CANARY_ANNOTATION]: 'steps: [10, 50]' },
    });
    m.spec.roles.unshift({ name: 'router', componentType: 'router' });
    const revision = workloadRevision(m);
    const state = (weight: number, message: string): CanaryStatus => ({
      revision,
      phase: 'Paused',
      step: weight === 10 ? 0 : 1,
      weight,
      since: new Date().toISOString(),
      passed: 0,
      reason: message,
      checks: [],
      events: [
        {
          at: new Date().toISOString(),
          phase: 'Paused',
          weight,
          message,
        },
      ],
    });
    m.metadata.annotations[CANARY_STATUS_ANNOTATION] = serializeCanaryStatus(
      state(10, 'paused at 10 %'),
    );
    await admin.apply(m, { fieldManager: 'kubectl' });
    OWNS[BOB].push('component:default/canaried.prod.dev');
    const url = `${API}/clusters/dev/namespaces/prod/services/canaried/canary`;
    const mallory = await request(server)
      .post(url)
      .set(as(MALLORY))
      .send({ action: 'rollback' });
    expect(mallory.status).toBe(403);
    const held = await request(server)
      .post(url)
      .set(as(BOB))
      .send({ action: 'promote' });
    expect(held.status).toBe(202);
    // Meanwhile the canary moved on (its controller wrote a later state): the approved promotion applies to that one.
    const live = await admin.get<any>(
      KINDS.InferenceService,
      'prod',
      'canaried',
    );
    await admin.mergePatch(KINDS.InferenceService, 'prod', 'canaried', {
      metadata: {
        annotations: {
          [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(
            state(50, 'paused at 50 %'),
          ),
        },
      },
    });
    const decided = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(decided.body.execution).toMatchObject({ state: 'applied' });
    const after = await admin.get<any>(
      KINDS.InferenceService,
      'prod',
      'canaried',
    );
    const written = readCanaryStatus(after)!;
    expect(written).toMatchObject({ phase: 'Promoting', weight: 50 });
    expect(written.events.map(e => e.message)).toEqual([
      'paused at 50 %',
      'promotion started by user:default/bob',
    ]);
    expect(written.events.at(-1)!.by).toBe('user:default/bob');
    expect(after.spec).toEqual(live.spec);
    // A promoting canary cannot be rolled back (revert the spec): 409 with the reason.
    const late = await request(server)
      .post(url)
      .set(as(BOB))
      .send({ action: 'rollback' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/revert the spec/);
    // A rollback is never held, even where every change needs approval: it applies at once.
    await admin.mergePatch(KINDS.InferenceService, 'prod', 'canaried', {
      metadata: {
        annotations: {
          [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(
            state(50, 'paused at 50 %'),
          ),
        },
      },
    });
    const rollback = await request(server)
      .post(url)
      .set(as(BOB))
      .send({ action: 'rollback' });
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({
      outcome: 'applied',
      phase: 'RolledBack',
      weight: 0,
    });
    const again = await request(server)
      .post(url)
      .set(as(BOB))
      .send({ action: 'rollback' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already rolled back/);
  });

  it('an approval executes only onto the service it was made for (live UID), as its requester', async () => {
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 0 },
    });
    await admin.apply(svc('replaced', 'team-b', { image: 'a:1' }), {
      fieldManager: 'kubectl',
    });
    const held = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({
        cluster: 'dev',
        namespace: 'team-b',
        update: true,
        manifest: svc('replaced', 'team-b', {
          image: 'a:2',
          podSpec: {
            containers: [
              {
                name: 'vllm',
                image: 'a:2',
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        }),
      });
    expect(held.status).toBe(202);
    // Somebody deletes and recreates the service meanwhile: a different object with the same name.
    await admin.delete(KINDS.InferenceService, 'team-b', 'replaced');
    await admin.apply(svc('replaced', 'team-b', { image: 'theirs:1' }), {
      fieldManager: 'kubectl',
    });
    const decided = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(decided.body.execution).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/not the one the request was made for/),
    });
    const live = await admin.get<any>(
      KINDS.InferenceService,
      'team-b',
      'replaced',
    );
    expect(live.spec.roles[0].template.spec.containers[0].image).toBe(
      'theirs:1',
    );
  });

  it('N-L1: a failed execution is retried when transient and can be run again by an approver while valid', async () => {
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 0 },
    });
    const gpu = svc('retry', 'team-b', {
      podSpec: {
        containers: [
          {
            name: 'vllm',
            image: 'x',
            resources: { limits: { 'nvidia.com/gpu': '1' } },
          },
        ],
      },
    });
    OWNS[BOB].push('component:default/retry.team-b.dev');
    const held = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({ cluster: 'dev', namespace: 'team-b', manifest: gpu });
    expect(held.status).toBe(202);
    const id = held.body.approval.id;
    // A final failure: somebody creates the service meanwhile, which the stored UID (none existed) refuses.
    await admin.apply(svc('retry', 'team-b', { image: 'other:1' }), {
      fieldManager: 'kubectl',
    });
    const failed = await request(server)
      .post(`${API}/approvals/${id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(failed.body.execution.state).toBe('failed');
    // Not the approver: refused. The requester alone cannot re-run either (decide permission).
    expect(
      (await request(server).post(`${API}/approvals/${id}/retry`).set(as(BOB)))
        .status,
    ).toBe(403);
    // Once the obstacle is gone, the approver runs it again and it applies.
    await admin.delete(KINDS.InferenceService, 'team-b', 'retry');
    const again = await request(server)
      .post(`${API}/approvals/${id}/retry`)
      .set(as(CAROL));
    expect(again.status).toBe(200);
    expect(again.body.execution.state).toBe('applied');
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'retry'),
    ).toBeDefined();
    // Applied requests are not run again.
    expect(
      (
        await request(server)
          .post(`${API}/approvals/${id}/retry`)
          .set(as(CAROL))
      ).status,
    ).toBe(409);
  });

  it('an approval executes as its requester only while the requester is still in the owner group', async () => {
    const server = await start(dev, {
      approvals: { maxGpusWithoutApproval: 0 },
      projects: {
        'team-b': {
          owners: ['group:default/team-b'],
          destinations: [{ cluster: 'dev', namespaces: ['team-b'] }],
        },
      },
    });
    OWNS[BOB].push('component:default/leaver.team-b.dev');
    await admin.apply(
      svc('leaver', 'team-b', {
        owner: 'group:default/team-b',
        podSpec: {
          containers: [
            {
              name: 'vllm',
              image: 'x',
              resources: { limits: { 'nvidia.com/gpu': '1' } },
            },
          ],
        },
      }),
      { fieldManager: 'kubectl' },
    );
    // Bob asks to scale his team's service; the policy holds it.
    const held = await request(server)
      .post(`${API}/clusters/dev/namespaces/team-b/services/leaver/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 2 });
    expect(held.status).toBe(202);
    // Bob leaves team-b before anybody decides.
    const relations = BOB_ENTITY.relations;
    BOB_ENTITY.relations = [];
    try {
      const decided = await request(server)
        .post(`${API}/approvals/${held.body.approval.id}/decision`)
        .set(as(CAROL))
        .send({ approve: true });
      expect(decided.body.execution).toMatchObject({
        state: 'failed',
        message: expect.stringMatching(
          /no longer a member of group:default\/team-b/,
        ),
      });
      // Nothing applied: still one replica.
      const live = await admin.get<any>(
        KINDS.InferenceService,
        'team-b',
        'leaver',
      );
      expect(live.spec.roles[0].replicas).toBe(1);
    } finally {
      BOB_ENTITY.relations = relations;
    }
  });

  it('a scale computed from an older version of the service is a 409, never written over a newer spec', async () => {
    const logger = mockServices.logger.mock();
    const writer = new ServiceWriter({
      access: new Access({
        httpAuth: mockServices.httpAuth.mock(),
        permissions: mockServices.permissions.mock(),
        logger,
      }),
      source: createLiveServiceSource(
        createFusionInferClusters([admin]),
        new Map(),
      ),
      governance: {
        projects: [],
        podSecurity: { level: 'baseline-gpu' },
        protectedNamespaces: [],
      },
      logger,
    });
    await admin.apply(svc('raced', 'team-b', { image: 'a:1' }), {
      fieldManager: 'kubectl',
    });
    // The edit is computed from what a (possibly stale) cache showed ...
    const seen = await admin.get<any>(
      KINDS.InferenceService,
      'team-b',
      'raced',
    );
    // ... while somebody else changes the spec.
    await admin.apply(svc('raced', 'team-b', { image: 'b:2' }), {
      fieldManager: 'kubectl',
    });
    const edited = {
      ...seen,
      spec: {
        roles: [{ ...seen.spec.roles[0], replicas: 2 }],
      },
    };
    const change = {
      cluster: 'dev',
      namespace: 'team-b',
      name: 'raced',
      kind: 'scale' as const,
      manifest: edited,
      resourceVersion: seen.metadata.resourceVersion,
    };
    const caller = { kind: 'requester' as const, user: BOB };
    const review = await writer.review(caller, change);
    const error = await writer.write(review, change).catch(e => e);
    expect(error).toBeInstanceOf(ClusterApiError);
    expect(error.code).toBe(409);
    const live = await admin.get<any>(
      KINDS.InferenceService,
      'team-b',
      'raced',
    );
    expect(live.spec.roles[0]).toMatchObject({ replicas: 1 });
    expect(live.spec.roles[0].template.spec.containers[0].image).toBe('b:2');
  });
});
