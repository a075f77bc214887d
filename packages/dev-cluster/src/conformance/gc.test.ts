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

import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { startTestCluster, TestCluster } from './testCluster';
import { waitFor } from '@fusioninfer/test-utils';

describe('API server conformance: owner references and garbage collection', () => {
  let c: TestCluster;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const isvcApi = {
    group: 'fusioninfer.io',
    version: 'v1alpha1',
    plural: 'inferenceservices',
  };
  beforeEach(async () => {
    c = await startTestCluster();
    core = c.kc.makeApiClient(CoreV1Api);
    custom = c.kc.makeApiClient(CustomObjectsApi);
  });
  afterEach(() => c.close());

  async function ownerWithChildren(name: string) {
    const owner: any = await custom.createNamespacedCustomObject({
      ...isvcApi,
      namespace: c.namespace,
      body: {
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name },
        spec: { roles: [{ name: 'w', componentType: 'worker' }] },
      },
    });
    const ref = {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      name,
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    for (const child of ['a', 'b'])
      await core.createNamespacedConfigMap({
        namespace: c.namespace,
        body: {
          metadata: { name: `${name}-${child}`, ownerReferences: [ref] },
        },
      });
    return owner;
  }
  const names = async () =>
    (await core.listNamespacedConfigMap({ namespace: c.namespace })).items
      .map(i => i.metadata!.name!)
      .filter(n => !n.startsWith('kube-root'));

  it('background deletion of an InferenceService deletes its children', async () => {
    await ownerWithChildren('bg');
    expect(await names()).toEqual(['bg-a', 'bg-b']);
    await custom.deleteNamespacedCustomObject({
      ...isvcApi,
      namespace: c.namespace,
      name: 'bg',
    });
    await waitFor(async () => (await names()).length === 0);
    expect(await names()).toEqual([]);
  });

  it('foreground deletion keeps the owner (deletionTimestamp, foregroundDeletion) until its dependents are gone', async () => {
    await ownerWithChildren('fg');
    const res: any = await custom.deleteNamespacedCustomObject({
      ...isvcApi,
      namespace: c.namespace,
      name: 'fg',
      propagationPolicy: 'Foreground',
    });
    expect(res.metadata.deletionTimestamp).toBeTruthy();
    expect(res.metadata.finalizers).toContain('foregroundDeletion');
    await waitFor(async () => (await names()).length === 0);
    await waitFor(async () =>
      custom
        .getNamespacedCustomObject({
          ...isvcApi,
          namespace: c.namespace,
          name: 'fg',
        })
        .then(
          () => false,
          e => e.code === 404,
        ),
    );
  });

  it('orphan deletion removes the owner and strips the dependents owner references', async () => {
    await ownerWithChildren('or');
    await custom.deleteNamespacedCustomObject({
      ...isvcApi,
      namespace: c.namespace,
      name: 'or',
      propagationPolicy: 'Orphan',
    });
    await waitFor(async () =>
      custom
        .getNamespacedCustomObject({
          ...isvcApi,
          namespace: c.namespace,
          name: 'or',
        })
        .then(
          () => false,
          e => e.code === 404,
        ),
    );
    const left = (
      await core.listNamespacedConfigMap({ namespace: c.namespace })
    ).items.filter(i => i.metadata!.name!.startsWith('or-'));
    expect(left).toHaveLength(2);
    expect(
      left.every(i => (i.metadata!.ownerReferences ?? []).length === 0),
    ).toBe(true);
  });

  it('an object with a finalizer is only marked for deletion until the finalizer is removed', async () => {
    await core.createNamespacedConfigMap({
      namespace: c.namespace,
      body: { metadata: { name: 'fin', finalizers: ['example.com/hold'] } },
    });
    await core.deleteNamespacedConfigMap({
      name: 'fin',
      namespace: c.namespace,
    });
    const held = await core.readNamespacedConfigMap({
      name: 'fin',
      namespace: c.namespace,
    });
    expect(held.metadata?.deletionTimestamp).toBeTruthy();
    await core.patchNamespacedConfigMap({
      name: 'fin',
      namespace: c.namespace,
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    const gone = await core
      .readNamespacedConfigMap({ name: 'fin', namespace: c.namespace })
      .catch(e => e);
    expect(gone.code).toBe(404);
  });

  it('deleting a namespace deletes its contents, then the namespace', async () => {
    await core.createNamespace({
      body: { metadata: { name: `${c.namespace}-x` } },
    });
    await core.createNamespacedConfigMap({
      namespace: `${c.namespace}-x`,
      body: { metadata: { name: 'inside' } },
    });
    const terminating = await core.deleteNamespace({
      name: `${c.namespace}-x`,
    });
    expect((terminating as any).status?.phase).toBe('Terminating');
    await waitFor(async () =>
      core.readNamespace({ name: `${c.namespace}-x` }).then(
        () => false,
        e => e.code === 404,
      ),
    );
    const left = await core.listNamespacedConfigMap({
      namespace: `${c.namespace}-x`,
    });
    expect(left.items).toEqual([]);
  });
});
