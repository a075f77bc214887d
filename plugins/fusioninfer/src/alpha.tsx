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
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  ExtensionDefinition,
  fetchApiRef,
  OverridableFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  createFormField,
  FormFieldBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import { RiShieldCheckLine } from '@remixicon/react';
import { createFusionInferClient } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from './api';
import { isFusionInferAvailable } from './lib/entity';

/** Route of the approvals page (`/fusioninfer`; notifications link to `/fusioninfer/approvals/<id>`). @alpha */
export const fusioninferRootRouteRef = createRouteRef();

/** The REST client. @alpha */
export const fusioninferApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: fusioninferApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => createFusionInferClient(deps),
    }),
});

/** The Inference tab, on entities with FusionInfer services. @alpha */
export const fusioninferEntityContent: ExtensionDefinition =
  EntityContentBlueprint.make({
    name: 'inference',
    params: {
      path: '/inference',
      title: 'Inference',
      group: 'deployment',
      filter: isFusionInferAvailable,
      loader: () =>
        import('./components/InferenceContent/InferenceContent').then(m => (
          <m.InferenceContent />
        )),
    },
  });

/** The overview card. @alpha */
export const fusioninferEntityCard: ExtensionDefinition =
  EntityCardBlueprint.make({
    name: 'overview',
    params: {
      type: 'content',
      filter: isFusionInferAvailable,
      loader: () =>
        import('./components/OverviewCard/OverviewCard').then(m => (
          <m.OverviewCard />
        )),
    },
  });

/** The team's GPU spend (showback) on the overview of Group entities. @alpha */
export const fusioninferShowbackCard: ExtensionDefinition =
  EntityCardBlueprint.make({
    name: 'showback',
    params: {
      type: 'content',
      filter: entity => entity.kind.toLocaleLowerCase('en-US') === 'group',
      loader: () =>
        import('./components/Showback/TeamShowbackCard').then(m => (
          <m.TeamShowbackCard />
        )),
    },
  });

/** The approvals page, with its nav item. @alpha */
export const fusioninferApprovalsPage = PageBlueprint.make({
  name: 'approvals',
  params: {
    path: '/fusioninfer',
    routeRef: fusioninferRootRouteRef,
    title: 'Approvals',
    icon: <RiShieldCheckLine />,
    loader: () =>
      import('./components/ApprovalsPage/ApprovalsPage').then(m => (
        <m.ApprovalsPage />
      )),
  },
});

/** The `FusionInferPreview` scaffolder field. @alpha */
export const fusioninferPreviewField = FormFieldBlueprint.make({
  name: 'preview',
  params: {
    field: () =>
      import('./components/PreviewField/PreviewField').then(m =>
        createFormField({
          name: 'FusionInferPreview',
          component: m.FusionInferPreview,
          validation: m.fusionInferPreviewValidation,
        }),
      ),
  },
});

/**
 * The FusionInfer plugin for the new frontend system: API, Inference tab, overview card, approvals page (with nav
 * item) and the `FusionInferPreview` scaffolder field.
 * @alpha
 */
const fusioninferPlugin: OverridableFrontendPlugin = createFrontendPlugin({
  pluginId: 'fusioninfer',
  title: 'FusionInfer',
  icon: <RiShieldCheckLine />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: fusioninferRootRouteRef },
  extensions: [
    fusioninferApi,
    fusioninferEntityContent,
    fusioninferEntityCard,
    fusioninferShowbackCard,
    fusioninferApprovalsPage,
    fusioninferPreviewField,
  ],
});

export default fusioninferPlugin;
