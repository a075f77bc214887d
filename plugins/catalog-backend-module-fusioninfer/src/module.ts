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
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { fusioninferClustersServiceRef } from '@fusioninfer/plugin-fusioninfer-node';
import { FusionInferEntityProvider } from './FusionInferEntityProvider';

/**
 * Seconds between refreshes: `refresh` (a HumanDuration such as `{ minutes: 2 }`, or `2m` / `PT2M`), else the legacy
 * `refreshSeconds`, else 60. Zero, negative or unreadable values are refused naming the key.
 */
function readRefreshSeconds(c: Config | undefined): number {
  if (c?.has('refresh')) {
    const ms = durationToMilliseconds(
      readDurationFromConfig(c, { key: 'refresh' }),
    );
    if (!(ms > 0))
      throw new Error(
        'fusioninfer.catalog.refresh: must be a duration greater than 0',
      );
    return ms / 1000;
  }
  const seconds = c?.getOptionalNumber('refreshSeconds') ?? 60;
  if (!(seconds > 0))
    throw new Error(
      `fusioninfer.catalog.refreshSeconds: must be a number greater than 0, got ${seconds}`,
    );
  return seconds;
}

/**
 * Catalog module: one `model-service` Component per InferenceService in the configured clusters
 * (`fusioninfer.catalog`: `enabled`, `watch`, `refresh` or `refreshSeconds`, `defaultOwner`, `lifecycle`, `includeLinked`).
 * Install with `backend.add(import('@fusioninfer/plugin-catalog-backend-module-fusioninfer'))`.
 * @public
 */
export const catalogModuleFusionInferEntityProvider = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'fusioninfer-entity-provider',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        clusters: fusioninferClustersServiceRef,
      },
      async init({ catalog, config, logger, scheduler, lifecycle, clusters }) {
        const c = config.getOptionalConfig('fusioninfer.catalog');
        if (c?.getOptionalBoolean('enabled') === false) return;
        const seconds = readRefreshSeconds(c);
        const provider = new FusionInferEntityProvider({
          clusters,
          logger,
          defaultOwner: c?.getOptionalString('defaultOwner'),
          lifecycle: c?.getOptionalString('lifecycle'),
          includeLinked: c?.getOptionalBoolean('includeLinked'),
          watch: c?.getOptionalBoolean('watch'),
          taskRunner: scheduler.createScheduledTaskRunner({
            frequency: { seconds },
            timeout: { seconds: Math.max(30, seconds) },
            initialDelay: { seconds: 3 },
          }),
        });
        catalog.addEntityProvider(provider);
        lifecycle.addShutdownHook(() => provider.stop());
      },
    });
  },
});
