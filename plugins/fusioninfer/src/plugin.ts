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
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { createFusionInferClient } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from './api';
import { entityContentRouteRef, rootRouteRef } from './routes';
import {
  FusionInferPreview,
  fusionInferPreviewValidation,
} from './components/PreviewField/PreviewField';

/**
 * The FusionInfer plugin for apps on the legacy frontend system. Apps on the new frontend system use the default
 * export of `@fusioninfer/plugin-fusioninfer/alpha`.
 * @public
 */
export const fusioninferPlugin = createPlugin({
  id: 'fusioninfer',
  apis: [
    createApiFactory({
      api: fusioninferApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => createFusionInferClient(deps),
    }),
  ],
  routes: { root: rootRouteRef, entityContent: entityContentRouteRef },
});

/**
 * The Inference tab (legacy system): `<EntityLayout.Route path="/inference" title="Inference" if={isFusionInferAvailable}>`.
 * @public
 */
export const EntityFusionInferContent: () => JSX.Element =
  fusioninferPlugin.provide(
    createRoutableExtension({
      name: 'EntityFusionInferContent',
      component: () =>
        import('./components/InferenceContent/InferenceContent').then(
          m => m.InferenceContent,
        ),
      mountPoint: entityContentRouteRef,
    }),
  );

/**
 * The overview card (legacy system): state, ready/desired replicas, GPUs, strategy and TTFT p95 per service.
 * @public
 */
export const EntityFusionInferCard: () => JSX.Element =
  fusioninferPlugin.provide(
    createComponentExtension({
      name: 'EntityFusionInferCard',
      component: {
        lazy: () =>
          import('./components/OverviewCard/OverviewCard').then(
            m => m.OverviewCard,
          ),
      },
    }),
  );

/**
 * The team's GPU spend on a Group entity's overview (showback: services, budget with warnings at 80 % and 100 %,
 * quota). Use it on Group pages, e.g. inside `<EntitySwitch.Case if={isKind('group')}>`.
 * @public
 */
export const EntityFusionInferShowbackCard: () => JSX.Element =
  fusioninferPlugin.provide(
    createComponentExtension({
      name: 'EntityFusionInferShowbackCard',
      component: {
        lazy: () =>
          import('./components/Showback/TeamShowbackCard').then(
            m => m.TeamShowbackCard,
          ),
      },
    }),
  );

/**
 * The approvals page (legacy system): `<Route path="/fusioninfer" element={<FusionInferApprovalsPage />} />`.
 * @public
 */
export const FusionInferApprovalsPage: () => JSX.Element =
  fusioninferPlugin.provide(
    createRoutableExtension({
      name: 'FusionInferApprovalsPage',
      component: () =>
        import('./components/ApprovalsPage/ApprovalsPage').then(
          m => m.LegacyApprovalsPage,
        ),
      mountPoint: rootRouteRef,
    }),
  );

/**
 * The `FusionInferPreview` scaffolder field (legacy system):
 * `<ScaffolderFieldExtensions><FusionInferPreviewFieldExtension /></ScaffolderFieldExtensions>`.
 * @public
 */
export const FusionInferPreviewFieldExtension = fusioninferPlugin.provide(
  createScaffolderFieldExtension({
    name: 'FusionInferPreview',
    component: FusionInferPreview,
    validation: fusionInferPreviewValidation,
  }),
);
