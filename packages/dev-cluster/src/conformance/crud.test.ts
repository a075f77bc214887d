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

import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
} from '@kubernetes/client-node';
import { startTestCluster, TestCluster } from './testCluster';

const statusOf = (e: any): any => {
  const body = e?.body;
  return typeof body === 'string' ? JSON.parse(body) : body;
};

describe('API server conformance: CRUD semantics', () => {
  let c: TestCluster;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  beforeAll(async () => {
    c = await startTestCluster();
    core = c.kc.makeApiClient(CoreV1Api);
    custom = c.kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(() => c.close());

  it('serves /version and discovery for core and CRD groups', async () => {
    const v = await c.kc.makeApiClient(VersionApi).getCode();
    expect(v.major).toBe('1');
    const res = await fetch(
      `${c.kc.getCurrentCluster()!.server}/apis/fusioninfer.io/v1alpha1`,
      { headers: { Authorization: 'Bearer x' } },
    );
    const list = await res.json();
    expect(list.resources.map((r: any) => r.name)).toEqual(
      expect.arrayContaining(['inferenceservices', 'inferenceservices/status']),
    );
    const groups = await (
      await fetch(`${c.kc.getCurrentCluster()!.server}/apis`)
    ).json();
    expect(groups.groups.map((g: any) => g.name)).toEqual(
      expect.arrayContaining([
        'apps',
        'leaderworkerset.x-k8s.io',
        'scheduling.volcano.sh',
        'inference.networking.k8s.io',
        'gateway.networking.k8s.io',
        'fusioninfer.io',
      ]),
    );
  });

  it('creates with uid, resourceVersion and generation 1; GET returns it; a second create is 409 AlreadyExists', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'a' }, data: { k: 'v' } },
    });
    expect(cm.metadata?.uid).toBeTruthy();
    expect(cm.metadata?.resourceVersion).toBeTruthy();
    expect(
      (
        await core.readNamespacedConfigMap({
          name: 'a',
          namespace: c.namespace,
        })
      ).data,
    ).toEqual({ k: 'v' });
    const err = await core
      .createNamespacedConfigMap({
        namespace: c.namespace,
        body: { metadata: { name: 'a' } },
      })
      .catch(e => e);
    expect(err.code).toBe(409);
    expect(statusOf(err)).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'configmaps "a" already exists',
      code: 409,
    });
  });

  it('sets metadata.generation only on kinds that have one on a real 1.33 server', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'gen' }, data: { k: 'v' } },
    });
    expect(cm.metadata?.generation).toBeUndefined();
    const changed = await core.replaceNamespacedConfigMap({
      name: 'gen',
      namespace: c.namespace,
      body: { ...cm, data: { k: 'w' } },
    });
    expect(changed.metadata?.generation).toBeUndefined();
    const secret = await core.createNamespacedSecret({
      namespace: c.namespace,
      body: { metadata: { name: 'gen' }, stringData: { k: 'v' } },
    });
    expect(secret.metadata?.generation).toBeUndefined();
    const svc = await core.createNamespacedService({
      namespace: c.namespace,
      body: { metadata: { name: 'gen' }, spec: { ports: [{ port: 80 }] } },
    });
    expect(svc.metadata?.generation).toBeUndefined();
    const pod = await core.createNamespacedPod({
      namespace: c.namespace,
      body: {
        metadata: { name: 'gen' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    });
    expect(pod.metadata?.generation).toBe(1);
    const dep = await c.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: c.namespace,
      body: {
        metadata: { name: 'gen' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' } },
            spec: { containers: [{ name: 'c', image: 'i' }] },
          },
        },
      },
    });
    expect(dep.metadata?.generation).toBe(1);
  });

  it('returns 404 NotFound Status for a missing object and for a missing namespace', async () => {
    const e1 = await core
      .readNamespacedConfigMap({ name: 'missing', namespace: c.namespace })
      .catch(e => e);
    expect(e1.code).toBe(404);
    expect(statusOf(e1)).toMatchObject({
      reason: 'NotFound',
      message: 'configmaps "missing" not found',
    });
    const e2 = await core
      .createNamespacedConfigMap({
        namespace: 'no-such-ns',
        body: { metadata: { name: 'x' } },
      })
      .catch(e => e);
    expect(e2.code).toBe(404);
    expect(statusOf(e2).message).toBe('namespaces "no-such-ns" not found');
  });

  it('rejects a stale resourceVersion with 409 Conflict (optimistic concurrency)', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'occ' }, data: { n: '1' } },
    });
    await core.replaceNamespacedConfigMap({
      name: 'occ',
      namespace: c.namespace,
      body: { ...cm, data: { n: '2' } },
    });
    const err = await core
      .replaceNamespacedConfigMap({
        name: 'occ',
        namespace: c.namespace,
        body: { ...cm, data: { n: '3' } },
      })
      .catch(e => e);
    expect(err.code).toBe(409);
    expect(statusOf(err).message).toBe(
      'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('validates custom resources against the CRD schema with 422 Invalid and causes', async () => {
    const err = await custom
      .createNamespacedCustomObject({
        group: 'fusioninfer.io',
        version: 'v1alpha1',
        namespace: c.namespace,
        plural: 'inferenceservices',
        body: {
          apiVersion: 'fusioninfer.io/v1alpha1',
          kind: 'InferenceService',
          metadata: { name: 'bad' },
          spec: { roles: [{ name: 'x', componentType: 'gpu' }] },
        },
      })
      .catch(e => e);
    expect(err.code).toBe(422);
    const status = statusOf(err);
    expect(status.reason).toBe('Invalid');
    expect(status.message).toMatch(
      /^InferenceService\.fusioninfer\.io "bad" is invalid: spec\.roles\[0\]\.componentType: Unsupported value: "gpu"/,
    );
    expect(status.details.causes[0]).toMatchObject({
      field: 'spec.roles[0].componentType',
    });
  });

  it('prunes unknown fields of custom resources and keeps preserve-unknown-fields subtrees', async () => {
    const obj: any = await custom.createNamespacedCustomObject({
      group: 'fusioninfer.io',
      version: 'v1alpha1',
      namespace: c.namespace,
      plural: 'inferenceservices',
      body: {
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'pr' },
        spec: {
          bogus: 1,
          roles: [
            {
              name: 'w',
              componentType: 'worker',
              replica: 2,
              template: {
                spec: {
                  containers: [{ name: 'c', image: 'i', anything: true }],
                },
              },
            },
          ],
        },
      },
    });
    expect(obj.spec.bogus).toBeUndefined();
    expect(obj.spec.roles[0].replica).toBeUndefined();
    expect(obj.spec.roles[0].template.spec.containers[0].anything).toBe(true);
  });

  it('moves generation only on spec changes, and the status subresource only changes status', async () => {
    const base = {
      group: 'fusioninfer.io',
      version: 'v1alpha1',
      namespace: c.namespace,
      plural: 'inferenceservices',
    };
    const created: any = await custom.createNamespacedCustomObject({
      ...base,
      body: {
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'gen' },
        spec: { roles: [{ name: 'w', componentType: 'worker' }] },
        status: { phase: 'Running' },
      },
    });
    expect(created.metadata.generation).toBe(1);
    expect(created.status).toBeUndefined();
    const labelled: any = await custom.replaceNamespacedCustomObject({
      ...base,
      name: 'gen',
      body: {
        ...created,
        metadata: { ...created.metadata, labels: { a: 'b' } },
      },
    });
    expect(labelled.metadata.generation).toBe(1);
    const scaled: any = await custom.replaceNamespacedCustomObject({
      ...base,
      name: 'gen',
      body: {
        ...labelled,
        spec: { roles: [{ name: 'w', componentType: 'worker', replicas: 3 }] },
        status: { phase: 'Ignored' },
      },
    });
    expect(scaled.metadata.generation).toBe(2);
    expect(scaled.status).toBeUndefined();
    const withStatus: any = await custom.replaceNamespacedCustomObjectStatus({
      ...base,
      name: 'gen',
      body: {
        ...scaled,
        spec: { roles: [] },
        status: { phase: 'Running', observedGeneration: 2 },
      },
    });
    expect(withStatus.status).toEqual({
      phase: 'Running',
      observedGeneration: 2,
    });
    expect(withStatus.spec.roles).toHaveLength(1);
    expect(withStatus.metadata.generation).toBe(2);
  });

  it('lists with label selectors, field selectors and limit/continue paging', async () => {
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({
        namespace: c.namespace,
        body: {
          metadata: {
            name: `page-${i}`,
            labels: { tier: i % 2 ? 'odd' : 'even', page: 'yes' },
          },
        },
      });
    }
    const even = await core.listNamespacedConfigMap({
      namespace: c.namespace,
      labelSelector: 'page=yes,tier=even',
    });
    expect(even.items.map(i => i.metadata?.name)).toEqual([
      'page-0',
      'page-2',
      'page-4',
    ]);
    const notIn = await core.listNamespacedConfigMap({
      namespace: c.namespace,
      labelSelector: 'page,tier notin (even)',
    });
    expect(notIn.items.map(i => i.metadata?.name)).toEqual([
      'page-1',
      'page-3',
    ]);
    const byName = await core.listNamespacedConfigMap({
      namespace: c.namespace,
      fieldSelector: 'metadata.name=page-3',
    });
    expect(byName.items.map(i => i.metadata?.name)).toEqual(['page-3']);
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: c.namespace,
        labelSelector: 'page=yes',
        limit: 2,
        _continue: cont,
      });
      names.push(...page.items.map(i => i.metadata!.name!));
      cont = page.metadata?._continue;
    } while (cont);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const bad = await core
      .listNamespacedConfigMap({
        namespace: c.namespace,
        fieldSelector: 'spec.nope=1',
      })
      .catch(e => e);
    expect(bad.code).toBe(400);
  });

  it('applies JSON merge patch and JSON patch (with test)', async () => {
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'p' }, data: { a: '1', b: '2' } },
    });
    const merged = await core.patchNamespacedConfigMap(
      {
        name: 'p',
        namespace: c.namespace,
        body: { data: { a: null, c: '3' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: '2', c: '3' });
    const patched = await core.patchNamespacedConfigMap(
      {
        name: 'p',
        namespace: c.namespace,
        body: [
          { op: 'test', path: '/data/b', value: '2' },
          { op: 'replace', path: '/data/b', value: 'two' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(patched.data).toEqual({ b: 'two', c: '3' });
    const failed = await core
      .patchNamespacedConfigMap(
        {
          name: 'p',
          namespace: c.namespace,
          body: [{ op: 'test', path: '/data/b', value: 'x' }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      )
      .catch(e => e);
    expect(failed.code).toBe(422);
  });

  it('merges containers by name with a strategic merge patch on built-ins', async () => {
    const apps = c.kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: c.namespace,
      body: {
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: { app: 'd' } },
          template: {
            metadata: { labels: { app: 'd' } },
            spec: {
              containers: [
                { name: 'a', image: 'a:1' },
                { name: 'b', image: 'b:1' },
              ],
            },
          },
        },
      },
    });
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'd',
        namespace: c.namespace,
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(
      out.spec?.template.spec?.containers.map(x => `${x.name}=${x.image}`),
    ).toEqual(['a=a:1', 'b=b:2']);
    expect(out.metadata?.generation).toBe(2);
  });

  it('server-side apply: creates, records managedFields, removes fields dropped from the applied config, reports conflicts', async () => {
    const client = c.kc.makeApiClient(KubernetesObjectApi);
    const cfg = (
      data: Record<string, string>,
      labels: Record<string, string> = {},
    ) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: c.namespace, labels },
      data,
    });
    const first: any = await client.patch(
      cfg({ a: '1', b: '2' }, { x: 'y' }),
      undefined,
      undefined,
      'mgr-a',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(first.data).toEqual({ a: '1', b: '2' });
    const entry = first.metadata.managedFields.find(
      (m: any) => m.manager === 'mgr-a',
    );
    expect(entry).toMatchObject({ operation: 'Apply', fieldsType: 'FieldsV1' });
    expect(entry.fieldsV1).toEqual({
      'f:data': { 'f:a': {}, 'f:b': {} },
      'f:metadata': { 'f:labels': { 'f:x': {} } },
    });
    // another manager takes c
    await client.patch(
      cfg({ c: '3' }),
      undefined,
      undefined,
      'mgr-b',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    // mgr-a stops applying b and the label: they are removed; c (mgr-b's) stays
    const second: any = await client.patch(
      cfg({ a: '1' }),
      undefined,
      undefined,
      'mgr-a',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(second.data).toEqual({ a: '1', c: '3' });
    expect(second.metadata.labels ?? {}).toEqual({});
    // mgr-b setting a to another value conflicts with mgr-a, unless forced
    const conflict = await client
      .patch(
        cfg({ a: 'other', c: '3' }),
        undefined,
        undefined,
        'mgr-b',
        undefined,
        PatchStrategy.ServerSideApply,
      )
      .catch(e => e);
    expect(conflict.code).toBe(409);
    expect(statusOf(conflict).details.causes[0]).toMatchObject({
      reason: 'FieldManagerConflict',
      field: '.data.a',
    });
    expect(statusOf(conflict).message).toContain('conflict with "mgr-a"');
    const forced: any = await client.patch(
      cfg({ a: 'other', c: '3' }),
      undefined,
      undefined,
      'mgr-b',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(forced.data.a).toBe('other');
    expect(
      forced.metadata.managedFields.find((m: any) => m.manager === 'mgr-a'),
    ).toBeUndefined();
  });

  it('server-side apply removes a whole struct when the applier stops setting it (LWS multi-node to single-node)', async () => {
    const client = c.kc.makeApiClient(KubernetesObjectApi);
    const template = (image: string) => ({
      spec: { containers: [{ name: 'vllm', image }] },
    });
    const lws = (size: number) => ({
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: { name: 'shrinks', namespace: c.namespace },
      spec: {
        replicas: 1,
        leaderWorkerTemplate: {
          size,
          ...(size > 1 ? { leaderTemplate: template('leader') } : {}),
          workerTemplate: template('worker'),
        },
      },
    });
    const apply = (o: unknown) =>
      client.patch(
        o as any,
        undefined,
        undefined,
        'fusioninfer',
        true,
        PatchStrategy.ServerSideApply,
      );
    const multi: any = await apply(lws(2));
    expect(multi.spec.leaderWorkerTemplate.leaderTemplate).toBeDefined();
    const single: any = await apply(lws(1));
    expect(single.spec.leaderWorkerTemplate).not.toHaveProperty(
      'leaderTemplate',
    );
    expect(single.spec.leaderWorkerTemplate.workerTemplate).toBeDefined();
    expect(single.spec.leaderWorkerTemplate.size).toBe(1);
  });

  it('server-side apply merges list-map items by key from the CRD schema', async () => {
    const client = c.kc.makeApiClient(KubernetesObjectApi);
    const isvc = (roles: any[]) => ({
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'lm', namespace: c.namespace },
      spec: { roles },
    });
    await client.patch(
      isvc([{ name: 'a', componentType: 'worker', replicas: 1 }]),
      undefined,
      undefined,
      'one',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    const merged: any = await client.patch(
      isvc([{ name: 'b', componentType: 'worker' }]),
      undefined,
      undefined,
      'two',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(merged.spec.roles.map((r: any) => r.name)).toEqual(['a', 'b']);
    const removed: any = await client.patch(
      isvc([]),
      undefined,
      undefined,
      'one',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(removed.spec.roles.map((r: any) => r.name)).toEqual(['b']);
  });

  it('keeps one storage per resource across its served versions, with the preferred version a real server has', async () => {
    const server = c.kc.getCurrentCluster()!.server;
    const group = await (
      await fetch(`${server}/apis/gateway.networking.k8s.io`, {
        headers: { Authorization: 'Bearer x' },
      })
    ).json();
    expect(group.preferredVersion.version).toBe('v1');
    expect(group.versions.map((v: any) => v.version)).toEqual([
      'v1',
      'v1beta1',
    ]);
    const route = (version: string, name: string) =>
      custom.createNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version,
        namespace: c.namespace,
        plural: 'httproutes',
        body: {
          apiVersion: `gateway.networking.k8s.io/${version}`,
          kind: 'HTTPRoute',
          metadata: { name },
          spec: { parentRefs: [{ name: 'gw' }] },
        },
      });
    await route('v1', 'written-as-v1');
    await route('v1beta1', 'written-as-v1beta1');
    for (const version of ['v1', 'v1beta1']) {
      const list: any = await custom.listNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version,
        namespace: c.namespace,
        plural: 'httproutes',
      });
      expect(list.items.map((o: any) => o.metadata.name)).toEqual([
        'written-as-v1',
        'written-as-v1beta1',
      ]);
      expect(new Set(list.items.map((o: any) => o.apiVersion))).toEqual(
        new Set([`gateway.networking.k8s.io/${version}`]),
      );
    }
    const dup = await route('v1beta1', 'written-as-v1').catch(e => e);
    expect(dup.code).toBe(409);
  });

  it('honours includeObject on Table output (kubectl get --sort-by needs the whole object in each row)', async () => {
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'table-row' }, data: { k: 'v' } },
    });
    const table = async (path: string) =>
      (
        await fetch(`${c.kc.getCurrentCluster()!.server}${path}`, {
          headers: {
            Authorization: 'Bearer x',
            Accept:
              'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
          },
        })
      ).json();
    const base = `/api/v1/namespaces/${c.namespace}/configmaps`;
    const only = 'fieldSelector=metadata.name%3Dtable-row';
    const full = await table(`${base}?${only}&includeObject=Object`);
    expect(full.kind).toBe('Table');
    expect(full.rows[0].object).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'table-row' },
      data: { k: 'v' },
    });
    const one = await table(`${base}/table-row?includeObject=Object`);
    expect(one.rows[0].object).toMatchObject({ data: { k: 'v' } });
    const meta = await table(`${base}?${only}`);
    expect(meta.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'table-row' },
    });
    expect(meta.rows[0].object.data).toBeUndefined();
    const none = await table(`${base}?${only}&includeObject=None`);
    expect(none.rows).toHaveLength(1);
    expect(none.rows[0].object).toBeUndefined();
  });

  it('defaults built-in fields on create, update and apply as a real server does (Secret type, Service, Pod, Deployment, Job)', async () => {
    const ns = c.namespace;
    const client = c.kc.makeApiClient(KubernetesObjectApi);
    // Secret: type Opaque when none is sent (kubectl create secret generic sends none)
    const secret: any = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'dflt' }, data: { a: 'Yg==' } },
    });
    expect(secret.type).toBe('Opaque');
    // the creator (an Update operation) owns the defaulted field, as on a real server
    expect(
      secret.metadata.managedFields.find((m: any) => m.operation === 'Update')
        .fieldsV1['f:type'],
    ).toEqual({});
    // an update without a type keeps it Opaque
    const { type: _type, ...untyped } = secret;
    const replaced = await core.replaceNamespacedSecret({
      name: 'dflt',
      namespace: ns,
      body: { ...untyped, data: { a: 'Yw==' } },
    });
    expect(replaced.type).toBe('Opaque');
    // server-side apply without a type: Opaque, and not owned by the applier
    const applied: any = await client.patch(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'dflt-applied', namespace: ns },
        data: { a: 'Yg==' },
      },
      undefined,
      undefined,
      'applier',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.type).toBe('Opaque');
    expect(
      applied.metadata.managedFields.find((m: any) => m.manager === 'applier')
        .fieldsV1,
    ).toEqual({ 'f:data': { 'f:a': {} } });

    // Service: type, session affinity, traffic policies, port protocol and target port, an allocated cluster IP
    const svc: any = await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'dflt' },
        spec: { selector: { app: 'dflt' }, ports: [{ port: 80 }] },
      },
    });
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    // an update that does not repeat the allocated address keeps it
    const svc2: any = await core.replaceNamespacedService({
      name: 'dflt',
      namespace: ns,
      body: {
        metadata: {
          name: 'dflt',
          resourceVersion: svc.metadata.resourceVersion,
        },
        spec: {
          selector: { app: 'dflt' },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      },
    });
    expect(svc2.spec.clusterIP).toBe(svc.spec.clusterIP);
    expect(svc2.spec.ports).toEqual([
      { port: 80, protocol: 'TCP', targetPort: 8080 },
    ]);
    const nodePort: any = await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'dflt-np' },
        spec: {
          type: 'NodePort',
          selector: { app: 'dflt' },
          ports: [{ port: 80 }],
        },
      },
    });
    expect(nodePort.spec.externalTrafficPolicy).toBe('Cluster');
    expect(nodePort.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    expect(nodePort.spec.clusterIP).not.toBe(svc.spec.clusterIP);

    // Pod: pod spec, container, port, probe and volume defaults; requests from limits (Pods only)
    const digest = `sha256:${'a'.repeat(64)}`;
    const pod: any = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'dflt' },
        spec: {
          containers: [
            {
              name: 'a',
              image: 'busybox:1.36',
              ports: [{ containerPort: 8080 }],
              resources: { limits: { cpu: '1' } },
              readinessProbe: { httpGet: { port: 8080 } },
            },
            { name: 'b', image: 'nginx' },
            { name: 'c', image: 'nginx:latest' },
            {
              name: 'd',
              image: `registry.example.com:5000/tools/img@${digest}`,
            },
            { name: 'e', image: 'registry.example.com:5000/tools/img' },
          ],
          volumes: [{ name: 'cfg', configMap: { name: 'dflt' } }],
        },
      },
    });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    });
    expect(pod.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
      readinessProbe: {
        httpGet: { path: '/', port: 8080, scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(pod.spec.containers.map((x: any) => x.imagePullPolicy)).toEqual([
      'IfNotPresent',
      'Always',
      'Always',
      'IfNotPresent',
      'Always',
    ]);
    expect(pod.spec.containers[1].resources).toEqual({});
    expect(pod.spec.volumes[0]).toEqual({
      name: 'cfg',
      configMap: { name: 'dflt', defaultMode: 420 },
    });

    // Deployment: strategy, history, deadline, replicas, and the pod spec defaults in its template
    const dep: any = await c.kc
      .makeApiClient(AppsV1Api)
      .createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'dflt' },
          spec: {
            selector: { matchLabels: { app: 'dflt' } },
            template: {
              metadata: { labels: { app: 'dflt' } },
              spec: {
                containers: [
                  {
                    name: 'c',
                    image: 'nginx:1.27',
                    resources: { limits: { cpu: '1' } },
                  },
                ],
              },
            },
          },
        },
      });
    expect(dep.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
    });
    expect(dep.spec.template.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
    });
    expect(dep.spec.template.spec.enableServiceLinks).toBeUndefined();
    expect(dep.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: { limits: { cpu: '1' } },
    });
    expect(
      dep.spec.template.spec.containers[0].resources.requests,
    ).toBeUndefined();

    // Job: parallelism, completions, back-off, completion mode; a template without restartPolicy gets Always,
    // which a Job refuses
    const batch = c.kc.makeApiClient(BatchV1Api);
    const job: any = await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'dflt' },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                { name: 'c', image: 'busybox:1.36', command: ['true'] },
              ],
            },
          },
        },
      },
    });
    expect(job.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    const noPolicy = await batch
      .createNamespacedJob({
        namespace: ns,
        body: {
          metadata: { name: 'dflt-always' },
          spec: {
            template: {
              spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
            },
          },
        },
      })
      .catch(e => e);
    expect(noPolicy.code).toBe(422);
    expect(statusOf(noPolicy).message).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );

    // Namespace: the kubernetes.io/metadata.name label
    const namespace = await core.readNamespace({ name: ns });
    expect(namespace.metadata?.labels?.['kubernetes.io/metadata.name']).toBe(
      ns,
    );
  });

  it('deletes, and a deleted object is gone', async () => {
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'del' } },
    });
    await core.deleteNamespacedConfigMap({
      name: 'del',
      namespace: c.namespace,
    });
    const e = await core
      .readNamespacedConfigMap({ name: 'del', namespace: c.namespace })
      .catch(x => x);
    expect(e.code).toBe(404);
  });
});
