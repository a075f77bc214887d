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
import {
  fusioninferRoutes,
  fusioninferServiceReadPermission,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../auth/access';
import { autoscalingView, AutoscalingViewOptions } from '../autoscaler/view';
import { ServiceSource } from '../views/ServiceSource';
import { bindRoute } from './validated';

/** `GET …/services/:name/autoscaling`: authorized on the service's entity before anything is loaded. */
export function addAutoscalingRoutes(
  router: express.Router,
  o: {
    access: Access;
    source: ServiceSource;
    autoscaling: AutoscalingViewOptions;
  },
) {
  bindRoute(
    router,
    fusioninferRoutes.getAutoscaling,
    async ({ req, params }) => {
      const { isvc } = await o.access.loadService(
        o.source,
        await o.access.credentials(req),
        fusioninferServiceReadPermission,
        params,
      );
      return {
        status: 200 as const,
        body: await autoscalingView(o.autoscaling, params.cluster, isvc),
      };
    },
  );
}
