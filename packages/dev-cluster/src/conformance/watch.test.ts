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
  CoreV1Api,
  KubernetesObject,
  makeInformer,
  V1ConfigMap,
  Watch,
} from '@kubernetes/client-node';
import { startTestCluster, TestCluster } from './testCluster';
import { waitFor } from '@fusioninfer/test-utils';

type Ev = { type: string; name?: string; rv?: string; data?: unknown };

function collect(c: TestCluster, path: string, query: Record<string, any>) {
  const events: Ev[] = [];
  let done: (err?: unknown) => void = () => {};
  const finished = new Promise<unknown>(resolve => {
    done = resolve;
  });
  const started = new Watch(c.kc).watch(
    path,
    query,
    (type, obj: any) =>
      events.push({
        type,
        name: obj?.metadata?.name,
        rv: obj?.metadata?.resourceVersion,
        data: obj?.data ?? obj,
      }),
    err => done(err),
  );
  return { events, finished, started };
}

describe('API server conformance: watch', () => {
  let c: TestCluster;
  let core: CoreV1Api;
  beforeEach(async () => {
    c = await startTestCluster({ eventWindow: 50 });
    core = c.kc.makeApiClient(CoreV1Api);
  });
  afterEach(() => c.close());

  it('streams ADDED, MODIFIED and DELETED events', async () => {
    const w = collect(c, `/api/v1/namespaces/${c.namespace}/configmaps`, {});
    const req = await w.started;
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'w' }, data: { a: '1' } },
    });
    await core.patchNamespacedConfigMap({
      name: 'w',
      namespace: c.namespace,
      body: [{ op: 'add', path: '/data/b', value: '2' }],
    });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: c.namespace });
    await waitFor(() => w.events.length >= 3);
    expect(w.events.map(e => `${e.type}/${e.name}`)).toEqual([
      'ADDED/w',
      'MODIFIED/w',
      'DELETED/w',
    ]);
    req.abort();
  });

  it('resumes from a resourceVersion, replaying only later events', async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'r1' } },
    });
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'r2' } },
    });
    const w = collect(c, `/api/v1/namespaces/${c.namespace}/configmaps`, {
      resourceVersion: a.metadata!.resourceVersion,
    });
    const req = await w.started;
    await waitFor(() => w.events.length >= 1);
    expect(w.events.map(e => `${e.type}/${e.name}`)).toEqual(['ADDED/r2']);
    req.abort();
  });

  it('answers a compacted resourceVersion with 410 Gone (an ERROR event carrying a Status)', async () => {
    const first = await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'old' } },
    });
    for (let i = 0; i < 60; i++)
      await core.createNamespacedConfigMap({
        namespace: c.namespace,
        body: { metadata: { name: `fill-${i}` } },
      });
    const w = collect(c, `/api/v1/namespaces/${c.namespace}/configmaps`, {
      resourceVersion: first.metadata!.resourceVersion,
    });
    await w.started;
    await waitFor(() => w.events.length >= 1);
    expect(w.events[0].type).toBe('ERROR');
    expect(w.events[0].data).toMatchObject({ kind: 'Status', code: 410 });
  });

  it('sends BOOKMARK events when allowed and closes the stream at timeoutSeconds', async () => {
    const w = collect(c, `/api/v1/namespaces/${c.namespace}/configmaps`, {
      allowWatchBookmarks: true,
      timeoutSeconds: 1,
      resourceVersion: '1',
    });
    await w.started;
    const started = Date.now();
    await w.finished;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10000);

  it('filters by label selector and reports objects leaving the selection as DELETED', async () => {
    const w = collect(c, `/api/v1/namespaces/${c.namespace}/configmaps`, {
      labelSelector: 'team=a',
    });
    const req = await w.started;
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'x', labels: { team: 'b' } } },
    });
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'y', labels: { team: 'a' } } },
    });
    await core.patchNamespacedConfigMap({
      name: 'y',
      namespace: c.namespace,
      body: [{ op: 'replace', path: '/metadata/labels/team', value: 'b' }],
    });
    await waitFor(() => w.events.length >= 2);
    expect(w.events.map(e => `${e.type}/${e.name}`)).toEqual([
      'ADDED/y',
      'DELETED/y',
    ]);
    req.abort();
  });

  it('drives a client-node informer: list, then add/update/delete, and relist after a dropped watch', async () => {
    c.dev?.api.setFaults({ dropWatchAfterEvents: 2 });
    const path = `/api/v1/namespaces/${c.namespace}/configmaps`;
    const informer = makeInformer<V1ConfigMap>(c.kc, path, () =>
      core.listNamespacedConfigMap({ namespace: c.namespace }),
    );
    const seen: string[] = [];
    informer.on('add', (o: KubernetesObject) =>
      seen.push(`add/${o.metadata?.name}`),
    );
    informer.on('update', (o: KubernetesObject) =>
      seen.push(`update/${o.metadata?.name}`),
    );
    informer.on('delete', (o: KubernetesObject) =>
      seen.push(`delete/${o.metadata?.name}`),
    );
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'pre' } },
    });
    await informer.start();
    await waitFor(() => seen.includes('add/pre'));
    for (let i = 0; i < 4; i++)
      await core.createNamespacedConfigMap({
        namespace: c.namespace,
        body: { metadata: { name: `i${i}` } },
      });
    await core.patchNamespacedConfigMap({
      name: 'i0',
      namespace: c.namespace,
      body: [{ op: 'add', path: '/data', value: { a: '1' } }],
    });
    await core.deleteNamespacedConfigMap({
      name: 'i1',
      namespace: c.namespace,
    });
    await waitFor(
      () => seen.includes('delete/i1') && seen.includes('add/i3'),
      8000,
    );
    expect(
      informer
        .list()
        .map(o => o.metadata?.name)
        .sort(),
    ).toEqual(['i0', 'i2', 'i3', 'pre']);
    await informer.stop();
  }, 15000);
});
