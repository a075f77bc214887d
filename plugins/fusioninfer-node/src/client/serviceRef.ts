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
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import {
  createFusionInferClient,
  FusionInferClient,
} from '@fusioninfer/plugin-fusioninfer-common';

/** What each call of {@link FusionInferBackendClient} takes last: the caller it is made on behalf of. @public */
export interface FusionInferBackendRequestOptions {
  credentials: BackstageCredentials;
}

/**
 * The client of the common package whose calls take `{ credentials }` last (one method per route of
 * `fusioninferRoutes`).
 * @public
 */
export type FusionInferBackendClient =
  FusionInferClient<FusionInferBackendRequestOptions>;

/**
 * The FusionInfer backend for other backend plugins and modules (the scaffolder module). Each call is made with a
 * token from `auth.getPluginRequestToken({ onBehalfOf: credentials })`, so the backend plugin enforces permissions
 * and the approval policy for that caller (a user, or the calling plugin when the credentials are a service's).
 * @public
 */
export const fusioninferClientServiceRef =
  createServiceRef<FusionInferBackendClient>({
    id: 'fusioninfer.client',
    scope: 'plugin',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { discovery: coreServices.discovery, auth: coreServices.auth },
        factory: ({ discovery, auth }) =>
          createFusionInferClient<FusionInferBackendRequestOptions>({
            discoveryApi: discovery,
            getToken: async ({ credentials }) =>
              (
                await auth.getPluginRequestToken({
                  onBehalfOf: credentials,
                  targetPluginId: 'fusioninfer',
                })
              ).token,
          }),
      }),
  });
