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

/*
 * The Backstage backend used for development, demos and e2e tests of the FusionInfer plugins.
 * Embedded defaults: SQLite in memory, guest and approver sign-in, an ownership-aware permission policy.
 */

import { createBackend } from '@backstage/backend-defaults';
import { devClusterPlugin } from './devCluster';
import { catalogModuleFilePlaceholders } from './filePlaceholders';
import { authModuleDemoIdentities } from './demoIdentities';
import { permissionModuleFusionInferDevPolicy } from './permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// auth: guest sign-in for development, plus a second guest-like identity (the approver) for the approvals flow
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(authModuleDemoIdentities);

// catalog
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// `$yaml: ../_shared/model.yaml` in the templates (file locations): relative placeholders read from disk
backend.add(catalogModuleFilePlaceholders);

// scaffolder
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// FusionInfer scaffolder actions (render, apply via the approval gate, wait, delete) for templates/
backend.add(
  import('@fusioninfer/plugin-scaffolder-backend-module-fusioninfer'),
);

// permission
backend.add(import('@backstage/plugin-permission-backend'));
// owners may scale/delete their services, approvers may decide approval requests, the rest is allowed
backend.add(permissionModuleFusionInferDevPolicy);

// notifications, user settings, signals (push channel the user-settings storage and notifications listen on)
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// development Kubernetes (fusioninfer.devCluster.enabled in app-config.yaml); plugins reach it via fusioninfer.clusters
backend.add(devClusterPlugin);

// FusionInfer: reconciler, status and REST API at /api/fusioninfer
backend.add(import('@fusioninfer/plugin-fusioninfer-backend'));
// One model-service catalog entity per InferenceService (the entity gets the Inference tab)
backend.add(import('@fusioninfer/plugin-catalog-backend-module-fusioninfer'));

backend.start();
