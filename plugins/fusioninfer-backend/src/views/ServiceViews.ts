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
  Deployment,
  InferenceService,
  KubeObject,
  LeaderWorkerSet,
  Pod,
  PodGroup,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CHILD_KINDS,
  ClusterApiError,
  FusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { NotFoundError } from '@backstage/errors';
import { ClusterCache } from '../cache/ClusterCache';
import { ServiceObjects as MetricsObjects } from '../metrics/MetricsCollector';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import { describeServiceFrom } from './describe';
import { createLiveServiceSource, ServiceSource } from './ServiceSource';

/**
 * The read side of the REST API served from the informer caches the reconciler keeps (InferenceServices, every child
 * kind, pods and events): a page view costs zero API-server calls and stays fast when a cluster is slow. A cluster
 * whose cache has not loaded yet is read live once (start-up); a cluster whose watches fail keeps serving its last
 * known state and is reported by {@link CachedServiceViews.problems}. Cached objects are shared: callers must not
 * mutate them.
 */
export interface CachedServiceViews extends ServiceSource {
  /** Pods, LeaderWorkerSets and the EPP Deployment of a service for the metrics collector (undefined: not cached). */
  metricsObjects(
    cluster: string,
    namespace: string,
    name: string,
  ): MetricsObjects | undefined;
  /** Why a cluster's views may be stale (watch errors), if they may be. */
  problems(cluster: string): string | undefined;
}

export function createCachedServiceViews(options: {
  clusters: FusionInferClusters;
  caches: Map<string, ClusterCache>;
  reconcilers: Map<string, ClusterReconciler>;
  /** Reads used while a cache has not loaded yet (default: live from the API server). */
  fallback?: ServiceSource;
}): CachedServiceViews {
  const { clusters, caches, reconcilers } = options;
  const fallback =
    options.fallback ?? createLiveServiceSource(clusters, reconcilers);
  const client = (cluster: string) => {
    if (!clusters.list().some(c => c.name === cluster))
      throw new NotFoundError(
        `cluster "${cluster}" is not configured (fusioninfer.clusters)`,
      );
    return clusters.get(cluster);
  };
  /**
   * The cache of a cluster, when it may answer for namespace `ns` (or for every namespace); undefined while it is
   * still loading (read live once). A cluster whose first list failed is not read live on every view (a slow or
   * dead cluster would make every page wait): it is unavailable until its cache loads.
   */
  const ready = (cluster: string, ns?: string): ClusterCache | undefined => {
    const cl = client(cluster);
    const c = caches.get(cluster);
    if (!c) return undefined;
    if (c.servicesSynced(ns) && c.settled) return c;
    const errors = c.serviceErrors(ns);
    if (errors.length)
      throw new ClusterApiError(
        cl.name,
        503,
        'ServiceUnavailable',
        `cluster ${cl.name} has not been listed yet: ${errors[0]}`,
      );
    return undefined;
  };
  const allowed = (cluster: string, ns: string) =>
    client(cluster).allowsNamespace(ns);
  const objectsOf = (c: ClusterCache, ns: string, name: string) => ({
    leaderWorkerSets: c.list<LeaderWorkerSet>(KINDS.LeaderWorkerSet, ns, name),
    pods: c.list<Pod>(KINDS.Pod, ns, name),
    podGroups: c.list<PodGroup>(KINDS.PodGroup, ns, name),
    deployments: c.list<Deployment>(KINDS.Deployment, ns, name),
    pools: c.list<KubeObject>(KINDS.InferencePool, ns, name),
    routes: c.list<KubeObject>(KINDS.HTTPRoute, ns, name),
  });
  return {
    clusterNames: () => clusters.list().map(c => c.name),
    client,
    async getService(cluster, namespace, name) {
      if (!allowed(cluster, namespace)) return undefined;
      const c = ready(cluster, namespace);
      if (!c) return fallback.getService(cluster, namespace, name);
      return c.get<InferenceService>(KINDS.InferenceService, namespace, name);
    },
    async listServices(cluster) {
      const c = ready(cluster);
      const items = c
        ? c.list<InferenceService>(KINDS.InferenceService)
        : await fallback.listServices(cluster);
      return items.filter(i => allowed(cluster, i.metadata.namespace!));
    },
    async describe(cluster, isvc) {
      const ns = isvc.metadata.namespace!;
      const name = isvc.metadata.name!;
      const c = ready(cluster, ns);
      if (!c) return fallback.describe(cluster, isvc);
      return describeServiceFrom(
        cluster,
        isvc,
        {
          ...objectsOf(c, ns, name),
          events: c.events(ns, name),
        },
        reconcilers.get(cluster)?.statuses.get(`${ns}/${name}`),
      );
    },
    async liveChildren(cluster, namespace, name) {
      const c = ready(cluster, namespace);
      if (!c) return fallback.liveChildren(cluster, namespace, name);
      return CHILD_KINDS.flatMap(k => c.list<KubeObject>(k, namespace, name));
    },
    metricsObjects(cluster, namespace, name) {
      const c = caches.get(cluster);
      if (!c?.servicesSynced(namespace) || !c.settled) return undefined;
      const o = objectsOf(c, namespace, name);
      return {
        pods: o.pods,
        leaderWorkerSets: o.leaderWorkerSets,
        eppDeployment: o.deployments[0],
      };
    },
    capacity(cluster) {
      return caches.get(cluster)?.capacity();
    },
    snapshot(cluster, service) {
      return caches.get(cluster)?.snapshot(service);
    },
    problems(cluster) {
      const c = caches.get(cluster);
      const errors = c?.errors() ?? [];
      return errors.length
        ? `showing the last known state; watches failing: ${errors.slice(0, 3).join('; ')}`
        : undefined;
    },
  };
}
