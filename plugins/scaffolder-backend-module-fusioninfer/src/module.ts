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
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  fusioninferClientServiceRef,
  readRenderOptions,
} from '@fusioninfer/plugin-fusioninfer-node';
import { createApplyAction } from './actions/apply';
import { createDeleteAction } from './actions/delete';
import { createRenderAction } from './actions/render';
import { createWaitAction } from './actions/wait';

/**
 * Scaffolder module with the FusionInfer actions `fusioninfer:service:render`, `fusioninfer:service:apply`,
 * `fusioninfer:service:wait` and `fusioninfer:service:delete`. They reach clusters only through the FusionInfer
 * backend, on behalf of the task's user.
 * @public
 */
export const scaffolderModuleFusionInfer = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'fusioninfer',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        client: fusioninferClientServiceRef,
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, config, client, catalog }) {
        // Render like the backend renders (same fusioninfer.epp settings), so previews match what gets applied.
        const render = readRenderOptions(config);
        const links = { appBaseUrl: config.getOptionalString('app.baseUrl') };
        // How long an applied service's step waits for its catalog entity (0: not at all).
        const entityTimeoutSeconds =
          config.getOptionalNumber(
            'fusioninfer.scaffolder.entityWaitSeconds',
          ) ?? 120;
        if (!(entityTimeoutSeconds >= 0))
          throw new Error(
            'fusioninfer.scaffolder.entityWaitSeconds: must be a number ≥ 0',
          );
        const entityCatalog = entityTimeoutSeconds > 0 ? catalog : undefined;
        scaffolder.addActions(
          createRenderAction({ render }),
          createApplyAction({
            client,
            links,
            catalog: entityCatalog,
            entityTimeoutSeconds,
          }),
          createWaitAction({
            client,
            catalog: entityCatalog,
            entityTimeoutSeconds,
          }),
          createDeleteAction({ client }),
        );
      },
    });
  },
});
