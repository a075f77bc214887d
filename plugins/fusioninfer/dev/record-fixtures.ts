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
 * Records the REST answers the frontend's tests replay (src/__fixtures__/*.json): a development cluster with
 * simulated controllers, the real backend plugin in startTestBackend, then every route the plugin calls.
 *
 *   cd plugins/fusioninfer && npm run record-fixtures
 *
 * Phase 1 (reconciler on): a multi-node service under load (metrics with history), a P/D service, a gang that cannot
 * fit, a 64-pod service, an entity whose annotation names a missing service, approvals by two identities, errors.
 * Phase 2 (reconciler off): the same cluster after a spec change nobody reconciled (a Stale status) and after a child
 * was edited by hand (drift).
 */

/* eslint-disable no-restricted-imports */
import fs from 'fs';
import path from 'path';
/* eslint-enable no-restricted-imports */
import request from 'supertest';
import { parse } from 'yaml';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { KubeConfig } from '@kubernetes/client-node';
import { runLoad, startDevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import fusioninferPlugin from '@fusioninfer/plugin-fusioninfer-backend';

/* eslint-disable no-console */

const OUT =
  process.env.FIXTURES_OUT ?? path.resolve(__dirname, '../src/__fixtures__');
const EXAMPLES = path.resolve(__dirname, '../../../examples');
const NS = 'demo';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  const remember = (e: unknown) => {
    last = e;
    return undefined;
  };
  for (;;) {
    const v = await fn().catch(remember);
    if (v) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what} (${String(last)})`);
    await sleep(100);
  }
}

function save(name: string, value: unknown) {
  fs.writeFileSync(
    path.join(OUT, `${name}.json`),
    `${JSON.stringify(value, null, 2)}\n`,
  );
  console.log(`recorded ${name}.json`);
}

/** Keeps status and body of an answer that is not 2xx (Backstage error JSON). */
function saveError(name: string, res: request.Response) {
  if (res.status < 400)
    throw new Error(`${name}: expected an error, got ${res.status}`);
  save(name, { status: res.status, body: res.body });
}

const example = (file: string) =>
  parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));

const entity = (name: string, service?: string, team = 'ml-platform') => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    ...(service ? { annotations: { 'fusioninfer.io/service': service } } : {}),
  },
  spec: {
    type: 'service',
    owner: `group:default/${team}`,
    lifecycle: 'production',
  },
});

/** The teams of the two identities (the demo's: alice as the guest in llm-apps, bob as the approver in ml-platform). */
const TEAMS: Record<string, string> = {
  [ALICE]: 'group:default/llm-apps',
  [BOB]: 'group:default/ml-platform',
};
const userInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    getUserInfo: async (credentials: any) => {
      const user = credentials.principal.userEntityRef as string;
      return {
        userEntityRef: user,
        ownershipEntityRefs: [user, ...(TEAMS[user] ? [TEAMS[user]] : [])],
      };
    },
  }),
});

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dev = await startDevCluster({
    namespaces: [NS],
    simulation: { podStartupDelayMs: 200 },
  });
  const client = new ClusterClient({
    name: 'dev',
    url: dev.url,
    authProvider: 'serviceAccount',
    skipTLSVerify: true,
    mode: 'manage',
  });
  const put = (isvc: any) =>
    client.apply(
      { ...isvc, metadata: { ...isvc.metadata, namespace: NS } },
      { fieldManager: 'kubectl' },
    );

  const multi = example('demo/multi-node-router.yaml');
  await put(multi);
  const pd = example('demo/router-pd-disaggregation-2-decode.yaml');
  await put(pd);
  // A gang that cannot fit: one replica of 5 pods × 8 GPUs on 4 nodes × 8 GPUs.
  const gang = JSON.parse(JSON.stringify(multi));
  gang.metadata = { name: 'qwen-gang-stuck', labels: multi.metadata.labels };
  gang.spec.roles = gang.spec.roles.filter(
    (r: any) => r.componentType !== 'router',
  );
  gang.spec.roles[0].multinode.nodeCount = 5;
  gang.spec.roles[0].template.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '8';
  await put(gang);
  // 64 pods: 32 replicas of 2-pod groups without GPUs, no router (one gang of 64).
  const wide = JSON.parse(JSON.stringify(multi));
  wide.metadata = { name: 'wide-cpu', labels: multi.metadata.labels };
  wide.spec.roles = wide.spec.roles.filter(
    (r: any) => r.componentType !== 'router',
  );
  wide.spec.roles[0].replicas = 32;
  delete wide.spec.roles[0].template.spec.containers[0].resources;
  await put(wide);

  const catalog = catalogServiceMock.factory({
    entities: [
      // Owned by the teams the services name (fusioninfer.io/owner of examples/demo).
      entity('qwen', `dev/${NS}/qwen-multi-node`, 'llm-apps'),
      entity('pd', `dev/${NS}/disaggregated-llm-service`),
      entity('gang', `dev/${NS}/qwen-gang-stuck`, 'llm-apps'),
      entity('wide', `dev/${NS}/wide-cpu`, 'llm-apps'),
      entity('broken', `dev/${NS}/does-not-exist, not a ref`),
      entity('nothing'),
      // The identities' users: a request is executed with its requester's rights, team membership included.
      ...[ALICE, BOB].map(ref => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: ref.split('/')[1], namespace: 'default' },
        spec: { memberOf: [TEAMS[ref]] },
        relations: [{ type: 'memberOf', targetRef: TEAMS[ref] }],
      })),
    ],
  });
  const config = (reconcile: boolean) =>
    mockServices.rootConfig.factory({
      data: {
        fusioninfer: {
          clusters: [
            {
              name: 'dev',
              url: dev.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: 'dev-token',
              skipTLSVerify: true,
            },
            {
              name: 'down',
              url: 'http://127.0.0.1:1',
              authProvider: 'serviceAccount',
              serviceAccountToken: 'x',
            },
          ],
          reconciler: {
            enabled: reconcile,
            leaseDurationSeconds: 15,
            leaseNamespace: 'default',
          },
          epp: { disableMetricsAuth: false },
          metrics: { minIntervalSeconds: 1, pollIntervalSeconds: 0 },
          approvals: {
            maxGpusWithoutApproval: 8,
            approvers: ['group:default/ml-platform'],
          },
          // The demo's team projects (app-config.yaml): every change gets the policy's verdict (project, quota,
          // pod security), and a namespace outside the project is refused.
          projects: {
            'llm-apps': {
              owners: ['group:default/llm-apps'],
              destinations: [
                { cluster: 'dev', namespaces: ['llm-apps', 'default', NS] },
              ],
              gpuQuota: { dev: 64 },
              approvals: { maxGpusWithoutApproval: 8 },
            },
            'ml-platform': {
              owners: ['group:default/ml-platform'],
              destinations: [
                { cluster: 'dev', namespaces: ['ml-platform', 'ml-*', NS] },
              ],
              gpuQuota: { dev: 128 },
              approvals: { maxGpusWithoutApproval: 16 },
              allowResourceClaims: true,
            },
          },
        },
      },
    });

  const backend = await startTestBackend({
    features: [fusioninferPlugin, config(true), catalog, userInfo],
  });
  const server = backend.server;
  const api = (p: string) => `/api/fusioninfer${p}`;
  const svc = (name: string) =>
    api(`/clusters/dev/namespaces/${NS}/services/${name}`);
  const get = (p: string, user = ALICE) => request(server).get(p).set(as(user));

  await waitFor('qwen-multi-node ready', async () => {
    const r = await get(svc('qwen-multi-node'));
    if (!(
      r.body.status?.readyReplicas === 1 &&
      r.body.router?.epp?.ready &&
      r.body.gang?.phase === 'Running'
    ))
      throw new Error(
        JSON.stringify({
          status: r.status,
          ready: r.body.status?.readyReplicas,
          epp: r.body.router?.epp,
          gang: r.body.gang,
          err: r.body.error,
          roles: r.body.roles,
          st: r.body.status,
        }).slice(0, 2500),
      );
    return (
      r.status === 200 &&
      r.body.status?.readyReplicas === 1 &&
      r.body.router?.epp?.ready &&
      r.body.gang?.phase === 'Running'
    );
  });
  await waitFor('disaggregated-llm-service ready', async () => {
    const r = await get(svc('disaggregated-llm-service'));
    return r.status === 200 && r.body.status?.readyReplicas === 4;
  });
  // 64 pods exist (not necessarily all ready: on a busy machine the simulated kubelet is slow, and a mixed state is
  // what the collapsed summary is for).
  const widePods = async () => {
    const r = await get(svc('wide-cpu'));
    return (r.body.roles?.[0]?.replicas ?? []).flatMap((x: any) => x.pods)
      .length as number;
  };
  await waitFor(
    'wide-cpu pods',
    async () => (await widePods()) >= 64,
    90_000,
  ).catch(async () =>
    console.warn(
      `wide-cpu: ${await widePods()} of 64 pods exist after 90 s (recording the service as it is)`,
    ),
  );
  await waitFor('qwen-gang-stuck unschedulable', async () => {
    const r = await get(svc('qwen-gang-stuck'));
    return (
      r.status === 200 &&
      r.body.gang?.unschedulable &&
      r.body.events.some((e: any) => e.reason === 'FailedScheduling')
    );
  });

  // Metrics under load: a few collections a little more than minIntervalSeconds apart build the history.
  const kc = new KubeConfig();
  kc.loadFromString(dev.kubeconfig());
  const load = runLoad({
    kubeConfig: kc,
    namespace: NS,
    service: 'qwen-multi-node',
    rps: 8,
    durationSeconds: 12,
  });
  let metrics: any;
  for (let i = 0; i < 8; i++) {
    await sleep(1200);
    metrics = (await get(`${svc('qwen-multi-node')}/metrics`)).body;
  }
  await load;
  save('metrics-qwen', metrics);
  save(
    'metrics-pd',
    (await get(`${svc('disaggregated-llm-service')}/metrics`)).body,
  );
  save('metrics-wide', (await get(`${svc('wide-cpu')}/metrics`)).body);

  for (const e of ['qwen', 'pd', 'gang', 'wide', 'broken', 'nothing'])
    save(
      `entity-services-${e}`,
      (await get(api(`/entities/component/default/${e}/services`))).body,
    );
  save('service-qwen', (await get(svc('qwen-multi-node'))).body);
  save('children-qwen', (await get(`${svc('qwen-multi-node')}/children`)).body);
  save(
    'children-pd',
    (await get(`${svc('disaggregated-llm-service')}/children`)).body,
  );
  save('children-gang', (await get(`${svc('qwen-gang-stuck')}/children`)).body);
  save('diff-qwen', (await get(`${svc('qwen-multi-node')}/diff`)).body);
  save('clusters', (await get(api('/clusters'))).body);
  save('services', (await get(api('/services'))).body);

  // Approvals: alice asks for 16 GPUs (policy: more than 8 need approval), bob decides.
  const big = JSON.parse(JSON.stringify(multi));
  big.metadata = {
    name: 'qwen-big',
    namespace: NS,
    annotations: { 'backstage.io/entity-ref': 'component:default/qwen' },
  };
  big.spec.roles[1].replicas = 2;
  big.spec.roles[1].multinode.nodeCount = 2;
  big.spec.roles[1].template.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '4';
  const small = JSON.parse(JSON.stringify(multi));
  small.metadata = {
    name: 'qwen-small',
    namespace: NS,
    labels: multi.metadata.labels,
  };
  const post = (p: string, body: object, user = ALICE) =>
    request(server).post(api(p)).set(as(user)).send(body);
  save(
    'approval-check-required',
    (
      await post('/approvals/check', {
        cluster: 'dev',
        namespace: NS,
        manifest: big,
      })
    ).body,
  );
  save(
    'approval-check-free',
    (
      await post('/approvals/check', {
        cluster: 'dev',
        namespace: NS,
        manifest: small,
      })
    ).body,
  );
  save(
    'apply-dry-run-required',
    (
      await post('/apply', {
        cluster: 'dev',
        namespace: NS,
        manifest: big,
        dryRun: true,
      })
    ).body,
  );
  save(
    'apply-dry-run-free',
    (
      await post('/apply', {
        cluster: 'dev',
        namespace: NS,
        manifest: small,
        dryRun: true,
      })
    ).body,
  );
  // Refused by the policy: llm-apps may not deploy to ml-platform (not even after approval).
  const elsewhere = JSON.parse(JSON.stringify(small));
  elsewhere.metadata.namespace = 'ml-platform';
  save(
    'approval-check-refused',
    (
      await post('/approvals/check', {
        cluster: 'dev',
        namespace: 'ml-platform',
        manifest: elsewhere,
      })
    ).body,
  );
  save(
    'apply-dry-run-refused',
    (
      await post('/apply', {
        cluster: 'dev',
        namespace: 'ml-platform',
        manifest: elsewhere,
        dryRun: true,
      })
    ).body,
  );
  const invalid = JSON.parse(JSON.stringify(small));
  invalid.spec.roles[1].replicas = -1;
  saveError(
    'apply-dry-run-invalid',
    await post('/apply', {
      cluster: 'dev',
      namespace: NS,
      manifest: invalid,
      dryRun: true,
    }),
  );
  const held = await post('/apply', {
    cluster: 'dev',
    namespace: NS,
    manifest: big,
    entityRef: 'component:default/qwen',
    taskId: '3f1c6a52-8e4b-4d0a-9b7e-2c5d8f9a1b20',
  });
  save('apply-approval-required', { status: held.status, body: held.body });
  const pendingId = held.body.approval.id;
  const second = JSON.parse(JSON.stringify(big));
  second.metadata.name = 'qwen-big-2';
  const toReject = await post('/approvals', {
    cluster: 'dev',
    namespace: NS,
    manifest: second,
    entityRef: 'component:default/qwen',
  });
  // Bob's own request, for his team (ml-platform: more than 16 GPUs need approval): 2 × 2 pods × 5 GPUs.
  const third = JSON.parse(JSON.stringify(big));
  third.metadata = {
    name: 'qwen-big-3',
    namespace: NS,
    labels: { 'fusioninfer.io/owner': 'ml-platform' },
  };
  third.spec.roles[1].template.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '5';
  const toApprove = await post(
    '/approvals',
    { cluster: 'dev', namespace: NS, manifest: third },
    BOB,
  );
  save(
    'approval-rejected',
    (
      await post(
        `/approvals/${toReject.body.id}/decision`,
        { approve: false, comment: 'Use 8 GPUs per replica at most' },
        BOB,
      )
    ).body,
  );
  await post(
    `/approvals/${toApprove.body.id}/decision`,
    { approve: true, comment: 'ok for the load test' },
    ALICE,
  );
  saveError(
    'approval-decide-own',
    await post(`/approvals/${pendingId}/decision`, { approve: true }, ALICE),
  );
  const approved = await waitFor('approved request applied', async () => {
    const r = await get(api(`/approvals/${toApprove.body.id}`));
    return r.body.execution?.state === 'applied' && r.body;
  });
  save('approval-approved', approved);
  save('approval-pending', (await get(api(`/approvals/${pendingId}`))).body);
  save(
    'approvals-pending',
    (await get(api('/approvals?status=pending&limit=25&offset=0'))).body,
  );
  save(
    'approvals-decided',
    (
      await get(
        api(
          '/approvals?status=approved,rejected,expired,cancelled&limit=25&offset=0',
        ),
      )
    ).body,
  );
  save(
    'approvals-mine',
    (
      await get(
        api(
          `/approvals?requestedBy=${encodeURIComponent(ALICE)}&limit=25&offset=0`,
        ),
      )
    ).body,
  );
  save(
    'approvals-empty',
    (await get(api('/approvals?status=pending&cluster=nope&limit=25&offset=0')))
      .body,
  );
  save('service-missing-for-approval', {
    status: 404,
    body: (await get(svc('qwen-big'))).body,
  });

  // Mutations (answers only; phase 2 shows what they leave behind).
  save(
    'scale-qwen',
    (
      await post(
        `/clusters/dev/namespaces/${NS}/services/qwen-multi-node/scale`,
        {
          role: 'inference',
          replicas: 2,
        },
      )
    ).body,
  );
  await waitFor('scaled replica ready', async () => {
    const r = await get(svc('qwen-multi-node'));
    return (
      r.body.status?.readyReplicas === 2 && r.body.gang?.phase === 'Running'
    );
  });
  save(
    'entity-services-qwen-scaled',
    (await get(api('/entities/component/default/qwen/services'))).body,
  );
  save(
    'strategy-qwen',
    (
      await post(
        `/clusters/dev/namespaces/${NS}/services/qwen-multi-node/strategy`,
        {
          strategy: 'kv-cache-utilization',
        },
      )
    ).body,
  );

  // Errors.
  saveError('error-not-found', await get(svc('nope')));
  saveError(
    'error-cluster-down',
    await get(api('/clusters/down/namespaces/x/services/y')),
  );
  saveError(
    'error-bad-scale',
    await post(
      `/clusters/dev/namespaces/${NS}/services/qwen-multi-node/scale`,
      {
        role: 'router',
        replicas: 2,
      },
    ),
  );
  await backend.stop();

  const deny = createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () =>
      ({
        authorize: async (reqs: unknown[]) =>
          reqs.map(() => ({ result: AuthorizeResult.DENY })),
        authorizeConditional: async (reqs: unknown[]) =>
          reqs.map(() => ({ result: AuthorizeResult.DENY })),
      }) as any,
  });
  const denied = await startTestBackend({
    features: [fusioninferPlugin, config(false), catalog, deny, userInfo],
  });
  saveError(
    'error-forbidden-entity-services',
    await request(denied.server)
      .get(api('/entities/component/default/qwen/services'))
      .set(as(BOB)),
  );
  saveError(
    'error-forbidden-approvals',
    await request(denied.server)
      .get(api('/approvals?status=pending&limit=25&offset=0'))
      .set(as(BOB)),
  );
  saveError(
    'error-forbidden-scale',
    await request(denied.server)
      .post(
        api(`/clusters/dev/namespaces/${NS}/services/qwen-multi-node/scale`),
      )
      .set(as(BOB))
      .send({ role: 'inference', replicas: 3 }),
  );
  await denied.stop();

  // Phase 2: nobody reconciles. A spec change leaves the status describing the previous generation (Stale), and a
  // hand-edited child drifts.
  const off = await startTestBackend({
    features: [fusioninferPlugin, config(false), catalog, userInfo],
  });
  await request(off.server)
    .post(api(`/clusters/dev/namespaces/${NS}/services/qwen-multi-node/scale`))
    .set(as(ALICE))
    .send({ role: 'inference', replicas: 3 });
  const pg = await client.get<any>(KINDS.PodGroup, NS, 'qwen-multi-node');
  await client.mergePatch(KINDS.PodGroup, NS, 'qwen-multi-node', {
    spec: { minMember: (pg?.spec?.minMember ?? 4) + 5 },
  });
  save(
    'entity-services-qwen-stale',
    (
      await request(off.server)
        .get(api('/entities/component/default/qwen/services'))
        .set(as(ALICE))
    ).body,
  );
  save(
    'diff-qwen-drifted',
    (
      await request(off.server)
        .get(`${svc('qwen-multi-node')}/diff`)
        .set(as(ALICE))
    ).body,
  );
  await off.stop();
  await dev.close();
}

main().then(
  () => process.exit(0),
  e => {
    console.error(e);
    process.exit(1);
  },
);
