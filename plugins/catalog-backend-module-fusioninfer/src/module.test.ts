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

import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import {
  createFusionInferClusters,
  fusioninferClustersServiceRef,
} from '@fusioninfer/plugin-fusioninfer-node';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import catalogModule from '.';

async function providersWith(config: JsonObject) {
  const addEntityProvider = jest.fn();
  await startTestBackend({
    extensionPoints: [[catalogProcessingExtensionPoint, { addEntityProvider }]],
    features: [
      catalogModule,
      mockServices.rootConfig.factory({ data: config }),
      createServiceFactory({
        service: fusioninferClustersServiceRef,
        deps: {},
        factory: () => createFusionInferClusters([]),
      }),
    ],
  });
  return addEntityProvider.mock.calls.map(c => c[0]);
}

describe('catalogModuleFusionInferEntityProvider', () => {
  it('adds the FusionInfer entity provider to the catalog', async () => {
    const providers = await providersWith({});
    expect(providers).toHaveLength(1);
    expect(providers[0].getProviderName()).toBe('fusioninfer-provider');
  });

  it('adds nothing when fusioninfer.catalog.enabled is false', async () => {
    expect(
      await providersWith({ fusioninfer: { catalog: { enabled: false } } }),
    ).toEqual([]);
  });

  it('rejects a refresh interval that is not positive, naming the field', async () => {
    await expect(
      providersWith({ fusioninfer: { catalog: { refreshSeconds: 0 } } }),
    ).rejects.toThrow(
      /fusioninfer\.catalog\.refreshSeconds: must be a number greater than 0/,
    );
  });
});
