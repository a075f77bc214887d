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
import { fusioninferRoutes } from '@fusioninfer/plugin-fusioninfer-common';
import {
  applyServiceManifest,
  ChangeOperationsDeps,
  deleteServiceAs,
  scaleServiceRole,
  setServiceCanary,
  setServiceRolloutPaused,
  setServiceStrategy,
} from '../changes/operations';
import { bindRoute } from './validated';

/**
 * Scale, strategy, rollout pause/resume, delete and apply: every one through the one writer (`ServiceWriter`): authorized on the
 * service's entity and the entity the manifest names, decided by the one policy (project, pod security, quota,
 * approval threshold), written with the live UID as precondition. The bodies are the change operations
 * (`changes/operations.ts`), shared with the registered actions (`actions/`).
 */
export function addMutationRoutes(
  router: express.Router,
  o: ChangeOperationsDeps,
) {
  const { access } = o;
  const r = fusioninferRoutes;
  bindRoute(router, r.scale, async ({ req, params, body }) =>
    scaleServiceRole(o, await access.credentials(req), params, body),
  );
  bindRoute(router, r.setStrategy, async ({ req, params, body }) =>
    setServiceStrategy(o, await access.credentials(req), params, body),
  );
  bindRoute(router, r.setRollout, async ({ req, params, body }) =>
    setServiceRolloutPaused(o, await access.credentials(req), params, body),
  );
  bindRoute(router, r.setCanary, async ({ req, params, body }) =>
    setServiceCanary(o, await access.credentials(req), params, body),
  );
  bindRoute(router, r.deleteService, async ({ req, params }) =>
    deleteServiceAs(o, await access.credentials(req), params),
  );
  bindRoute(router, r.apply, async ({ req, body }) =>
    applyServiceManifest(o, await access.credentials(req), body),
  );
}
