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

import express from 'express';
import request from 'supertest';
import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  InferenceService,
  MAX_SERVICE_ANNOTATION_REFS,
} from '@fusioninfer/plugin-fusioninfer-common';
import { createRouter } from './router';
import { describeServiceFrom } from '../views/describe';
import { ServiceSource } from '../views/ServiceSource';

/** 300 services in one cluster, every one pointing at component:default/magnet. */
function source(): ServiceSource & { described: number } {
  const services: InferenceService[] = Array.from({ length: 300 }, (_, i) => ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name: `s-${i}`,
      namespace: 'default',
      annotations: { 'backstage.io/entity-ref': 'component:default/magnet' },
    },
    spec: { roles: [] },
  })) as unknown as InferenceService[];
  const s = {
    described: 0,
    clusterNames: () => ['dev'],
    client: () => {
      throw new Error('not used');
    },
    getService: async (_c: string, ns: string, name: string) =>
      services.find(
        x => x.metadata.namespace === ns && x.metadata.name === name,
      ),
    listServices: async () => services,
    // The real description of a service with no children (the answer is checked against the contract).
    describe: async (c: string, isvc: InferenceService) => {
      s.described++;
      return describeServiceFrom(c, isvc, {
        leaderWorkerSets: [],
        pods: [],
        podGroups: [],
        deployments: [],
        pools: [],
        routes: [],
        events: [],
      });
    },
    liveChildren: async () => [],
  };
  return s;
}

describe('GET /entities/:kind/:namespace/:name/services', () => {
  it('describes at most MAX_SERVICE_ANNOTATION_REFS services however many point at the entity, and says so', async () => {
    const src = source();
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      clusters: {} as any,
      reconcilers: new Map(),
      catalog: catalogServiceMock({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'magnet', namespace: 'default' },
            spec: { type: 'service', owner: 'me', lifecycle: 'x' },
          },
        ],
      }),
      source: src,
    });
    const app = express().use(router).use(mockErrorHandler());
    const res = await request(app).get(
      '/entities/component/default/magnet/services',
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(MAX_SERVICE_ANNOTATION_REFS);
    expect(src.described).toBe(MAX_SERVICE_ANNOTATION_REFS);
    expect(res.body.errors).toEqual([
      {
        message: `${300 - MAX_SERVICE_ANNOTATION_REFS} more services are linked to component:default/magnet; at most ${MAX_SERVICE_ANNOTATION_REFS} are shown`,
      },
    ]);
  });
});
