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
 * Records the REST answers of this plugin that the frontend's tests replay (plugins/fusioninfer/src/__fixtures__):
 * a development cluster with simulated controllers, this plugin in startTestBackend, then the scenarios below.
 *
 *   cd plugins/fusioninfer-backend && npm run record-fixtures
 *
 * Each scenario runs against one backend: the reconciling one (a multi-node service under load, a P/D service, a
 * gang that cannot fit, a 64-pod service, an entity whose annotation names a missing service, the pre-flight of a
 * service and of a dry run, approvals by two identities, mutations, errors), one whose policy denies everything (403s), and one that does not reconcile: the
 * same cluster after a spec change nobody reconciled (a Stale status) and after a child was edited by hand (drift);
 * then showback: a reconciling backend samples usage every 10 s while the multi-node service is under load; last,
 * autoscaling: the demo's qwen-inference (advisory, one request at a time) recommending more replicas under load.
 * Every fixture is checked against its route's schema by plugins/fusioninfer/src/__fixtures__/fixtures.test.ts.
 */

/* eslint-disable no-console */
import fs from 'fs';
import path from 'path';
import type { Response } from 'supertest';
import {
  demoGateway,
  DevCluster,
  runLoad,
  startDevCluster,
} from '@fusioninfer/dev-cluster';
import { CANARY_ANNOTATION } from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import {
  devClusterConfig,
  loadExample,
  REPO_ROOT,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  DENY_ALL,
  DOWN_CLUSTER,
  FusionInferTestBackend,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import { fusioninferPlugin } from '../src/plugin';

const OUT =
  process.env.FIXTURES_OUT ??
  path.join(REPO_ROOT, 'plugins/fusioninfer/src/__fixtures__');
const NS = 'demo';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
/** The teams of the two identities (the demo's: alice as the guest in llm-apps, bob as the approver in ml-platform). */
const TEAMS: Record<string, string[]> = {
  [ALICE]: ['group:default/llm-apps'],
  [BOB]: ['group:default/ml-platform'],
};

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));
/** The path of a service of namespace `demo` in cluster `dev`. */
const svc = (name: string) => `/clusters/dev/namespaces/${NS}/services/${name}`;

/** The demo's services (examples/demo) and the variants the frontend shows. */
function services() {
  const multi = loadExample('demo/multi-node-router');
  const pd = loadExample('demo/router-pd-disaggregation-2-decode');
  const workers = () => {
    const s = copy(multi);
    s.spec.roles = s.spec.roles.filter(
      (r: any) => r.componentType !== 'router',
    );
    return s;
  };
  // A gang that cannot fit: one replica of 5 pods × 8 GPUs on 4 nodes × 8 GPUs.
  const gang = workers();
  gang.metadata = { name: 'qwen-gang-stuck', labels: multi.metadata.labels };
  gang.spec.roles[0].multinode.nodeCount = 5;
  gang.spec.roles[0].template.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '8';
  // 64 pods: 32 replicas of 2-pod groups without GPUs, no router (one gang of 64).
  const wide = workers();
  wide.metadata = { name: 'wide-cpu', labels: multi.metadata.labels };
  wide.spec.roles[0].replicas = 32;
  delete wide.spec.roles[0].template.spec.containers[0].resources;
  return { multi, pd, gang, wide };
}

/** Manifests of the approval scenario, made from the multi-node service. */
function approvalManifests(multi: any) {
  // 16 GPUs for alice's team (llm-apps: more than 8 need approval).
  const big = copy(multi);
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
  const small = copy(multi);
  small.metadata = {
    name: 'qwen-small',
    namespace: NS,
    labels: multi.metadata.labels,
  };
  // Refused by the policy: llm-apps may not deploy to ml-platform (not even after approval).
  const elsewhere = copy(small);
  elsewhere.metadata.namespace = 'ml-platform';
  const invalid = copy(small);
  invalid.spec.roles[1].replicas = -1;
  const second = copy(big);
  second.metadata.name = 'qwen-big-2';
  // Bob's own request, for his team (ml-platform: more than 16 GPUs need approval): 2 × 2 pods × 5 GPUs.
  const third = copy(big);
  third.metadata = {
    name: 'qwen-big-3',
    namespace: NS,
    labels: { 'fusioninfer.io/owner': 'ml-platform' },
  };
  third.spec.roles[1].template.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '5';
  // For the pre-flight: Qwen3-32B on one 80 GB GPU, a single pod per replica. Its weights leave KV cache for fewer
  // tokens than one request of its 40,960-token context: vLLM would refuse to start (the fixes: a shorter
  // max-model-len, fp8 KV cache, or TP 2).
  const outOfMemory = copy(small);
  outOfMemory.metadata.name = 'qwen-32b-one-gpu';
  delete outOfMemory.spec.roles[1].multinode;
  outOfMemory.spec.roles[1].template.spec.containers[0].args = [
    '--model',
    'Qwen/Qwen3-32B',
    '--max-model-len',
    '40960',
  ];
  return { big, small, elsewhere, invalid, second, third, outOfMemory };
}

const component = (name: string, service?: string, team = 'ml-platform') => ({
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

const ENTITIES = [
  // Owned by the teams the services name (fusioninfer.io/owner of examples/demo).
  component('qwen', `dev/${NS}/qwen-multi-node`, 'llm-apps'),
  component('pd', `dev/${NS}/disaggregated-llm-service`),
  component('gang', `dev/${NS}/qwen-gang-stuck`, 'llm-apps'),
  component('wide', `dev/${NS}/wide-cpu`, 'llm-apps'),
  component('broken', `dev/${NS}/does-not-exist, not a ref`),
  component('nothing'),
  // The identities' users: a request is executed with its requester's rights, team membership included.
  ...[ALICE, BOB].map(ref => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: ref.split('/')[1], namespace: 'default' },
    spec: { memberOf: TEAMS[ref] },
    relations: [{ type: 'memberOf', targetRef: TEAMS[ref][0] }],
  })),
];

/** The demo's `fusioninfer` configuration (app-config.yaml), reconciling or not. */
const config = (reconcile: boolean) => ({
  reconciler: {
    enabled: reconcile,
    leaseDurationSeconds: 15,
    leaseNamespace: 'default',
  },
  epp: { disableMetricsAuth: false },
  metrics: { minIntervalSeconds: 1, pollIntervalSeconds: 0 },
  // Decisions every 2 s (15 s by default), so the autoscaling recording waits less.
  autoscaler: { interval: '2s' },
  // Canary checks every 2 s (the metrics poll interval by default; polling is off here).
  canary: { interval: '2s' },
  // Showback: the demo's price sheet, sampled every 10 s (the shortest interval) so a scenario sees costs soon.
  showback: {
    currency: 'USD',
    prices: [
      {
        resource: 'nvidia.com/gpu',
        product: 'NVIDIA-H100-80GB-HBM3',
        perHour: 4,
      },
      { resource: 'nvidia.com/gpu', perHour: 2.5 },
    ],
    interval: '10s',
  },
  approvals: {
    maxGpusWithoutApproval: 8,
    approvers: ['group:default/ml-platform'],
  },
  // The demo's team projects: every change gets the policy's verdict (project, quota, pod security), and a
  // namespace outside the project is refused.
  projects: {
    'llm-apps': {
      owners: ['group:default/llm-apps'],
      destinations: [
        { cluster: 'dev', namespaces: ['llm-apps', 'default', NS] },
      ],
      gpuQuota: { dev: 64 },
      approvals: { maxGpusWithoutApproval: 8 },
      // Small enough that a minute of the demo's GPUs passes it: the recordings show a budget exceeded.
      budget: { monthly: 0.05, currency: 'USD' },
    },
    'ml-platform': {
      owners: ['group:default/ml-platform'],
      destinations: [
        { cluster: 'dev', namespaces: ['ml-platform', 'ml-*', NS] },
      ],
      gpuQuota: { dev: 128 },
      approvals: { maxGpusWithoutApproval: 16 },
      allowResourceClaims: true,
      budget: { monthly: 20000, currency: 'USD' },
    },
  },
});

/** What the steps of a scenario share: the backend, the cluster and values earlier steps found. */
interface Session {
  backend: FusionInferTestBackend;
  dev: DevCluster;
  client: ClusterClient;
  manifests: ReturnType<typeof approvalManifests>;
  /** Values a step leaves for later ones (approval ids, a running load). */
  found: Record<string, any>;
}

/**
 * One step: `record` saves the answer of `request` as `<record>.json` — its body, or `{ status, body }` when
 * `keep: 'response'` (answers whose status the frontend replays: errors, 202s; an error answer is required) — and
 * `run` prepares what the next recordings show.
 */
type Step =
  | {
      record: string;
      request: (s: Session) => PromiseLike<Response>;
      keep?: 'body' | 'response';
    }
  | { run: string; fn: (s: Session) => Promise<unknown> };

interface Scenario {
  name: string;
  /** The backend the steps talk to: the demo's, one denying every permission, one that does not reconcile. */
  backend: 'reconciling' | 'denying' | 'idle';
  steps: Step[];
}

/** Waits for what the recordings need (two minutes: the simulated kubelet is slow on a busy machine). */
const until = <T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 120_000,
) => waitFor(fn, { what, timeoutMs, intervalMs: 100 });

const get =
  (p: string, user = ALICE) =>
  (s: Session) =>
    s.backend.get(p, user);
const post =
  (p: string, body: (s: Session) => object, user = ALICE) =>
  (s: Session) =>
    s.backend.post(p, body(s), user);
const apply =
  (
    manifest: keyof Session['manifests'],
    options: { namespace?: string; dryRun?: boolean } = {},
  ) =>
  (s: Session) =>
    s.backend.post(
      '/apply',
      {
        cluster: 'dev',
        namespace: options.namespace ?? NS,
        manifest: s.manifests[manifest],
        ...(options.dryRun ? { dryRun: true } : {}),
      },
      ALICE,
    );
const check =
  (manifest: keyof Session['manifests'], namespace = NS) =>
  (s: Session) =>
    s.backend.post(
      '/approvals/check',
      { cluster: 'dev', namespace, manifest: s.manifests[manifest] },
      ALICE,
    );

const SCENARIOS: Scenario[] = [
  {
    name: 'services, metrics under load, entities',
    backend: 'reconciling',
    steps: [
      {
        run: 'wait for the services',
        fn: async ({ backend }) => {
          await until('qwen-multi-node ready', async () => {
            const r = await backend.get(svc('qwen-multi-node'), ALICE);
            const ready =
              r.status === 200 &&
              r.body.status?.readyReplicas === 1 &&
              r.body.router?.epp?.ready &&
              r.body.gang?.phase === 'Running';
            // the last answer is in the timeout's message
            if (!ready)
              throw new Error(
                JSON.stringify({
                  status: r.status,
                  ready: r.body.status?.readyReplicas,
                  epp: r.body.router?.epp,
                  gang: r.body.gang,
                  err: r.body.error,
                }).slice(0, 2500),
              );
            return ready;
          });
          await until('disaggregated-llm-service ready', async () => {
            const r = await backend.get(svc('disaggregated-llm-service'));
            return r.status === 200 && r.body.status?.readyReplicas === 4;
          });
          // 64 pods exist (not necessarily all ready: on a busy machine the simulated kubelet is slow, and a mixed
          // state is what the collapsed summary is for).
          const widePods = async () => {
            const r = await backend.get(svc('wide-cpu'), ALICE);
            return (r.body.roles?.[0]?.replicas ?? []).flatMap(
              (x: any) => x.pods,
            ).length as number;
          };
          await until(
            'wide-cpu pods',
            async () => (await widePods()) >= 64,
            90_000,
          ).catch(async () =>
            console.warn(
              `wide-cpu: ${await widePods()} of 64 pods exist after 90 s (recording the service as it is)`,
            ),
          );
          await until('qwen-gang-stuck unschedulable', async () => {
            const r = await backend.get(svc('qwen-gang-stuck'), ALICE);
            return (
              r.status === 200 &&
              r.body.gang?.unschedulable &&
              r.body.events.some((e: any) => e.reason === 'FailedScheduling')
            );
          });
        },
      },
      {
        run: 'put qwen-multi-node under load',
        fn: async s => {
          // A few collections a little more than minIntervalSeconds apart build the history; the recording is the
          // last one, taken while the load still runs.
          s.found.load = runLoad({
            kubeConfig: s.client.kubeConfig,
            namespace: NS,
            service: 'qwen-multi-node',
            rps: 8,
            durationSeconds: 12,
          });
          for (let i = 0; i < 7; i++) {
            await sleep(1200);
            await s.backend.get(`${svc('qwen-multi-node')}/metrics`, ALICE);
          }
          await sleep(1200);
        },
      },
      {
        record: 'metrics-qwen',
        request: get(`${svc('qwen-multi-node')}/metrics`),
      },
      { run: 'finish the load', fn: async s => void (await s.found.load) },
      {
        record: 'metrics-pd',
        request: get(`${svc('disaggregated-llm-service')}/metrics`),
      },
      { record: 'metrics-wide', request: get(`${svc('wide-cpu')}/metrics`) },
      ...['qwen', 'pd', 'gang', 'wide', 'broken', 'nothing'].map(e => ({
        record: `entity-services-${e}`,
        request: get(`/entities/component/default/${e}/services`),
      })),
      { record: 'service-qwen', request: get(svc('qwen-multi-node')) },
      {
        record: 'children-qwen',
        request: get(`${svc('qwen-multi-node')}/children`),
      },
      {
        record: 'children-pd',
        request: get(`${svc('disaggregated-llm-service')}/children`),
      },
      {
        record: 'children-gang',
        request: get(`${svc('qwen-gang-stuck')}/children`),
      },
      { record: 'diff-qwen', request: get(`${svc('qwen-multi-node')}/diff`) },
      { record: 'clusters', request: get('/clusters') },
      { record: 'services', request: get('/services') },
    ],
  },
  {
    name: 'pre-flight: a demo service that starts, the gang that cannot fit, a dry run of a model too large for its GPU',
    backend: 'reconciling',
    steps: [
      {
        record: 'preflight-qwen',
        request: get(`${svc('qwen-multi-node')}/preflight`),
      },
      {
        record: 'preflight-gang',
        request: get(`${svc('qwen-gang-stuck')}/preflight`),
      },
      {
        record: 'apply-dry-run-does-not-start',
        request: apply('outOfMemory', { dryRun: true }),
      },
    ],
  },
  {
    name: 'approvals: alice asks for 16 GPUs (llm-apps: more than 8 need approval), bob decides',
    backend: 'reconciling',
    steps: [
      { record: 'approval-check-required', request: check('big') },
      { record: 'approval-check-free', request: check('small') },
      {
        record: 'apply-dry-run-required',
        request: apply('big', { dryRun: true }),
      },
      {
        record: 'apply-dry-run-free',
        request: apply('small', { dryRun: true }),
      },
      {
        record: 'approval-check-refused',
        request: check('elsewhere', 'ml-platform'),
      },
      {
        record: 'apply-dry-run-refused',
        request: apply('elsewhere', { namespace: 'ml-platform', dryRun: true }),
      },
      {
        record: 'apply-dry-run-invalid',
        request: apply('invalid', { dryRun: true }),
        keep: 'response',
      },
      {
        record: 'apply-approval-required',
        request: async s => {
          const held = await post('/apply', () => ({
            cluster: 'dev',
            namespace: NS,
            manifest: s.manifests.big,
            entityRef: 'component:default/qwen',
            taskId: '3f1c6a52-8e4b-4d0a-9b7e-2c5d8f9a1b20',
          }))(s);
          s.found.pending = held.body.approval.id;
          return held;
        },
        keep: 'response',
      },
      {
        run: "alice's second request and bob's own",
        fn: async s => {
          const toReject = await post('/approvals', () => ({
            cluster: 'dev',
            namespace: NS,
            manifest: s.manifests.second,
            entityRef: 'component:default/qwen',
          }))(s);
          s.found.toReject = toReject.body.id;
          const toApprove = await post(
            '/approvals',
            () => ({
              cluster: 'dev',
              namespace: NS,
              manifest: s.manifests.third,
            }),
            BOB,
          )(s);
          s.found.toApprove = toApprove.body.id;
        },
      },
      {
        record: 'approval-rejected',
        request: s =>
          post(
            `/approvals/${s.found.toReject}/decision`,
            () => ({
              approve: false,
              comment: 'Use 8 GPUs per replica at most',
            }),
            BOB,
          )(s),
      },
      {
        run: "alice approves bob's request",
        fn: async s => {
          await post(`/approvals/${s.found.toApprove}/decision`, () => ({
            approve: true,
            comment: 'ok for the load test',
          }))(s);
        },
      },
      {
        record: 'approval-decide-own',
        request: s =>
          post(`/approvals/${s.found.pending}/decision`, () => ({
            approve: true,
          }))(s),
        keep: 'response',
      },
      {
        run: 'wait for the approved request to be applied',
        fn: s =>
          until('approved request applied', async () => {
            const r = await s.backend.get(
              `/approvals/${s.found.toApprove}`,
              ALICE,
            );
            return r.body.execution?.state === 'applied';
          }),
      },
      {
        record: 'approval-approved',
        request: s => get(`/approvals/${s.found.toApprove}`)(s),
      },
      {
        record: 'approval-pending',
        request: s => get(`/approvals/${s.found.pending}`)(s),
      },
      {
        record: 'approvals-pending',
        request: get('/approvals?status=pending&limit=25&offset=0'),
      },
      {
        record: 'approvals-decided',
        request: get(
          '/approvals?status=approved,rejected,expired,cancelled&limit=25&offset=0',
        ),
      },
      {
        record: 'approvals-mine',
        request: get(
          `/approvals?requestedBy=${encodeURIComponent(ALICE)}&limit=25&offset=0`,
        ),
      },
      {
        record: 'approvals-empty',
        request: get(
          '/approvals?status=pending&cluster=nope&limit=25&offset=0',
        ),
      },
      {
        record: 'service-missing-for-approval',
        request: get(svc('qwen-big')),
        keep: 'response',
      },
    ],
  },
  {
    name: 'mutations (their answers; the idle backend shows what they leave behind) and errors',
    backend: 'reconciling',
    steps: [
      {
        record: 'scale-qwen',
        request: post(`${svc('qwen-multi-node')}/scale`, () => ({
          role: 'inference',
          replicas: 2,
        })),
      },
      {
        run: 'wait for the new replica',
        fn: s =>
          until('scaled replica ready', async () => {
            const r = await s.backend.get(svc('qwen-multi-node'), ALICE);
            return (
              r.body.status?.readyReplicas === 2 &&
              r.body.gang?.phase === 'Running'
            );
          }),
      },
      {
        record: 'entity-services-qwen-scaled',
        request: get('/entities/component/default/qwen/services'),
      },
      {
        record: 'strategy-qwen',
        request: post(`${svc('qwen-multi-node')}/strategy`, () => ({
          strategy: 'kv-cache-utilization',
        })),
      },
      {
        record: 'error-not-found',
        request: get(svc('nope')),
        keep: 'response',
      },
      {
        record: 'error-cluster-down',
        request: get('/clusters/down/namespaces/x/services/y'),
        keep: 'response',
      },
      {
        record: 'error-bad-scale',
        request: post(`${svc('qwen-multi-node')}/scale`, () => ({
          role: 'router',
          replicas: 2,
        })),
        keep: 'response',
      },
    ],
  },
  {
    name: 'a policy that denies everything',
    backend: 'denying',
    steps: [
      {
        record: 'error-forbidden-entity-services',
        request: get('/entities/component/default/qwen/services', BOB),
        keep: 'response',
      },
      {
        record: 'error-forbidden-approvals',
        request: get('/approvals?status=pending&limit=25&offset=0', BOB),
        keep: 'response',
      },
      {
        record: 'error-forbidden-scale',
        request: post(
          `${svc('qwen-multi-node')}/scale`,
          () => ({ role: 'inference', replicas: 3 }),
          BOB,
        ),
        keep: 'response',
      },
    ],
  },
  {
    name: 'nobody reconciles: a spec change leaves the status of the previous generation (Stale), a hand-edited child drifts',
    backend: 'idle',
    steps: [
      {
        run: 'scale without a reconciler, edit the PodGroup by hand',
        fn: async s => {
          await s.backend.post(
            `${svc('qwen-multi-node')}/scale`,
            { role: 'inference', replicas: 3 },
            ALICE,
          );
          const pg = await s.client.get<any>(
            KINDS.PodGroup,
            NS,
            'qwen-multi-node',
          );
          await s.client.mergePatch(KINDS.PodGroup, NS, 'qwen-multi-node', {
            spec: { minMember: (pg?.spec?.minMember ?? 4) + 5 },
          });
        },
      },
      {
        record: 'entity-services-qwen-stale',
        request: get('/entities/component/default/qwen/services'),
      },
      {
        record: 'diff-qwen-drifted',
        request: get(`${svc('qwen-multi-node')}/diff`),
      },
    ],
  },
  {
    name: 'showback: GPU cost of the services under load, per service and per team (llm-apps over its budget)',
    backend: 'reconciling',
    steps: [
      {
        run: 'load qwen-multi-node until two usage samples have counted its tokens',
        fn: async s => {
          await until('qwen-multi-node ready to serve', async () => {
            const r = await s.backend.get(svc('qwen-multi-node'), ALICE);
            return (
              r.status === 200 &&
              (r.body.status?.readyReplicas ?? 0) >= 1 &&
              r.body.router?.epp?.ready
            );
          });
          const load = runLoad({
            kubeConfig: s.client.kubeConfig,
            namespace: NS,
            service: 'qwen-multi-node',
            rps: 4,
            durationSeconds: 40,
          });
          await until('qwen-multi-node costed, with tokens', async () => {
            const r = await s.backend.get(
              `${svc('qwen-multi-node')}/showback`,
              ALICE,
            );
            return (
              r.status === 200 &&
              r.body.service.totalCostMicros > 0 &&
              r.body.service.generationTokens > 0 &&
              r.body.service.gpusNow > 0
            );
          });
          await load;
        },
      },
      {
        record: 'showback-qwen',
        request: get(`${svc('qwen-multi-node')}/showback`),
      },
      {
        record: 'showback-team-llm-apps',
        request: get('/showback?team=group:default/llm-apps'),
      },
      { record: 'showback', request: get('/showback') },
      {
        record: 'error-showback-window',
        request: get(
          '/showback?from=2020-01-01T00:00:00Z&to=2020-03-01T00:00:00Z',
        ),
        keep: 'response',
      },
    ],
  },
  {
    name: 'autoscaling: the demo qwen-inference (advisory) recommending more under load, a service without the annotation',
    backend: 'reconciling',
    steps: [
      {
        run: 'deploy qwen-inference, put it under load, wait for a recommendation above 1',
        fn: async s => {
          const qwen = loadExample('demo/monolithic-router-qwen');
          // One request at a time, so that the load makes a queue (the simulated engine runs 32 by default).
          qwen.spec.roles[1].template.spec.containers[0].args.push(
            '--max-num-seqs',
            '1',
          );
          await s.client.apply(
            { ...qwen, metadata: { ...qwen.metadata, namespace: NS } },
            { fieldManager: 'kubectl' },
          );
          await until('qwen-inference ready', async () => {
            const r = await s.backend.get(svc('qwen-inference'), ALICE);
            return r.status === 200 && r.body.status?.readyReplicas === 1;
          });
          s.found.autoscalingLoad = runLoad({
            kubeConfig: s.client.kubeConfig,
            namespace: NS,
            service: 'qwen-inference',
            rps: 6,
            durationSeconds: 20,
            maxTokens: 48,
          });
          await until('a recommendation above 1', async () => {
            const r = await s.backend.get(
              `${svc('qwen-inference')}/autoscaling`,
              ALICE,
            );
            return r.body.roles?.[0]?.recommendation > 1;
          });
        },
      },
      {
        record: 'autoscaling-qwen',
        request: get(`${svc('qwen-inference')}/autoscaling`),
      },
      {
        run: 'finish the load',
        fn: async s => void (await s.found.autoscalingLoad),
      },
      {
        record: 'autoscaling-none',
        request: get(`${svc('qwen-multi-node')}/autoscaling`),
      },
    ],
  },
  {
    name: 'rollout: an image change on a 4-replica role, paused part-way and resumed until it completes',
    backend: 'reconciling',
    steps: [
      {
        run: 'deploy qwen-rolling (4 replicas), change its image to one that starts slowly, wait for the first wave',
        fn: async s => {
          const rolling = copy(services().multi);
          rolling.metadata = {
            name: 'qwen-rolling',
            namespace: NS,
            labels: rolling.metadata.labels,
          };
          rolling.spec.roles = rolling.spec.roles.filter(
            (r: any) => r.componentType !== 'router',
          );
          const role = rolling.spec.roles[0];
          role.replicas = 4;
          delete role.multinode;
          // No GPUs: the rollout must not depend on what the other scenarios left on the nodes.
          delete role.template.spec.containers[0].resources;
          await s.client.apply(rolling, { fieldManager: 'kubectl' });
          const detail = async () =>
            (await s.backend.get(svc('qwen-rolling'), ALICE)).body;
          await until('qwen-rolling ready', async () => {
            const d = await detail();
            return (
              d.roles?.[0]?.replicas?.filter((r: any) => r.readyGroups)
                .length === 4
            );
          });
          // "-slowstart": each moved replica takes 10 × the start-up delay to be Ready, so the waves can be seen.
          role.template.spec.containers[0].image = `${role.template.spec.containers[0].image.split(':')[0]}:v0.27.2-slowstart`;
          await s.client.apply(rolling, { fieldManager: 'kubectl' });
          await until('a first replica at the new spec', async () => {
            const r = (await detail()).roles?.[0]?.rollout;
            return r?.active && r.updatedReplicas >= 1 && r.updatedReplicas < 4;
          });
        },
      },
      {
        record: 'rollout-pause',
        request: post(`${svc('qwen-rolling')}/rollout`, () => ({
          role: 'inference',
          paused: true,
        })),
      },
      {
        run: 'wait until the reconciler holds it',
        fn: s =>
          until('the rollout paused', async () => {
            const r = (await get(svc('qwen-rolling'))(s)).body.roles?.[0]
              ?.rollout;
            return r?.phase === 'paused';
          }),
      },
      { record: 'service-rolling-paused', request: get(svc('qwen-rolling')) },
      {
        record: 'rollout-resume',
        request: post(`${svc('qwen-rolling')}/rollout`, () => ({
          role: 'inference',
          paused: false,
        })),
      },
      {
        run: 'wait until it moves again',
        fn: s =>
          until('the rollout resumed', async () => {
            const r = (await get(svc('qwen-rolling'))(s)).body.roles?.[0]
              ?.rollout;
            return r?.active && !r.paused && r.phase !== 'paused';
          }),
      },
      { record: 'service-rolling', request: get(svc('qwen-rolling')) },
      {
        run: 'wait until every replica runs the new image and is Ready',
        fn: s =>
          until('the rollout complete', async () => {
            const d = (await get(svc('qwen-rolling'))(s)).body;
            return (
              d.roles?.[0]?.rollout?.active === false &&
              d.status?.conditions?.some(
                (c: any) =>
                  c.type === 'RolloutProgressing' && c.reason === 'Complete',
              )
            );
          }),
      },
      { record: 'service-rolling-complete', request: get(svc('qwen-rolling')) },
    ],
  },
  {
    name: 'canary: an image change of a canary service behind the Gateway, paused and rolled back',
    backend: 'reconciling',
    steps: [
      {
        run: 'deploy qwen-canary (2 replicas, canary steps 20 and 50 %) behind the Gateway, change its image, wait for the first weight',
        fn: async s => {
          await s.client.apply(demoGateway(NS) as any, {
            fieldManager: 'kubectl',
          });
          const canary = copy(services().multi);
          canary.metadata = {
            name: 'qwen-canary',
            namespace: NS,
            labels: canary.metadata.labels,
            annotations: {
              [CANARY_ANNOTATION]: JSON.stringify({
                steps: [20, 50],
                stepSeconds: 600,
                analysis: { maxTtftP95Ratio: 1.5, maxErrorRate: 0.05 },
              }),
            },
          };
          const role = canary.spec.roles.find(
            (r: any) => r.componentType === 'worker',
          );
          role.replicas = 2;
          delete role.multinode;
          // No GPUs: the canary's room must not depend on what the other scenarios left on the nodes.
          delete role.template.spec.containers[0].resources;
          await s.client.apply(canary, { fieldManager: 'kubectl' });
          const detail = async () =>
            (await s.backend.get(svc('qwen-canary'), ALICE)).body;
          await until('qwen-canary ready', async () => {
            const d = await detail();
            return (
              d.roles
                ?.find((r: any) => r.name === role.name)
                ?.replicas?.filter((r: any) => r.readyGroups).length === 2
            );
          });
          role.template.spec.containers[0].image = `${role.template.spec.containers[0].image.split(':')[0]}:v0.28.0`;
          await s.client.apply(canary, { fieldManager: 'kubectl' });
          await until('the canary at its first weight', async () => {
            const c = (await detail()).canary;
            return c?.state?.phase === 'Progressing' && c.state.weight === 20;
          });
        },
      },
      { record: 'service-canary', request: get(svc('qwen-canary')) },
      {
        record: 'canary-pause',
        request: post(`${svc('qwen-canary')}/canary`, () => ({
          action: 'pause',
        })),
      },
      {
        run: 'wait until the detail says paused',
        fn: s =>
          until(
            'the canary paused',
            async () =>
              (await get(svc('qwen-canary'))(s)).body.canary?.state?.phase ===
              'Paused',
          ),
      },
      { record: 'service-canary-paused', request: get(svc('qwen-canary')) },
      {
        record: 'canary-rollback',
        request: post(`${svc('qwen-canary')}/canary`, () => ({
          action: 'rollback',
        })),
      },
      {
        run: 'wait until the route is back on the stable pool and the canary gone',
        fn: s =>
          until('the canary rolled back', async () => {
            const c = (await get(svc('qwen-canary'))(s)).body.canary;
            return (
              c?.state?.phase === 'RolledBack' &&
              c.routeWeight === 0 &&
              c.canaryReplicas === 0
            );
          }),
      },
      {
        record: 'service-canary-rolled-back',
        request: get(svc('qwen-canary')),
      },
      {
        run: 'delete qwen-canary',
        fn: s => s.client.delete(KINDS.InferenceService, NS, 'qwen-canary'),
      },
    ],
  },
];

function save(name: string, value: unknown) {
  fs.writeFileSync(
    path.join(OUT, `${name}.json`),
    `${JSON.stringify(value, null, 2)}\n`,
  );
  console.log(`recorded ${name}.json`);
}

async function run(scenario: Scenario, session: Session) {
  console.log(`- ${scenario.name}`);
  for (const step of scenario.steps) {
    if ('run' in step) {
      await step.fn(session);
      continue;
    }
    const res = await step.request(session);
    if (step.keep === 'response') {
      // A 202 is kept with its status too; anything else kept this way is an error answer.
      if (res.status !== 202 && res.status < 400)
        throw new Error(
          `${step.record}: expected an error, got ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`,
        );
      save(step.record, { status: res.status, body: res.body });
    } else {
      if (res.status >= 300)
        throw new Error(
          `${step.record}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`,
        );
      save(step.record, res.body);
    }
  }
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dev = await startDevCluster({
    namespaces: [NS],
    simulation: { podStartupDelayMs: 200 },
  });
  const client = new ClusterClient(devClusterConfig(dev.url));
  const { multi, pd, gang, wide } = services();
  for (const isvc of [multi, pd, gang, wide])
    await client.apply(
      { ...isvc, metadata: { ...isvc.metadata, namespace: NS } },
      { fieldManager: 'kubectl' },
    );
  const manifests = approvalManifests(multi);
  const start = (backend: Scenario['backend']) =>
    startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      otherClusters: [DOWN_CLUSTER],
      config: config(backend === 'reconciling'),
      entities: ENTITIES,
      teams: TEAMS,
      ...(backend === 'denying' ? { permissions: DENY_ALL } : {}),
    });

  // One backend per run of scenarios with the same kind, stopped before the next kind starts.
  let current: { kind: Scenario['backend']; session: Session } | undefined;
  // FIXTURES_ONLY=<words>: only the scenarios whose name contains them (the others' fixtures stay as recorded).
  const only = process.env.FIXTURES_ONLY;
  for (const scenario of SCENARIOS.filter(
    x => !only || x.name.includes(only),
  )) {
    if (current?.kind !== scenario.backend) {
      await current?.session.backend.stop();
      current = {
        kind: scenario.backend,
        session: {
          backend: await start(scenario.backend),
          dev,
          client,
          manifests,
          found: {},
        },
      };
    }
    await run(scenario, current.session);
  }
  await current?.session.backend.stop();
  await dev.close();
}

main().then(
  () => process.exit(0),
  e => {
    console.error(e);
    process.exit(1);
  },
);
