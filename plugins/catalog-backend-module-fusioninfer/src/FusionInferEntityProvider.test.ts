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

import { mockServices } from '@backstage/backend-test-utils';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterClient,
  createFusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { FusionInferEntityProvider } from './FusionInferEntityProvider';
import {
  devClusterConfig,
  minimalInferenceService,
  waitFor,
} from '@fusioninfer/test-utils';

const isvc = (name: string, metadata: Record<string, unknown> = {}) =>
  minimalInferenceService(name, { metadata });

describe('FusionInferEntityProvider', () => {
  let dev: DevCluster;
  beforeAll(async () => {
    dev = await startDevCluster({ simulate: false });
  });
  afterAll(() => dev?.close());

  it("emits one model-service Component per service, skips linked ones, and keeps a failing cluster's last entities", async () => {
    const up = new ClusterClient(devClusterConfig(dev.url));
    const down = new ClusterClient({
      name: 'down',
      url: 'http://127.0.0.1:1',
      authProvider: 'serviceAccount',
      skipTLSVerify: false,
      mode: 'manage',
    });
    await up.apply(
      isvc('qwen', { labels: { 'fusioninfer.io/owner': 'team-a' } }) as any,
      { fieldManager: 'kubectl' },
    );
    await up.apply(
      isvc('linked', {
        annotations: {
          'backstage.io/entity-ref': 'component:default/my-model',
        },
      }) as any,
      { fieldManager: 'kubectl' },
    );
    const applyMutation = jest.fn();
    const provider = new FusionInferEntityProvider({
      clusters: createFusionInferClusters([up, down]),
      logger: mockServices.logger.mock(),
      defaultOwner: 'group:default/platform',
      watch: false,
    });
    await provider.connect({ applyMutation, refresh: jest.fn() });
    const entities = await provider.refresh();
    expect(entities.map(e => e.metadata.name)).toEqual(['qwen.default.dev']);
    // A short title (the catalog's Name column); namespace and cluster in the description and annotations.
    expect(entities[0].metadata.title).toBe('qwen');
    expect(entities[0].metadata.description).toMatch(
      /InferenceService default\/qwen in cluster dev/,
    );
    expect(entities[0].metadata.annotations).toMatchObject({
      'fusioninfer.io/service': 'dev/default/qwen',
      'backstage.io/kubernetes-namespace': 'default',
    });
    expect(entities[0].spec).toMatchObject({
      type: 'model-service',
      owner: 'group:default/team-a',
    });
    expect(applyMutation).toHaveBeenCalledWith({
      type: 'full',
      entities: [
        { entity: entities[0], locationKey: 'fusioninfer-provider:dev' },
      ],
    });
    // The cluster goes away: its entities stay instead of vanishing from the catalog.
    await dev.close();
    const again = await provider.refresh();
    expect(again.map(e => e.metadata.name)).toEqual(['qwen.default.dev']);
  });

  it('with fusioninfer.clusters[].namespaces set, emits entities only for services in those namespaces', async () => {
    const own = await startDevCluster({
      simulate: false,
      namespaces: ['llm', 'other'],
    });
    try {
      const admin = new ClusterClient(devClusterConfig(own.url));
      const inNs = (name: string, namespace: string) => ({
        ...isvc(name),
        metadata: { name, namespace },
      });
      for (const [name, ns] of [
        ['a', 'llm'],
        ['b', 'other'],
        ['c', 'default'],
      ])
        await admin.apply(inNs(name, ns) as any, { fieldManager: 'kubectl' });
      const limited = new ClusterClient({
        ...devClusterConfig(own.url),
        namespaces: ['llm'],
      });
      const provider = new FusionInferEntityProvider({
        clusters: createFusionInferClusters([limited]),
        logger: mockServices.logger.mock(),
        watch: false,
      });
      await provider.connect({ applyMutation: jest.fn(), refresh: jest.fn() });
      expect((await provider.refresh()).map(e => e.metadata.name)).toEqual([
        'a.llm.dev',
      ]);
      // Without the setting every namespace is listed.
      const all = new FusionInferEntityProvider({
        clusters: createFusionInferClusters([admin]),
        logger: mockServices.logger.mock(),
        watch: false,
      });
      await all.connect({ applyMutation: jest.fn(), refresh: jest.fn() });
      expect((await all.refresh()).map(e => e.metadata.name).sort()).toEqual([
        'a.llm.dev',
        'b.other.dev',
        'c.default.dev',
      ]);
    } finally {
      await own.close();
    }
  });

  it('watching, emits the entities when the first list arrives and within a second of a change, and nothing for a status change', async () => {
    const own = await startDevCluster({ simulate: false });
    const admin = new ClusterClient(devClusterConfig(own.url));
    await admin.apply(isvc('first') as any, { fieldManager: 'kubectl' });
    const emitted: string[][] = [];
    const applyMutation = jest.fn(async (m: any) => {
      emitted.push(m.entities.map((e: any) => e.entity.metadata.name));
    });
    const provider = new FusionInferEntityProvider({
      clusters: createFusionInferClusters([admin]),
      logger: mockServices.logger.mock(),
      debounceMs: 50,
    });
    try {
      // No scheduled refresh at all: the watch alone delivers.
      await provider.connect({ applyMutation, refresh: jest.fn() });
      await waitFor(() => emitted.length >= 1);
      expect(emitted[0]).toEqual(['first.default.dev']);
      await admin.apply(isvc('second') as any, { fieldManager: 'kubectl' });
      await waitFor(() => emitted.length >= 2);
      expect(emitted[1]).toEqual(['first.default.dev', 'second.default.dev']);
      // A status write changes nothing the entity shows: no mutation.
      await admin.patchInferenceServiceStatus('default', 'first', {
        observedGeneration: 1,
      } as any);
      await admin.apply(isvc('third') as any, { fieldManager: 'kubectl' });
      await waitFor(() => emitted.length >= 3);
      expect(emitted[2]).toEqual([
        'first.default.dev',
        'second.default.dev',
        'third.default.dev',
      ]);
      expect(emitted).toHaveLength(3);
      await admin.delete(KINDS.InferenceService, 'default', 'second');
      await waitFor(() => emitted.length >= 4);
      expect(emitted[3]).toEqual(['first.default.dev', 'third.default.dev']);
    } finally {
      await provider.stop();
      await own.close();
    }
  });
});
