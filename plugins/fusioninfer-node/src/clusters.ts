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
import { ClusterApiError, ClusterClient } from './ClusterClient';
import { readFusionInferClusters } from './config';

/** The configured clusters. @public */
export interface FusionInferClusters {
  /** Every configured cluster. */
  list(): ClusterClient[];
  /** One cluster by name; throws a 404 ClusterApiError when it is not configured. */
  get(name: string): ClusterClient;
}

/** Builds the cluster registry from clients. @public */
export function createFusionInferClusters(
  clients: ClusterClient[],
): FusionInferClusters {
  const byName = new Map(clients.map(c => [c.name, c]));
  return {
    list: () => [...byName.values()],
    get: name => {
      const c = byName.get(name);
      if (!c)
        throw new ClusterApiError(
          name,
          404,
          'NotFound',
          `cluster "${name}" is not configured (fusioninfer.clusters)`,
        );
      return c;
    },
  };
}

/**
 * Cluster access shared by the FusionInfer backend plugin and scaffolder module, built from
 * `fusioninfer.clusters` in app-config.
 * @public
 */
export const fusioninferClustersServiceRef =
  createServiceRef<FusionInferClusters>({
    id: 'fusioninfer.clusters',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { config: coreServices.rootConfig },
        factory: ({ config }) =>
          createFusionInferClusters(
            readFusionInferClusters(config).map(c => new ClusterClient(c)),
          ),
      }),
  });
