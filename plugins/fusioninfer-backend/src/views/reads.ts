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

import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  fusioninferServiceReadPermission,
  InferenceService,
  ServiceRef,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../auth/access';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { ServiceSource } from './ServiceSource';

/**
 * What a service's views for a caller need: permission checks, the data source and the metrics collector. Shared by
 * the read routes (`http/services.ts`) and the registered actions (`actions/`); every read is authorized before
 * anything about the service is told.
 */
export interface ServiceReadDeps {
  access: Access;
  source: ServiceSource;
  metrics: MetricsCollector;
}

/**
 * A service's detail as the routes answer it: it names the entity the permission checks of the service use (its
 * entity-ref, else its model entity), and a gang also carries the cluster's GPU capacity, so a stuck gang can say
 * what is free.
 */
export async function describeForCaller(
  o: Pick<ServiceReadDeps, 'access' | 'source'>,
  cluster: string,
  isvc: InferenceService,
) {
  const detail = await o.source.describe(cluster, isvc);
  const capacity = detail.gang ? o.source.capacity?.(cluster) : undefined;
  return {
    ...detail,
    entityRef: o.access.entityRefOf(isvc, cluster),
    ...(detail.gang && capacity ? { gang: { ...detail.gang, capacity } } : {}),
  };
}

/**
 * `GET …/services/:name` for a caller (the route and the `get-service-status` / `explain-gang` actions):
 * `service.read` on the service's entity before anything is told, then the detail (cluster failures generic).
 */
export async function readServiceDetail(
  o: Pick<ServiceReadDeps, 'access' | 'source'>,
  credentials: BackstageCredentials,
  ref: ServiceRef,
) {
  const { isvc } = await o.access.loadService(
    o.source,
    credentials,
    fusioninferServiceReadPermission,
    ref,
  );
  try {
    return { isvc, detail: await describeForCaller(o, ref.cluster, isvc) };
  } catch (e) {
    throw o.access.clusterError(e, ref.cluster);
  }
}

/** `GET …/metrics` for a caller (the route and the `get-routing-metrics` action). */
export async function readServiceMetrics(
  o: ServiceReadDeps,
  credentials: BackstageCredentials,
  ref: ServiceRef,
) {
  const { isvc } = await o.access.loadService(
    o.source,
    credentials,
    fusioninferServiceReadPermission,
    ref,
  );
  try {
    return await o.metrics.get(o.source.client(ref.cluster), isvc);
  } catch (e) {
    throw o.access.clusterError(e, ref.cluster);
  }
}
