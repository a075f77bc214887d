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
import { mockServices } from '@backstage/backend-test-utils';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterApiError,
  ClusterClient,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import {
  InferenceService,
  KubeObject,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterReconciler } from './ClusterReconciler';
import { startPartitionProxy } from '../__testUtils__/partitionProxy';
import { loadExample, waitFor } from '@fusioninfer/test-utils';

const example = (n: string) => loadExample<InferenceService>(n);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('ClusterReconciler against the development cluster', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  let reconciler: ClusterReconciler;
  const logger = mockServices.logger.mock();
  const ns = 'default';

  beforeEach(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      serviceAccountToken: 't',
      skipTLSVerify: true,
      mode: 'manage',
    });
    reconciler = new ClusterReconciler({
      client,
      logger,
      baseDelayMs: 20,
      resyncSeconds: 3600,
    });
    await reconciler.start();
  });
  afterEach(async () => {
    await reconciler.stop();
    await dev.close();
  });

  const create = (isvc: InferenceService) =>
    client.apply(
      { ...isvc, metadata: { ...isvc.metadata, namespace: ns } },
      { fieldManager: 'kubectl' },
    );
  const getIsvc = () => (name: string) =>
    client.get<InferenceService>(KINDS.InferenceService, ns, name);
  const names = async (kind: keyof typeof KINDS, svc: string) =>
    (await client.list(KINDS[kind], ns, `fusioninfer.io/service=${svc}`))
      .map(o => o.metadata.name)
      .sort();

  it('creates every child, brings the service to Active, then writes nothing at steady state', async () => {
    await create(example('multi-node-router'));
    const active = await waitFor(async () => {
      const o = await getIsvc()('qwen-multi-node');
      return (
        o?.status?.conditions?.some(
          c => c.type === 'Active' && c.status === 'True',
        ) && o
      );
    });
    expect(active.status!.components!.inference).toMatchObject({
      desiredReplicas: 1,
      readyReplicas: 1,
      nodesPerReplica: 2,
      totalPods: 2,
      readyPods: 2,
      phase: 'Running',
    });
    expect(active.status!.components!.router).toMatchObject({
      phase: 'Running',
    });
    expect(
      active.status!.conditions!.every(c => c.observedGeneration === 1),
    ).toBe(true);
    expect(await names('LeaderWorkerSet', 'qwen-multi-node')).toEqual([
      'qwen-multi-node-inference-0',
    ]);
    expect(await names('PodGroup', 'qwen-multi-node')).toEqual([
      'qwen-multi-node',
    ]);
    expect(await names('HTTPRoute', 'qwen-multi-node')).toEqual([
      'qwen-multi-node-httproute',
    ]);
    const lws = await client.get(
      KINDS.LeaderWorkerSet,
      ns,
      'qwen-multi-node-inference-0',
    );
    expect(lws!.metadata.ownerReferences![0]).toMatchObject({
      kind: 'InferenceService',
      name: 'qwen-multi-node',
      uid: active.metadata.uid,
      controller: true,
    });
    await reconciler.drained();
    await sleep(300);
    await reconciler.drained();
    const before = { ...reconciler.stats };
    reconciler.enqueueAll();
    await sleep(500);
    await reconciler.drained();
    expect(reconciler.stats.reconciles).toBeGreaterThan(before.reconciles);
    expect({
      applies: reconciler.stats.applies,
      deletes: reconciler.stats.deletes,
      statusWrites: reconciler.stats.statusWrites,
    }).toEqual({
      applies: before.applies,
      deletes: before.deletes,
      statusWrites: before.statusWrites,
    });
  }, 30000);

  it('scales down (deleting the extra LeaderWorkerSet) and removes router children when the router goes', async () => {
    await create(example('single-node-router-2-replicas'));
    await waitFor(
      async () =>
        (await names('LeaderWorkerSet', 'qwen')).length === 2 &&
        (await names('Deployment', 'qwen')).length === 1,
    );
    const isvc = example('single-node-router-2-replicas');
    isvc.spec.roles[1].replicas = 1;
    await create(isvc);
    await waitFor(
      async () =>
        JSON.stringify(await names('LeaderWorkerSet', 'qwen')) ===
        JSON.stringify(['qwen-inference-0']),
    );
    isvc.spec.roles = [isvc.spec.roles[1]];
    await create(isvc);
    await waitFor(
      async () =>
        (await names('Deployment', 'qwen')).length === 0 &&
        (await names('InferencePool', 'qwen')).length === 0 &&
        (await names('ConfigMap', 'qwen')).length === 0,
    );
    const done = await waitFor(async () => {
      const o = await getIsvc()('qwen');
      return o?.status?.components && !('router' in o.status.components) && o;
    });
    expect(Object.keys(done.status!.components!)).toEqual(['inference']);
  }, 30000);

  it('reports an invalid spec as Failed / Active=False and creates nothing', async () => {
    // An invalid spec that the CRD (schema and CEL rules) accepts, so only the reconciler's validation catches it:
    // a workload container without an image.
    const isvc = example('monolithic-router-qwen');
    const container = (isvc.spec.roles[1].template as any).spec.containers[0];
    const image = container.image;
    delete container.image;
    await create(isvc);
    const failed = await waitFor(async () => {
      const o = await getIsvc()('qwen-inference');
      return (
        o?.status?.conditions?.some(
          c => c.type === 'Failed' && c.status === 'True',
        ) && o
      );
    });
    expect(
      failed.status!.conditions!.find(c => c.type === 'Active'),
    ).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(
      failed.status!.conditions!.find(c => c.type === 'Failed')!.message,
    ).toContain(
      'spec.roles[1].template.spec.containers[0].image: Required value: every container needs an image',
    );
    expect(await names('LeaderWorkerSet', 'qwen-inference')).toEqual([]);
    // fixing the spec recovers: Failed turns False
    container.image = image;
    await create(isvc);
    await waitFor(async () =>
      (await getIsvc()('qwen-inference'))?.status?.conditions?.some(
        c => c.type === 'Failed' && c.status === 'False',
      ),
    );
  }, 30000);

  it('never adopts a child another owner controls, and says so in a condition', async () => {
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'qwen-inference-epp-config', namespace: ns },
        data: { 'config.yaml': 'mine' },
      } as any,
      { fieldManager: 'someone-else' },
    );
    await create(example('monolithic-router-qwen'));
    const o = await waitFor(async () => {
      const x = await getIsvc()('qwen-inference');
      return (
        x?.status?.conditions?.some(
          c => c.type === 'ChildConflict' && c.status === 'True',
        ) && x
      );
    });
    expect(
      o.status!.conditions!.find(c => c.type === 'ChildConflict')!.message,
    ).toContain(
      'ConfigMap qwen-inference-epp-config already exists and does not belong to this InferenceService',
    );
    expect(
      (await client.get<any>(KINDS.ConfigMap, ns, 'qwen-inference-epp-config'))!
        .data,
    ).toEqual({ 'config.yaml': 'mine' });
  }, 30000);

  it('never adopts a labelled object it does not control: a ChildConflict, and the object is left exactly as it was', async () => {
    const isvc = example('monolithic-no-router');
    const lwsName = `${isvc.metadata.name}-${isvc.spec.roles[0].name}-0`;
    // Someone else's LWS with the child's name and even this service's label, but no owner reference.
    const foreign = await client.apply(
      {
        apiVersion: 'leaderworkerset.x-k8s.io/v1',
        kind: 'LeaderWorkerSet',
        metadata: {
          name: lwsName,
          namespace: ns,
          labels: { 'fusioninfer.io/service': isvc.metadata.name! },
        },
        spec: {
          replicas: 1,
          leaderWorkerTemplate: {
            size: 1,
            workerTemplate: {
              spec: {
                containers: [{ name: 'mine', image: 'user/own-image:1' }],
              },
            },
          },
        },
      } as any,
      { fieldManager: 'user' },
    );
    await create(isvc);
    const o = await waitFor(async () => {
      const x = await getIsvc()(isvc.metadata.name!);
      return (
        x?.status?.conditions?.some(
          c => c.type === 'ChildConflict' && c.status === 'True',
        ) && x
      );
    });
    expect(
      o.status!.conditions!.find(c => c.type === 'ChildConflict')!.message,
    ).toContain(
      `LeaderWorkerSet ${lwsName} already exists and does not belong`,
    );
    await reconciler.drained();
    const after = await client.get<any>(KINDS.LeaderWorkerSet, ns, lwsName);
    // (the simulated LWS controller writes its status; nothing of ours touches it)
    expect(after.spec).toEqual(foreign.spec);
    expect(after.metadata.labels).toEqual(foreign.metadata.labels);
    expect(after.metadata.ownerReferences).toBeUndefined();
    expect(
      after.metadata.managedFields.map((m: any) => m.manager),
    ).not.toContain('backstage-fusioninfer');
    expect(reconciler.stats.applies).toBe(0);
  }, 30000);

  it('brings back a child someone else edited (kubectl scale lws), and writes nothing when nothing drifted', async () => {
    await create(example('monolithic-no-router'));
    const name = 'qwen-inference-inference-0';
    const ready = await waitFor(() =>
      client.get<any>(KINDS.LeaderWorkerSet, ns, name),
    );
    expect(ready.spec.replicas).toBe(1);
    await reconciler.drained();
    await sleep(300);
    await reconciler.drained();
    const quiet = { ...reconciler.stats };
    reconciler.enqueueAll();
    await sleep(300);
    await reconciler.drained();
    expect(reconciler.stats.applies).toBe(quiet.applies);
    expect(reconciler.stats.driftCorrections).toBe(0);
    // kubectl scale lws qwen-inference-inference-0 --replicas=3 (a merge patch by another manager)
    await client.mergePatch(KINDS.LeaderWorkerSet, ns, name, {
      spec: { replicas: 3 },
    });
    await waitFor(
      async () =>
        (await client.get<any>(KINDS.LeaderWorkerSet, ns, name))?.spec
          ?.replicas === 1,
    );
    expect(reconciler.stats.driftCorrections).toBe(1);
    await reconciler.drained();
    await sleep(300);
    await reconciler.drained();
    const settled = { ...reconciler.stats };
    reconciler.enqueueAll();
    await sleep(300);
    await reconciler.drained();
    expect(reconciler.stats.applies).toBe(settled.applies);
  }, 30000);

  it('reports a service over a validation limit as Failed with the reason, and expands nothing', async () => {
    const isvc = example('monolithic-no-router');
    // 2 roles × 10,000 replicas: each role within the CRD, the service over the pods-per-service limit.
    isvc.spec.roles = [
      { ...isvc.spec.roles[0], name: 'a', replicas: 10000 },
      { ...isvc.spec.roles[0], name: 'b', replicas: 10000 },
    ];
    await create(isvc);
    const failed = await waitFor(async () => {
      const o = await getIsvc()(isvc.metadata.name!);
      return (
        o?.status?.conditions?.some(
          c => c.type === 'Failed' && c.status === 'True',
        ) && o
      );
    });
    expect(
      failed.status!.conditions!.find(c => c.type === 'Failed')!.message,
    ).toMatch(/pods/i);
    expect(await names('LeaderWorkerSet', isvc.metadata.name!)).toEqual([]);
    expect(reconciler.stats.applies).toBe(0);
  }, 30000);

  it('writes a generic Failed message for a network or TLS failure, never the API server URL (review L1)', async () => {
    const apply = client.apply.bind(client);
    jest
      .spyOn(client, 'apply')
      .mockImplementation(async (obj: any, o?: any) => {
        if (obj.kind === 'LeaderWorkerSet')
          throw new ClusterApiError(
            'dev',
            undefined,
            undefined,
            'request to https://10.96.0.1:443/apis/leaderworkerset.x-k8s.io/v1/namespaces/default/leaderworkersets/x failed, reason: self-signed certificate in certificate chain',
          );
        return apply(obj, o);
      });
    await create(example('monolithic-no-router'));
    const name = example('monolithic-no-router').metadata.name!;
    const failed = await waitFor(async () => {
      const c = (await getIsvc()(name))?.status?.conditions?.find(
        x => x.type === 'Failed' && x.status === 'True',
      );
      return c;
    }, 20000);
    expect(failed!.message).not.toMatch(/10\.96|https?:|certificate/);
    expect(failed!.message).toMatch(/could not be reached/);
  }, 30000);

  it('converges despite injected API errors and conflicts', async () => {
    dev.api.setFaults({
      errorRate: { patch: 0.3 },
      forcedConflicts: { count: 3 },
      seed: 3,
    });
    await create(example('router-prefix-cache-simple'))
      .catch(() => create(example('router-prefix-cache-simple')))
      .catch(() => create(example('router-prefix-cache-simple')));
    await waitFor(
      async () =>
        (await names('LeaderWorkerSet', 'my-service')).length === 3 &&
        (await names('HTTPRoute', 'my-service')).length === 1,
      20000,
    );
    dev.api.setFaults({});
    await waitFor(
      async () =>
        (await getIsvc()('my-service'))?.status?.conditions?.some(
          c => c.type === 'Active' && c.status === 'True',
        ),
      20000,
    );
    expect(reconciler.stats.errors).toBeGreaterThan(0);
  }, 40000);
});

describe('a cluster running the upstream CRD (no maximum on replicas)', () => {
  it('marks a stored service with replicas 2147483647 Failed promptly, without expanding it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crds-'));
    const third = path.resolve(__dirname, '../../../../crds/third-party');
    for (const f of fs.readdirSync(third))
      fs.copyFileSync(
        path.join(third, f),
        path.join(dir, f.replace('.upstream.', '.')),
      );
    const dev = await startDevCluster({ simulate: false, crdDirs: [dir] });
    const client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
    });
    const reconciler = new ClusterReconciler({
      client,
      logger: mockServices.logger.mock(),
      baseDelayMs: 20,
      resyncSeconds: 3600,
    });
    try {
      const isvc = example('monolithic-no-router');
      isvc.spec.roles[0].replicas = 2147483647;
      await client.apply(
        { ...isvc, metadata: { name: 'huge', namespace: 'default' } },
        { fieldManager: 'kubectl' },
      );
      const t0 = Date.now();
      await reconciler.start();
      const failed = await waitFor(async () => {
        const o = await client.get<InferenceService>(
          KINDS.InferenceService,
          'default',
          'huge',
        );
        return (
          o?.status?.conditions?.some(
            c => c.type === 'Failed' && c.status === 'True',
          ) && o
        );
      }, 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(
        failed.status!.conditions!.find(c => c.type === 'Failed')!.message,
      ).toContain('replicas');
      expect(await client.list(KINDS.LeaderWorkerSet, 'default')).toEqual([]);
    } finally {
      await reconciler.stop();
      await dev.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});

describe('a cluster with fusioninfer.clusters[].namespaces', () => {
  it('reconciles services in the listed namespaces only, and never lists or writes elsewhere', async () => {
    const dev = await startDevCluster({
      simulation: { podStartupDelayMs: 40 },
      namespaces: ['team-a', 'team-b', 'fusioninfer-system'],
    });
    const client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
      namespaces: ['team-a'],
    });
    const reconciler = new ClusterReconciler({
      client,
      logger: mockServices.logger.mock(),
      baseDelayMs: 20,
      resyncSeconds: 3600,
    });
    try {
      for (const n of ['team-a', 'team-b'])
        await client.apply(
          {
            ...example('monolithic-no-router'),
            metadata: { name: 'qwen-inference', namespace: n },
          },
          { fieldManager: 'kubectl' },
        );
      await reconciler.start();
      await waitFor(
        async () =>
          (await client.list(KINDS.LeaderWorkerSet, 'team-a')).length === 1,
      );
      await reconciler.drained();
      await sleep(300);
      expect(await client.list(KINDS.LeaderWorkerSet, 'team-b')).toEqual([]);
      const b = await client.get<InferenceService>(
        KINDS.InferenceService,
        'team-b',
        'qwen-inference',
      );
      expect(b!.status).toBeUndefined();
      expect(reconciler.statuses.has('team-b/qwen-inference')).toBe(false);
    } finally {
      await reconciler.stop();
      await dev.close();
    }
  }, 30000);
});

describe('leader election between two reconcilers', () => {
  it('lets exactly one instance write, and hands over when it stops', async () => {
    const dev = await startDevCluster({
      simulation: { podStartupDelayMs: 40 },
    });
    const logger = mockServices.logger.mock();
    const mk = (identity: string) =>
      new ClusterReconciler({
        client: new ClusterClient({
          name: 'dev',
          url: dev.url,
          authProvider: 'serviceAccount',
          skipTLSVerify: true,
          mode: 'manage',
        }),
        logger,
        baseDelayMs: 20,
        leaderElection: {
          namespace: 'default',
          identity,
          leaseDurationSeconds: 1,
        },
      });
    const a = mk('a');
    const b = mk('b');
    try {
      await a.start();
      await waitFor(() => a.isLeader);
      await b.start();
      const client = a.client;
      await client.apply(
        {
          ...example('monolithic-no-router'),
          metadata: { name: 'qwen-inference', namespace: 'default' },
        },
        { fieldManager: 'kubectl' },
      );
      await waitFor(
        async () =>
          (await client.list(KINDS.LeaderWorkerSet, 'default')).length === 1,
      );
      await sleep(500);
      expect(b.isLeader).toBe(false);
      expect(b.stats.applies + b.stats.statusWrites + b.stats.deletes).toBe(0);
      await a.stop();
      await waitFor(() => b.isLeader, 5000);
      const isvc = example('monolithic-no-router');
      isvc.spec.roles[0].replicas = 2;
      await client.apply(
        { ...isvc, metadata: { name: 'qwen-inference', namespace: 'default' } },
        { fieldManager: 'kubectl' },
      );
      await waitFor(
        async () =>
          (await client.list(KINDS.LeaderWorkerSet, 'default')).length === 2,
      );
      expect(b.stats.applies).toBeGreaterThan(0);
    } finally {
      await a.stop();
      await b.stop();
      await dev.close();
    }
  }, 30000);

  it('a partitioned leader stops writing before another takes over, and its queued retries never write after the partition heals', async () => {
    const dev = await startDevCluster({
      simulation: { podStartupDelayMs: 40 },
    });
    const proxy = await startPartitionProxy(dev.url);
    const logger = mockServices.logger.mock();
    const mk = (identity: string, url: string) =>
      new ClusterReconciler({
        client: new ClusterClient({
          name: 'dev',
          url,
          authProvider: 'serviceAccount',
          skipTLSVerify: true,
          mode: 'manage',
        }),
        logger,
        baseDelayMs: 20,
        leaderElection: {
          identity,
          leaseDurationSeconds: 1,
          timing: { retryPeriodMs: 100 },
        },
      });
    const a = mk('a', proxy.url);
    const b = mk('b', dev.url);
    let sampler: NodeJS.Timeout | undefined;
    try {
      await a.start();
      await waitFor(() => a.isLeader);
      await b.start();
      const client = b.client;
      await client.apply(
        {
          ...example('monolithic-no-router'),
          metadata: { name: 'qwen-inference', namespace: 'default' },
        },
        { fieldManager: 'kubectl' },
      );
      await waitFor(
        async () =>
          (await client.list(KINDS.LeaderWorkerSet, 'default')).length === 1,
      );
      let both = 0;
      sampler = setInterval(() => {
        if (a.isLeader && b.isLeader) both++;
      }, 5);
      // The spec changes, and from the same instant A's status writes fail, so it has retries queued when it
      // loses the lease (in-process, so no request of this test meets the fault).
      dev.api.patch(
        dev.api.findType('fusioninfer.io', 'v1alpha1', 'inferenceservices')!,
        'default',
        'qwen-inference',
        'application/merge-patch+json',
        {
          spec: {
            roles: [
              { ...example('monolithic-no-router').spec.roles[0], replicas: 2 },
            ],
          },
        },
      );
      dev.api.setFaults({
        forcedConflicts: { count: 100000, plural: 'inferenceservices' },
      });
      await waitFor(() => a.stats.errors > 0);
      proxy.partition();
      await waitFor(() => !a.isLeader, 3000);
      await waitFor(() => b.isLeader, 5000);
      const aApplies = a.stats.applies;
      const aStatus = a.stats.statusWrites;
      dev.api.setFaults({});
      proxy.heal();
      await waitFor(
        async () =>
          (await client.list(KINDS.LeaderWorkerSet, 'default')).length === 2,
      );
      await sleep(600);
      expect(both).toBe(0);
      expect(a.isLeader).toBe(false);
      expect(a.stats.applies).toBe(aApplies);
      expect(a.stats.statusWrites).toBe(aStatus);
      // B, the new leader, writes the status A could not.
      await waitFor(async () => {
        const o = await client.get<InferenceService>(
          KINDS.InferenceService,
          'default',
          'qwen-inference',
        );
        return o?.status?.components?.inference?.desiredReplicas === 2;
      });
      expect(b.stats.statusWrites).toBeGreaterThan(0);
      const lease = await client.get<any>(
        KINDS.Lease,
        'fusioninfer-system',
        'fusioninfer-backstage-reconciler',
      );
      expect(lease.spec.holderIdentity).toBe('b');
    } finally {
      clearInterval(sampler);
      await a.stop();
      await b.stop();
      await proxy.close();
      await dev.close();
    }
  }, 30000);
});

describe('child requests of a cluster', () => {
  const ns = 'default';
  const FIRST = [
    'ServiceAccount',
    'Role',
    'RoleBinding',
    'ConfigMap',
    'PodGroup',
  ];
  let dev: DevCluster;
  let client: ClusterClient;
  /** "service kind start|end" of every apply the reconciler made, in order. */
  let log: string[];
  let inFlight: number;
  let most: number;
  let failNext: ((o: KubeObject) => boolean) | undefined;

  beforeEach(async () => {
    // every write takes 20 ms, so requests of one service overlap when they are sent in parallel
    dev = await startDevCluster({
      simulate: false,
      faults: { latencyMs: { patch: 20 } },
    });
    client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
    });
    log = [];
    inFlight = 0;
    most = 0;
    failNext = undefined;
    const apply = client.apply.bind(client);
    jest.spyOn(client, 'apply').mockImplementation(async (o, options) => {
      const what = `${o.metadata.labels?.['fusioninfer.io/service']} ${o.kind}`;
      inFlight++;
      most = Math.max(most, inFlight);
      log.push(`${what} start`);
      try {
        if (failNext?.(o)) {
          failNext = undefined;
          throw new ClusterApiError('dev', 500, 'InternalError', 'injected');
        }
        return await apply(o, options);
      } finally {
        inFlight--;
        log.push(`${what} end`);
      }
    });
  });
  afterEach(() => dev.close());

  const seed = (names: string[]) => {
    const t = dev.api.findType(
      'fusioninfer.io',
      'v1alpha1',
      'inferenceservices',
    )!;
    for (const name of names)
      dev.api.create(
        t,
        ns,
        {
          ...example('single-node-router-2-replicas'),
          metadata: { name, namespace: ns },
        },
        { fieldManager: 'kubectl' },
      );
  };
  const converged = async (names: string[]) =>
    waitFor(async () => {
      for (const name of names) {
        const o = await client.get<InferenceService>(
          KINDS.InferenceService,
          ns,
          name,
        );
        if (!o?.status?.conditions?.length) return false;
      }
      return true;
    }, 20000);
  /** Whether every first-wave apply of `svc` ended before its first workload apply started. */
  const firstWaveFirst = (svc: string) => {
    const mine = log.filter(l => l.startsWith(`${svc} `));
    const firstWorkload = mine.findIndex(
      l => l.endsWith(' start') && !FIRST.includes(l.split(' ')[1]),
    );
    const lastFirstEnd = mine.reduce(
      (at, l, i) =>
        l.endsWith(' end') && FIRST.includes(l.split(' ')[1]) ? i : at,
      -1,
    );
    return firstWorkload > lastFirstEnd;
  };

  it('writes the children of services in parallel within the cluster bound, the kinds others refer to first, and reads nothing at steady state', async () => {
    const reconciler = new ClusterReconciler({
      client,
      logger: mockServices.logger.mock(),
      baseDelayMs: 20,
      resyncSeconds: 3600,
      leaderElection: false,
      workers: 4,
      requestConcurrency: 3,
    });
    // more services than workers: without the bound, 4 reconciles would write at once
    const services = ['svc-a', 'svc-b', 'svc-c', 'svc-d', 'svc-e'];
    seed(services);
    try {
      await reconciler.start();
      await converged(services);
      await reconciler.drained();
      expect(reconciler.stats.applies).toBe(50);
      expect(most).toBe(3);
      for (const s of services) expect(firstWaveFirst(s)).toBe(true);
      // a full resync of converged services: not one request about children, not one write
      const before = { ...dev.api.requestCounts };
      reconciler.enqueueAll();
      await reconciler.drained();
      expect(dev.api.requestCounts).toEqual(before);
    } finally {
      await reconciler.stop();
    }
  }, 30000);

  it('writes no workload after a failed first wave; the retry converges', async () => {
    const reconciler = new ClusterReconciler({
      client,
      logger: mockServices.logger.mock(),
      baseDelayMs: 20,
      resyncSeconds: 3600,
      leaderElection: false,
    });
    failNext = o => o.kind === 'ConfigMap';
    seed(['svc-a']);
    try {
      await reconciler.start();
      await converged(['svc-a']);
      await reconciler.drained();
      expect(reconciler.stats.errors).toBeGreaterThan(0);
      const configMapDone = log.indexOf(
        'svc-a ConfigMap end',
        log.indexOf('svc-a ConfigMap end') + 1,
      );
      const firstWorkload = log.findIndex(
        l => l.endsWith(' start') && !FIRST.includes(l.split(' ')[1]),
      );
      // the first ConfigMap apply failed; no workload was written before the second one succeeded
      expect(configMapDone).toBeGreaterThan(-1);
      expect(firstWorkload).toBeGreaterThan(configMapDone);
      expect(
        await client.list(
          KINDS.LeaderWorkerSet,
          ns,
          'fusioninfer.io/service=svc-a',
        ),
      ).toHaveLength(2);
    } finally {
      await reconciler.stop();
    }
  }, 30000);
});
