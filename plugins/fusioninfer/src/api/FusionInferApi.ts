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

import { createApiRef } from '@backstage/core-plugin-api';
import type { FusionInferClient } from '@fusioninfer/plugin-fusioninfer-common';

/**
 * The FusionInfer backend (`/api/fusioninfer`) as seen from the browser: the client of
 * `@fusioninfer/plugin-fusioninfer-common` (`createFusionInferClient` over the app's `discoveryApi` and `fetchApi`),
 * one method per REST route. Non-2xx answers throw a `ResponseError` from `@backstage/errors`; mutations that policy
 * holds for approval resolve with the `202` body (`outcome: 'approval-required'`).
 * @public
 */
export type FusionInferApi = FusionInferClient;

/** @public */
export const fusioninferApiRef = createApiRef<FusionInferApi>({
  id: 'plugin.fusioninfer.api',
});
