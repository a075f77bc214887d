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
  ClusterCapacity,
  ClusterSnapshot,
  InferenceService,
  KubeObject,
  LABELS,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CHILD_KINDS,
  ClusterClient,
  FusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { NotFoundError } from '@backstage/errors';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import { describeService } from './describe';

/**
 * Where the read routes get their data. The one place to change when views are served from the reconciler's caches
 * instead of the API server; mutations always read fresh from the API server through {@link ServiceSource.client}.
 * Errors are thrown as they come (ClusterApiError); the routes map them to generic HTTP errors.
 */
export interface ServiceSource {
  /** Configured cluster names. */
  clusterNames(): string[];
  /** The cluster's client (NotFoundError when not configured). */
  client(cluster: string): ClusterClient;
  getService(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<InferenceService | undefined>;
  listServices(cluster: string): Promise<InferenceService[]>;
  describe(cluster: string, isvc: InferenceService): Promise<ServiceDetail>;
  /** Why a cluster's answers may be stale (informer caches whose watches fail), if they may be. */
  problems?(cluster: string): string | undefined;
  /** GPU capacity of a cluster now (undefined: unknown — not cached yet, or the identity may not list nodes). */
  capacity?(cluster: string): ClusterCapacity | undefined;
  /**
   * Nodes and free resources of a cluster now, for a pre-flight; the pods of `service` count as free (undefined:
   * unknown, as for {@link ServiceSource.capacity}).
   */
  snapshot?(
    cluster: string,
    service?: { namespace: string; name: string },
  ): ClusterSnapshot | undefined;
  /** Live children of a service (every child kind, by the service label). */
  liveChildren(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<KubeObject[]>;
}

/** Reads from the API server (the behaviour before informer-cache views). */
export function createLiveServiceSource(
  clusters: FusionInferClusters,
  reconcilers: Map<string, ClusterReconciler>,
): ServiceSource {
  const client = (cluster: string) => {
    if (!clusters.list().some(c => c.name === cluster))
      throw new NotFoundError(
        `cluster "${cluster}" is not configured (fusioninfer.clusters)`,
      );
    return clusters.get(cluster);
  };
  return {
    clusterNames: () => clusters.list().map(c => c.name),
    client,
    // Namespaces outside fusioninfer.clusters[].namespaces do not exist for the REST API.
    getService: async (cluster, namespace, name) =>
      client(cluster).allowsNamespace(namespace)
        ? client(cluster).get<InferenceService>(
            KINDS.InferenceService,
            namespace,
            name,
          )
        : undefined,
    listServices: async cluster =>
      (
        await client(cluster).list<InferenceService>(KINDS.InferenceService)
      ).filter(i => client(cluster).allowsNamespace(i.metadata.namespace)),
    describe: async (cluster, isvc) =>
      (await describeService(
        client(cluster),
        isvc,
        reconcilers.get(cluster),
      )) as ServiceDetail,
    liveChildren: async (cluster, namespace, name) =>
      (
        await Promise.all(
          CHILD_KINDS.map(k =>
            client(cluster).list<KubeObject>(
              k,
              namespace,
              `${LABELS.service}=${name}`,
            ),
          ),
        )
      ).flat(),
  };
}
