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
import Router from 'express-promise-router';
import {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  fusioninferServiceDeletePermission,
  fusioninferServiceReadPermission,
  fusioninferServiceUpdatePermission,
  InferenceService,
  renderInferenceService,
  RenderOptions,
  validateInferenceService,
  diffChildren,
  entityRefOfService,
  FUSIONINFER_SERVICE_ANNOTATION,
  KubeObject,
  LABELS,
  modelServiceEntityName,
  parseServiceAnnotation,
  ServiceRef,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CHILD_KINDS,
  ClusterApiError,
  FusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ClusterReconciler } from './reconciler/ClusterReconciler';
import { describeService } from './describe';
import { MetricsCollector } from './metrics/MetricsCollector';
import { addApprovalRoutes, ApprovalRoutesOptions } from './approvals/routes';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  clusters: FusionInferClusters;
  reconcilers: Map<string, ClusterReconciler>;
  render?: RenderOptions;
  metrics?: MetricsCollector;
  /** Catalog access for the entity routes (absent: those routes answer 503). */
  catalog?: CatalogService;
  /** Approval routes (absent: no /approvals). */
  approvals?: ApprovalRoutesOptions;
  /** Backstage namespace of generated model-service entities (default "default"). */
  entityNamespace?: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The REST API of the plugin (mounted at /api/fusioninfer). Every route is authenticated and authorized. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, clusters } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const authorize = async (
    req: express.Request,
    permission:
      | BasicPermission
      | {
          name: string;
          type: string;
          attributes: object;
          resourceType?: string;
        },
    resourceRef?: string,
  ) => {
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorize(
      [
        {
          permission: permission as any,
          ...(resourceRef ? { resourceRef } : {}),
        } as any,
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`not allowed: ${permission.name}`);
  };
  // The entity a service belongs to: the one it names, else the model-service entity the catalog module generates.
  // Permission rules on catalog entities (e.g. owners) therefore apply to the service.
  const entityRefOf = (isvc: InferenceService, cluster?: string) =>
    entityRefOfService(isvc) ??
    (cluster
      ? `component:${options.entityNamespace ?? 'default'}/${modelServiceEntityName({ cluster, namespace: isvc.metadata.namespace ?? 'default', name: isvc.metadata.name ?? '' })}`
      : undefined);

  const params = (req: express.Request) => {
    const { cluster, namespace, name } = req.params as Record<string, string>;
    for (const [k, v] of Object.entries({ cluster, namespace, name })) {
      if (v !== undefined && (!NAME.test(v) || v.length > 253))
        throw new InputError(`${k}: "${v}" is not a valid Kubernetes name`);
    }
    return { cluster, namespace, name };
  };
  const clusterOf = (name: string) => {
    try {
      return clusters.get(name);
    } catch (e) {
      throw new NotFoundError((e as Error).message);
    }
  };
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ClusterApiError) {
        if (e.code === 404) throw new NotFoundError(e.message);
        if (e.code === 403) throw new NotAllowedError(e.message);
        if (e.code === 409 || e.code === 422 || e.code === 400)
          throw new InputError(e.message);
        throw new ServiceUnavailableError(`cluster ${e.cluster}: ${e.message}`);
      }
      throw e;
    }
  };
  const load = async (cluster: string, namespace: string, name: string) => {
    const isvc = await wrap(() =>
      clusterOf(cluster).get<InferenceService>(
        KINDS.InferenceService,
        namespace,
        name,
      ),
    );
    if (!isvc)
      throw new NotFoundError(
        `InferenceService ${cluster}/${namespace}/${name} not found`,
      );
    return isvc;
  };

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Allowed when the policy allows reading some service: ALLOW, or CONDITIONAL (e.g. "services of entities you own").
  const mayReadSome = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req);
    const [d] = await permissions.authorizeConditional(
      [{ permission: fusioninferServiceReadPermission as any }],
      { credentials },
    );
    if (d.result === AuthorizeResult.DENY)
      throw new NotAllowedError(
        `not allowed: ${fusioninferServiceReadPermission.name}`,
      );
  };

  router.get('/clusters', async (req, res) => {
    await mayReadSome(req);
    res.json({
      items: clusters.list().map(c => ({
        name: c.name,
        title: c.config.title ?? c.name,
        mode: c.config.mode,
        leading: options.reconcilers.get(c.name)?.isLeader ?? false,
      })),
    });
  });

  // Every service in every cluster; one cluster down never blanks the others.
  router.get('/services', async (req, res) => {
    await mayReadSome(req);
    const results = await Promise.all(
      clusters.list().map(async c => {
        try {
          const items = await c.list<InferenceService>(KINDS.InferenceService);
          return {
            items: items.map(i => ({
              cluster: c.name,
              namespace: i.metadata.namespace,
              name: i.metadata.name,
              phase: i.status?.phase,
              replicas: i.status?.replicas,
              readyReplicas: i.status?.readyReplicas,
              entityRef: entityRefOf(i, c.name),
            })),
          };
        } catch (e) {
          return {
            items: [],
            error: { cluster: c.name, message: (e as Error).message },
          };
        }
      }),
    );
    // One batched decision per service, on its entity: a conditional policy (owners) filters the list.
    const all = results.flatMap(r => r.items);
    const credentials = await httpAuth.credentials(req);
    const decisions = all.length
      ? await permissions.authorize(
          all.map(i => ({
            permission: fusioninferServiceReadPermission as any,
            resourceRef: i.entityRef!,
          })),
          { credentials },
        )
      : [];
    res.json({
      items: all.filter(
        (_, i) => decisions[i].result === AuthorizeResult.ALLOW,
      ),
      errors: results.flatMap(r => (r.error ? [r.error] : [])),
    });
  });

  router.get(
    '/clusters/:cluster/namespaces/:namespace/services/:name',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceReadPermission,
        entityRefOf(isvc, cluster),
      );
      res.json(
        await wrap(() =>
          describeService(
            clusterOf(cluster),
            isvc,
            options.reconcilers.get(cluster),
          ),
        ),
      );
    },
  );

  router.get(
    '/clusters/:cluster/namespaces/:namespace/services/:name/children',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceReadPermission,
        entityRefOf(isvc, cluster),
      );
      const rendered = renderInferenceService(isvc, {
        ...(options.render ?? {}),
        namespace,
        ownerUid: isvc.metadata.uid,
      });
      res.json({
        validation: validateInferenceService(isvc),
        summary: rendered.summary,
        children: rendered.children,
      });
    },
  );

  router.get(
    '/clusters/:cluster/namespaces/:namespace/services/:name/diff',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceReadPermission,
        entityRefOf(isvc, cluster),
      );
      const validation = validateInferenceService(isvc);
      if (!validation.valid) {
        res.json({ validation, diff: undefined });
        return;
      }
      const client = clusterOf(cluster);
      const rendered = renderInferenceService(isvc, {
        ...(options.render ?? {}),
        namespace,
        ownerUid: isvc.metadata.uid,
      });
      const live = (
        await wrap(() =>
          Promise.all(
            CHILD_KINDS.map(k =>
              client.list<KubeObject>(
                k,
                namespace,
                `${LABELS.service}=${name}`,
              ),
            ),
          ),
        )
      ).flat();
      res.json({ validation, diff: diffChildren(rendered.children, live) });
    },
  );

  router.get('/entities/:kind/:namespace/:name/services', async (req, res) => {
    const { kind, namespace, name } = req.params as Record<string, string>;
    for (const [k, v] of Object.entries({ kind, namespace, name })) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(v))
        throw new InputError(`${k}: "${v}" is not a valid entity ${k}`);
    }
    const entityRef = `${kind}:${namespace}/${name}`.toLowerCase();
    if (!options.catalog)
      throw new ServiceUnavailableError(
        'the catalog is not available to the fusioninfer backend',
      );
    await authorize(req, fusioninferServiceReadPermission, entityRef);
    const credentials = await httpAuth.credentials(req);
    const entity = await options.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity) throw new NotFoundError(`entity ${entityRef} not found`);
    const errors: Array<{ cluster?: string; message: string }> = [];
    const parsed = parseServiceAnnotation(
      entity.metadata.annotations?.[FUSIONINFER_SERVICE_ANNOTATION],
    );
    errors.push(...parsed.errors.map(message => ({ message })));
    const refs: ServiceRef[] = [...parsed.refs];
    // Services that point at this entity.
    await Promise.all(
      clusters.list().map(async c => {
        try {
          for (const i of await c.list<InferenceService>(
            KINDS.InferenceService,
          )) {
            if (entityRefOfService(i) !== entityRef) continue;
            const ref = {
              cluster: c.name,
              namespace: i.metadata.namespace!,
              name: i.metadata.name!,
            };
            if (
              !refs.some(
                r =>
                  r.cluster === ref.cluster &&
                  r.namespace === ref.namespace &&
                  r.name === ref.name,
              )
            )
              refs.push(ref);
          }
        } catch (e) {
          errors.push({ cluster: c.name, message: (e as Error).message });
        }
      }),
    );
    const items = await Promise.all(
      refs.map(async ref => {
        try {
          const client = clusters.get(ref.cluster);
          const isvc = await client.get<InferenceService>(
            KINDS.InferenceService,
            ref.namespace,
            ref.name,
          );
          if (!isvc) return { ...ref, found: false as const };
          return {
            ...ref,
            found: true as const,
            service: await describeService(
              client,
              isvc,
              options.reconcilers.get(ref.cluster),
            ),
          };
        } catch (e) {
          return { ...ref, found: false as const, error: (e as Error).message };
        }
      }),
    );
    res.json({ entityRef, items, errors });
  });

  if (options.approvals) addApprovalRoutes(router, options.approvals);

  const metrics =
    options.metrics ??
    new MetricsCollector({ logger: options.logger, pollIntervalMs: 0 });
  router.get(
    '/clusters/:cluster/namespaces/:namespace/services/:name/metrics',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceReadPermission,
        entityRefOf(isvc, cluster),
      );
      res.json(await wrap(() => metrics.get(clusterOf(cluster), isvc)));
    },
  );

  router.post(
    '/clusters/:cluster/namespaces/:namespace/services/:name/scale',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const { role, replicas } = req.body ?? {};
      if (typeof role !== 'string' || !role)
        throw new InputError(
          'role: required, the name of a worker, prefiller or decoder role',
        );
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10000)
        throw new InputError(
          'replicas: must be an integer between 0 and 10000',
        );
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceUpdatePermission,
        entityRefOf(isvc, cluster),
      );
      const roles = isvc.spec.roles.map(r => ({ ...r }));
      const target = roles.find(r => r.name === role);
      if (!target)
        throw new InputError(
          `role: "${role}" is not a role of this service (${roles.map(r => r.name).join(', ')})`,
        );
      if (target.componentType === 'router')
        throw new InputError(
          `role: "${role}" is the router; only worker, prefiller and decoder roles scale`,
        );
      target.replicas = replicas;
      const next = { ...isvc, spec: { ...isvc.spec, roles } };
      const validation = validateInferenceService(next);
      if (!validation.valid)
        throw new InputError(
          validation.errors.map(e => `${e.path}: ${e.message}`).join('; '),
        );
      const updated = await wrap(() =>
        clusterOf(cluster).mergePatch<InferenceService>(
          KINDS.InferenceService,
          namespace,
          name,
          {
            metadata: { resourceVersion: isvc.metadata.resourceVersion },
            spec: { roles },
          },
        ),
      );
      res.json({
        name: updated.metadata.name,
        generation: updated.metadata.generation,
        roles: updated.spec.roles.map(r => ({
          name: r.name,
          replicas: r.replicas,
        })),
      });
    },
  );

  router.post(
    '/clusters/:cluster/namespaces/:namespace/services/:name/strategy',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const { strategy } = req.body ?? {};
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceUpdatePermission,
        entityRefOf(isvc, cluster),
      );
      const roles = isvc.spec.roles.map(r => ({ ...r }));
      const routerRole = roles.find(r => r.componentType === 'router');
      if (!routerRole) throw new InputError('this service has no router role');
      routerRole.strategy = strategy;
      const validation = validateInferenceService({
        ...isvc,
        spec: { ...isvc.spec, roles },
      });
      if (!validation.valid)
        throw new InputError(
          validation.errors.map(e => `${e.path}: ${e.message}`).join('; '),
        );
      await wrap(() =>
        clusterOf(cluster).mergePatch(KINDS.InferenceService, namespace, name, {
          metadata: { resourceVersion: isvc.metadata.resourceVersion },
          spec: { roles },
        }),
      );
      res.json({ strategy });
    },
  );

  router.delete(
    '/clusters/:cluster/namespaces/:namespace/services/:name',
    async (req, res) => {
      const { cluster, namespace, name } = params(req);
      const isvc = await load(cluster, namespace, name);
      await authorize(
        req,
        fusioninferServiceDeletePermission,
        entityRefOf(isvc, cluster),
      );
      await wrap(() =>
        clusterOf(cluster).delete(KINDS.InferenceService, namespace, name, {
          uid: isvc.metadata.uid,
        }),
      );
      res.status(202).json({ deleted: `${cluster}/${namespace}/${name}` });
    },
  );

  return router;
}
