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
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import {
  diffChildren,
  entityRefOfService,
  EntityServiceItem,
  FUSIONINFER_SERVICE_ANNOTATION,
  fusioninferRoutes,
  fusioninferServiceReadPermission,
  InferenceService,
  MAX_SERVICE_ANNOTATION_REFS,
  parseServiceAnnotation,
  renderInferenceService,
  RenderOptions,
  ServiceListItem,
  ServiceRef,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../auth/access';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import {
  describeForCaller,
  readServiceDetail,
  readServiceMetrics,
} from '../views/reads';
import { ServiceSource } from '../views/ServiceSource';
import { PreflightOf } from '../views/preflight';
import { bindRoute } from './validated';

/** Dependencies of the read routes. */
export interface ReadRoutesOptions {
  access: Access;
  source: ServiceSource;
  reconcilers: Map<string, ClusterReconciler>;
  metrics: MetricsCollector;
  render?: RenderOptions;
  catalog?: CatalogService;
  /** The pre-flight of a service's spec (absent: GET …/preflight answers 503). */
  preflight?: PreflightOf;
  titleOf(cluster: string): { title: string; mode: 'manage' | 'observe' };
}

const sameRef = (a: ServiceRef, b: ServiceRef) =>
  a.cluster === b.cluster && a.namespace === b.namespace && a.name === b.name;

/** `/clusters`, `/services`, a service's detail, children, diff and metrics, and `/entities/…/services`. */
export function addReadRoutes(router: express.Router, o: ReadRoutesOptions) {
  const { access, source } = o;
  const r = fusioninferRoutes;

  bindRoute(router, r.listClusters, async ({ req }) => {
    await access.requireSome(
      await access.credentials(req),
      fusioninferServiceReadPermission,
    );
    return {
      status: 200 as const,
      body: {
        items: source.clusterNames().map(name => ({
          name,
          ...o.titleOf(name),
          leading: o.reconcilers.get(name)?.isLeader ?? false,
        })),
      },
    };
  });

  // Every readable service of every cluster; one cluster down never blanks the others.
  bindRoute(router, r.listServices, async ({ req }) => {
    const credentials = await access.credentials(req);
    await access.requireSome(credentials, fusioninferServiceReadPermission);
    const errors: Array<{ cluster: string; message: string }> = [];
    const all: ServiceListItem[] = [];
    await Promise.all(
      source.clusterNames().map(async cluster => {
        try {
          for (const i of await source.listServices(cluster))
            all.push({
              cluster,
              namespace: i.metadata.namespace!,
              name: i.metadata.name!,
              phase: i.status?.phase,
              replicas: i.status?.replicas,
              readyReplicas: i.status?.readyReplicas,
              entityRef: access.entityRefOf(i, cluster),
            });
          // Served from a cache whose watches fail: the last known services, and the cluster named in errors.
          const stale = source.problems?.(cluster);
          if (stale)
            errors.push({
              cluster,
              message: `${access.clusterError(new Error(stale), cluster).message}; showing its last known services`,
            });
        } catch (e) {
          errors.push({
            cluster,
            message: access.clusterError(e, cluster).message,
          });
        }
      }),
    );
    // One batched decision per service, on its entity: a conditional policy (owners) filters the list.
    const ok = await access.allowed(
      credentials,
      fusioninferServiceReadPermission,
      all.map(i => i.entityRef),
    );
    const items = all
      .filter((_, i) => ok[i])
      .sort(
        (a, b) =>
          a.cluster.localeCompare(b.cluster) ||
          a.namespace.localeCompare(b.namespace) ||
          a.name.localeCompare(b.name),
      );
    errors.sort((a, b) => a.cluster.localeCompare(b.cluster));
    return { status: 200 as const, body: { items, errors } };
  });

  const readable = async (
    req: express.Request,
    ref: { cluster: string; namespace: string; name: string },
  ) =>
    access.loadService(
      source,
      await access.credentials(req),
      fusioninferServiceReadPermission,
      ref,
    );
  const wrap = async <T>(cluster: string, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      throw access.clusterError(e, cluster);
    }
  };

  const describe = (cluster: string, isvc: InferenceService) =>
    describeForCaller(o, cluster, isvc);

  bindRoute(router, r.getService, async ({ req, params }) => ({
    status: 200 as const,
    body: (await readServiceDetail(o, await access.credentials(req), params))
      .detail,
  }));

  bindRoute(router, r.getChildren, async ({ req, params }) => {
    const { isvc } = await readable(req, params);
    const validation = validateInferenceService(isvc);
    // An invalid spec is reported, never expanded.
    if (!validation.valid)
      return { status: 200 as const, body: { validation } };
    const rendered = renderInferenceService(isvc, {
      ...(o.render ?? {}),
      namespace: params.namespace,
      ownerUid: isvc.metadata.uid,
    });
    return {
      status: 200 as const,
      body: {
        validation,
        summary: rendered.summary,
        children: rendered.children,
      },
    };
  });

  bindRoute(router, r.getDiff, async ({ req, params }) => {
    const { isvc } = await readable(req, params);
    const validation = validateInferenceService(isvc);
    if (!validation.valid)
      return { status: 200 as const, body: { validation } };
    const rendered = renderInferenceService(isvc, {
      ...(o.render ?? {}),
      namespace: params.namespace,
      ownerUid: isvc.metadata.uid,
    });
    const live = await wrap(params.cluster, () =>
      source.liveChildren(params.cluster, params.namespace, params.name),
    );
    return {
      status: 200 as const,
      body: { validation, diff: diffChildren(rendered.children, live) },
    };
  });

  bindRoute(router, r.getPreflight, async ({ req, params }) => {
    const { isvc } = await readable(req, params);
    if (!o.preflight)
      throw new ServiceUnavailableError('pre-flight is not available');
    return {
      status: 200 as const,
      body: await o.preflight(params.cluster, isvc, {
        namespace: params.namespace,
        name: params.name,
      }),
    };
  });

  bindRoute(router, r.getMetrics, async ({ req, params }) => ({
    status: 200 as const,
    body: await readServiceMetrics(o, await access.credentials(req), params),
  }));

  bindRoute(router, r.getEntityServices, async ({ req, params }) => {
    const entityRef =
      `${params.kind}:${params.namespace}/${params.name}`.toLowerCase();
    if (!o.catalog)
      throw new ServiceUnavailableError(
        'the catalog is not available to the fusioninfer backend',
      );
    const credentials = await access.credentials(req);
    await access.require(
      credentials,
      fusioninferServiceReadPermission,
      entityRef,
    );
    const entity = await o.catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) throw new NotFoundError(`entity ${entityRef} not found`);
    const errors: Array<{ cluster?: string; message: string }> = [];
    const parsed = parseServiceAnnotation(
      entity.metadata.annotations?.[FUSIONINFER_SERVICE_ANNOTATION],
    );
    errors.push(...parsed.errors.map(message => ({ message })));
    const refs: ServiceRef[] = [...parsed.refs];
    const loaded = new Map<string, InferenceService>();
    let pointingBeyond = 0;
    const key = (x: ServiceRef) => `${x.cluster}/${x.namespace}/${x.name}`;
    // Services that point at this entity.
    await Promise.all(
      source.clusterNames().map(async cluster => {
        try {
          for (const i of await source.listServices(cluster)) {
            if (entityRefOfService(i) !== entityRef) continue;
            const ref = {
              cluster,
              namespace: i.metadata.namespace!,
              name: i.metadata.name!,
            };
            if (refs.some(x => sameRef(x, ref))) {
              loaded.set(key(ref), i);
              continue;
            }
            // Bounded like the annotation: every service shown costs a detail.
            if (refs.length >= MAX_SERVICE_ANNOTATION_REFS) {
              pointingBeyond++;
              continue;
            }
            loaded.set(key(ref), i);
            refs.push(ref);
          }
        } catch (e) {
          errors.push({
            cluster,
            message: access.clusterError(e, cluster).message,
          });
        }
      }),
    );
    if (pointingBeyond)
      errors.push({
        message: `${pointingBeyond} more services are linked to ${entityRef}; at most ${MAX_SERVICE_ANNOTATION_REFS} are shown`,
      });
    // Each service is shown only to callers who may read it on its own entity (the annotation is written by the
    // entity's author, who must not be able to pull in somebody else's service).
    const found = await Promise.all(
      refs.map(async ref => {
        try {
          const isvc =
            loaded.get(key(ref)) ??
            (await source.getService(ref.cluster, ref.namespace, ref.name));
          return { ref, isvc };
        } catch (e) {
          return {
            ref,
            error: access.clusterError(e, ref.cluster).message,
          };
        }
      }),
    );
    const ok = await access.allowed(
      credentials,
      fusioninferServiceReadPermission,
      found.map(f =>
        f.isvc
          ? access.entityRefOf(f.isvc, f.ref.cluster)
          : access.generatedEntityRef(
              f.ref.cluster,
              f.ref.namespace,
              f.ref.name,
            ),
      ),
    );
    const items: EntityServiceItem[] = await Promise.all(
      found
        .filter((_, i) => ok[i])
        .map(async ({ ref, isvc, error }): Promise<EntityServiceItem> => {
          if (!isvc)
            return { ...ref, found: false, ...(error ? { error } : {}) };
          try {
            return {
              ...ref,
              found: true,
              service: await describe(ref.cluster, isvc),
            };
          } catch (e) {
            return {
              ...ref,
              found: false,
              error: access.clusterError(e, ref.cluster).message,
            };
          }
        }),
    );
    return { status: 200 as const, body: { entityRef, items, errors } };
  });
}
