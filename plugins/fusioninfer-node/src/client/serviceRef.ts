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
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import {
  DefaultFusionInferClient,
  FusionInferClient,
} from './FusionInferClient';

/**
 * The FusionInfer backend for other backend plugins and modules (the scaffolder module): calls on behalf of the
 * user, so permissions and the approval policy are enforced by the backend plugin.
 * @public
 */
export const fusioninferClientServiceRef = createServiceRef<FusionInferClient>({
  id: 'fusioninfer.client',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { discovery: coreServices.discovery, auth: coreServices.auth },
      factory: ({ discovery, auth }) =>
        new DefaultFusionInferClient({ discovery, auth }),
    }),
});
