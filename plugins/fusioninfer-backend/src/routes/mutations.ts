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
import { InputError } from '@backstage/errors';
import {
  fusioninferRoutes,
  fusioninferServiceCreatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceUpdatePermission,
  InferenceService,
  RenderOptions,
  Role,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterApiError, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ApprovalGate } from '../approvals/gate';
import { applyService } from '../approvals/applyService';
import { reviewManifest } from '../approvals/routes';
import { Access } from './access';
import { ServiceSource } from './data';
import { bindRoute } from './validated';
import { capacityAnswer } from '../capacity';

/** Dependencies of the mutating routes. */
export interface MutationRoutesOptions {
  access: Access;
  source: ServiceSource;
  gate: ApprovalGate;
  render?: RenderOptions;
}

const userOf = (credentials: { principal: unknown }) =>
  (credentials.principal as { userEntityRef?: string; subject?: string })
    .userEntityRef ??
  (credentials.principal as { subject?: string }).subject ??
  'unknown';

/** Scale, strategy, delete and apply: each authorized on the service's entity, GPU growth gated by the policy. */
export function addMutationRoutes(
  router: express.Router,
  o: MutationRoutesOptions,
) {
  const { access, source, gate } = o;
  const r = fusioninferRoutes;
  const wrap = async <T>(cluster: string, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      throw access.clusterError(e, cluster);
    }
  };

  /**
   * Changes the roles of a live service: refuses invalid results, holds growth the policy wants approved (202, nothing
   * changed), otherwise merge-patches `spec.roles` on the version it read.
   */
  const changeRolesOnce = async (
    credentials: BackstageCredentials,
    params: { cluster: string; namespace: string; name: string },
    action: 'scale' | 'update',
    edit: (roles: Role[]) => void,
  ) => {
    const { isvc, entityRef } = await access.loadService(
      source,
      credentials,
      fusioninferServiceUpdatePermission,
      params,
    );
    const roles = isvc.spec.roles.map(x => ({ ...x }));
    edit(roles);
    const next: InferenceService = { ...isvc, spec: { ...isvc.spec, roles } };
    const validation = validateInferenceService(next);
    if (!validation.valid)
      throw new InputError(
        validation.errors.map(e => `${e.path}: ${e.message}`).join('; '),
      );
    const verdict = gate.evaluate({
      cluster: params.cluster,
      namespace: params.namespace,
      next,
      previous: isvc,
    });
    if (verdict.required) {
      const { status: _s, ...manifest } = next;
      const approval = await gate.hold({
        action,
        cluster: params.cluster,
        namespace: params.namespace,
        manifest: {
          ...manifest,
          metadata: {
            name: isvc.metadata.name,
            namespace: isvc.metadata.namespace,
            ...(isvc.metadata.labels ? { labels: isvc.metadata.labels } : {}),
            ...(isvc.metadata.annotations
              ? { annotations: isvc.metadata.annotations }
              : {}),
          },
        } as InferenceService,
        requestedBy: userOf(credentials),
        verdict,
        entityRef,
        options: { baseGeneration: isvc.metadata.generation },
      });
      return {
        held: true as const,
        body: {
          outcome: 'approval-required' as const,
          approval,
          reasons: verdict.reasons,
        },
      };
    }
    const updated = await source
      .client(params.cluster)
      .mergePatch<InferenceService>(
        KINDS.InferenceService,
        params.namespace,
        params.name,
        {
          metadata: { resourceVersion: isvc.metadata.resourceVersion },
          spec: { roles },
        },
      );
    return { held: false as const, updated };
  };

  const changeRoles = async (
    req: express.Request,
    params: { cluster: string; namespace: string; name: string },
    action: 'scale' | 'update',
    edit: (roles: Role[]) => void,
  ) => {
    const credentials = await access.credentials(req);
    // The service's status is written by the reconciler all the time: a write that lost the race is redone on a
    // fresh read (a few times), never forced over somebody else's spec change.
    for (let attempt = 1; ; attempt++) {
      try {
        return await changeRolesOnce(credentials, params, action, edit);
      } catch (e) {
        if (!(e instanceof ClusterApiError && e.code === 409) || attempt >= 4)
          throw access.clusterError(e, params.cluster);
      }
    }
  };
  bindRoute(router, r.scale, async ({ req, params, body }) => {
    const out = await changeRoles(req, params, 'scale', roles => {
      const target = roles.find(x => x.name === body.role);
      if (!target)
        throw new InputError(
          `role: "${body.role}" is not a role of this service (${roles.map(x => x.name).join(', ')})`,
        );
      if (target.componentType === 'router')
        throw new InputError(
          `role: "${body.role}" is the router; only worker, prefiller and decoder roles scale`,
        );
      target.replicas = body.replicas;
    });
    if (out.held) return { status: 202 as const, body: out.body };
    return {
      status: 200 as const,
      body: {
        outcome: 'applied' as const,
        name: out.updated.metadata.name!,
        generation: out.updated.metadata.generation,
        roles: out.updated.spec.roles.map(x => ({
          name: x.name,
          replicas: x.replicas,
        })),
      },
    };
  });

  bindRoute(router, r.setStrategy, async ({ req, params, body }) => {
    const out = await changeRoles(req, params, 'update', roles => {
      const routerRole = roles.find(x => x.componentType === 'router');
      if (!routerRole)
        throw new InputError('strategy: this service has no router role');
      routerRole.strategy = body.strategy;
    });
    if (out.held) return { status: 202 as const, body: out.body };
    return {
      status: 200 as const,
      body: { outcome: 'applied' as const, strategy: body.strategy },
    };
  });

  bindRoute(router, r.deleteService, async ({ req, params }) => {
    const credentials = await access.credentials(req);
    const { isvc } = await access.loadService(
      source,
      credentials,
      fusioninferServiceDeletePermission,
      params,
    );
    await wrap(params.cluster, () =>
      source
        .client(params.cluster)
        .delete(KINDS.InferenceService, params.namespace, params.name, {
          uid: isvc.metadata.uid,
        }),
    );
    return {
      status: 202 as const,
      body: {
        deleted: `${params.cluster}/${params.namespace}/${params.name}`,
      },
    };
  });

  bindRoute(router, r.apply, async ({ req, body }) => {
    const credentials = await access.credentials(req);
    await access.require(credentials, fusioninferServiceCreatePermission);
    const { manifest, validation, entityRef } = await reviewManifest(
      {
        access,
        clusterExists: n => source.clusterNames().includes(n),
        namespaceAllowed: (c, ns) => source.client(c).allowsNamespace(ns),
      },
      credentials,
      body,
    );
    const name = manifest.metadata.name!;
    const client = source.client(body.cluster);
    const live = await wrap(body.cluster, () =>
      client.get<InferenceService>(
        KINDS.InferenceService,
        body.namespace,
        name,
      ),
    );
    // Changing an existing service needs update permission on the entity it belongs to now.
    if (live)
      await access.require(
        credentials,
        fusioninferServiceUpdatePermission,
        access.entityRefOf(live, body.cluster),
      );
    const verdict = gate.evaluate({
      cluster: body.cluster,
      namespace: body.namespace,
      next: manifest,
      previous: live,
    });
    if (body.dryRun)
      return {
        status: 200 as const,
        body: {
          outcome: 'dry-run' as const,
          approvalRequired: verdict.required,
          reasons: verdict.reasons,
          summary: verdict.summary,
          validation,
          ...capacityAnswer(verdict.summary, source.capacity?.(body.cluster)),
        },
      };
    const options = {
      ...(body.children !== undefined ? { children: body.children } : {}),
      ...(body.update !== undefined ? { update: body.update } : {}),
    };
    if (verdict.required) {
      const approval = await gate.hold({
        action: live ? 'update' : 'create',
        cluster: body.cluster,
        namespace: body.namespace,
        manifest,
        requestedBy: userOf(credentials),
        verdict,
        entityRef,
        taskId: body.taskId,
        options,
      });
      return {
        status: 202 as const,
        body: {
          outcome: 'approval-required' as const,
          approval,
          reasons: verdict.reasons,
        },
      };
    }
    const out = await wrap(body.cluster, () =>
      applyService(client, manifest, {
        entityRef,
        entityRefOfLive: x => access.entityRefOf(x, body.cluster),
        render: o.render,
        ...options,
      }),
    );
    return {
      status: 200 as const,
      body: {
        outcome: 'applied' as const,
        created: out.created,
        service: {
          cluster: body.cluster,
          namespace: body.namespace,
          name,
          ...(out.uid ? { uid: out.uid } : {}),
        },
        entityRef,
        ...(out.children ? { children: out.children } : {}),
      },
    };
  });
}
