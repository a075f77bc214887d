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

const createScheduledTaskRunner = jest.fn(() => ({ run: jest.fn() }));

async function providersWith(config: JsonObject) {
  const addEntityProvider = jest.fn();
  createScheduledTaskRunner.mockClear();
  await startTestBackend({
    extensionPoints: [[catalogProcessingExtensionPoint, { addEntityProvider }]],
    features: [
      catalogModule,
      mockServices.scheduler.mock({ createScheduledTaskRunner }).factory,
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

  it('refreshes every refreshSeconds, or every refresh duration, which wins', async () => {
    await providersWith({});
    expect(createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({ frequency: { seconds: 60 } }),
    );
    await providersWith({ fusioninfer: { catalog: { refreshSeconds: 30 } } });
    expect(createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({ frequency: { seconds: 30 } }),
    );
    await providersWith({
      fusioninfer: { catalog: { refreshSeconds: 30, refresh: { minutes: 2 } } },
    });
    expect(createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({ frequency: { seconds: 120 } }),
    );
    await providersWith({ fusioninfer: { catalog: { refresh: '90s' } } });
    expect(createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({ frequency: { seconds: 90 } }),
    );
  });

  it('rejects a refresh duration that is zero or unreadable, naming the key', async () => {
    await expect(
      providersWith({ fusioninfer: { catalog: { refresh: { seconds: 0 } } } }),
    ).rejects.toThrow(
      'fusioninfer.catalog.refresh: must be a duration greater than 0',
    );
    await expect(
      providersWith({ fusioninfer: { catalog: { refresh: 'soon' } } }),
    ).rejects.toThrow(/refresh/);
  });
});
