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
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  ClusterCapacity,
  ApprovalStatus,
  entityRefOfService,
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferRoutes,
  fusioninferServiceCreatePermission,
  fusioninferServiceUpdatePermission,
  InferenceService,
  normalizeEntityRef,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../routes/access';
import { bindRoute } from '../routes/validated';
import { ApprovalStore } from './ApprovalStore';
import { ApprovalGate } from './gate';
import { normalizeManifest } from './applyService';
import { capacityAnswer } from '../capacity';
import { ApprovalQueryCriteria, approvalPermissionRules } from './rules';

/** Dependencies of the approval routes. */
export interface ApprovalRoutesOptions {
  store: ApprovalStore;
  gate: ApprovalGate;
  access: Access;
  /** Let requesters decide their own requests (default false: four eyes). */
  allowSelfApproval?: boolean;
  clusterExists(name: string): boolean;
  /** Whether `fusioninfer.clusters[].namespaces` lets the plugin manage this namespace (default: yes). */
  namespaceAllowed?(cluster: string, namespace: string): boolean;
  /** GPU capacity of a cluster now, for `/approvals/check` (absent or undefined: unknown). */
  capacity?(cluster: string): ClusterCapacity | undefined;
}

const transformConditions = createConditionTransformer(
  Object.values(approvalPermissionRules),
);

/**
 * Validates a manifest for a cluster and namespace and resolves the entity it belongs to. Shared by
 * `/approvals/check`, `/approvals` and `/apply`: the namespace of the request and of the manifest are one, and the
 * entity ref comes from the manifest (`backstage.io/entity-ref`) or is one the caller may update.
 */
export async function reviewManifest(
  o: {
    access: Access;
    clusterExists(name: string): boolean;
    namespaceAllowed?(cluster: string, namespace: string): boolean;
  },
  credentials: Parameters<Access['require']>[0],
  input: {
    cluster: string;
    namespace: string;
    manifest: Record<string, unknown>;
    entityRef?: string;
  },
) {
  if (!o.clusterExists(input.cluster))
    throw new InputError(
      `cluster: "${input.cluster}" is not a configured cluster`,
    );
  if (o.namespaceAllowed && !o.namespaceAllowed(input.cluster, input.namespace))
    throw new InputError(
      `namespace: "${input.namespace}" is not managed in cluster ${input.cluster} (fusioninfer.clusters[].namespaces)`,
    );
  const named = entityRefOfService(
    input.manifest as unknown as InferenceService,
  );
  let requested: string | undefined;
  if (input.entityRef !== undefined) {
    requested = normalizeEntityRef(input.entityRef);
    if (!requested)
      throw new InputError(
        `entityRef: "${input.entityRef}" is not an entity reference`,
      );
    if (named && named !== requested)
      throw new InputError(
        `entityRef: "${requested}" differs from the manifest's backstage.io/entity-ref "${named}"`,
      );
  }
  const manifest = normalizeManifest(
    input.manifest,
    input.namespace,
    named ? undefined : requested,
  );
  const validation = validateInferenceService(manifest);
  if (!validation.valid)
    throw new InputError(
      `manifest: ${validation.errors.map(e => `${e.path}: ${e.message}`).join('; ')}`,
    );
  // A chosen entity (not named by the manifest) must be one the caller may manage services of.
  if (requested && !named)
    await o.access.require(
      credentials,
      fusioninferServiceUpdatePermission,
      requested,
    );
  return {
    manifest,
    validation,
    entityRef: o.access.entityRefOf(manifest, input.cluster),
  };
}

/** Adds `/approvals` routes: check, create, list, read, decide, cancel. */
export function addApprovalRoutes(
  router: express.Router,
  options: ApprovalRoutesOptions,
) {
  const { store, gate, access } = options;
  const r = fusioninferRoutes;

  bindRoute(router, r.checkApproval, async ({ req, body }) => {
    const credentials = await access.credentials(req);
    await access.require(credentials, fusioninferServiceCreatePermission);
    const { manifest, validation } = await reviewManifest(
      options,
      credentials,
      body,
    );
    const verdict = gate.evaluate({
      cluster: body.cluster,
      namespace: body.namespace,
      next: manifest,
    });
    return {
      status: 200 as const,
      body: {
        required: verdict.required,
        reasons: verdict.reasons,
        summary: verdict.summary,
        warnings: validation.warnings,
        ...capacityAnswer(verdict.summary, options.capacity?.(body.cluster)),
      },
    };
  });

  bindRoute(router, r.createApproval, async ({ req, body }) => {
    const credentials = await access.userCredentials(req);
    const user = credentials.principal.userEntityRef;
    await access.require(credentials, fusioninferServiceCreatePermission);
    const { manifest, entityRef } = await reviewManifest(
      options,
      credentials,
      body,
    );
    const verdict = gate.evaluate({
      cluster: body.cluster,
      namespace: body.namespace,
      next: manifest,
    });
    const created = await gate.hold({
      action: body.action ?? 'create',
      cluster: body.cluster,
      namespace: body.namespace,
      manifest,
      requestedBy: user,
      verdict: verdict.required
        ? verdict
        : {
            ...verdict,
            reasons: [
              `requested by ${user} (policy does not require approval)`,
            ],
          },
      entityRef,
      taskId: body.taskId,
      options: {
        ...(body.children !== undefined ? { children: body.children } : {}),
        ...(body.update !== undefined ? { update: body.update } : {}),
      },
    });
    return { status: 201 as const, body: created };
  });

  bindRoute(router, r.listApprovals, async ({ req, query }) => {
    const credentials = await access.credentials(req);
    const decision = await access.requireSome(
      credentials,
      fusioninferApprovalReadPermission,
    );
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const page = await store.list({
      status: query.status?.split(',') as ApprovalStatus[] | undefined,
      cluster: query.cluster,
      namespace: query.namespace,
      name: query.name,
      requestedBy: query.requestedBy,
      limit,
      offset,
      // Conditions become part of the query: pages stay full and the total is exact.
      filter:
        decision.result === AuthorizeResult.CONDITIONAL
          ? (transformConditions(
              decision.conditions,
            ) as PermissionCriteria<ApprovalQueryCriteria>)
          : undefined,
    });
    return {
      status: 200 as const,
      body: { items: page.items, totalCount: page.totalCount, limit, offset },
    };
  });

  bindRoute(router, r.getApproval, async ({ req, params }) => {
    const credentials = await access.credentials(req);
    await access.require(
      credentials,
      fusioninferApprovalReadPermission,
      params.id,
    );
    const a = await store.get(params.id);
    if (!a) throw new NotFoundError(`approval request ${params.id} not found`);
    return { status: 200 as const, body: a };
  });

  bindRoute(router, r.decideApproval, async ({ req, params, body }) => {
    const credentials = await access.userCredentials(req);
    const user = credentials.principal.userEntityRef;
    await access.require(
      credentials,
      fusioninferApprovalDecidePermission,
      params.id,
    );
    const current = await store.get(params.id);
    if (!current)
      throw new NotFoundError(`approval request ${params.id} not found`);
    if (!options.allowSelfApproval && current.requestedBy === user)
      throw new NotAllowedError(
        'requesters cannot decide their own approval requests (four eyes; fusioninfer.approvals.allowSelfApproval)',
      );
    const decided = await store.decide(params.id, {
      approve: body.approve,
      by: user,
      comment: body.comment,
    });
    gate.notify('decided', decided);
    // Approved: apply exactly the stored manifest, once (the claim is atomic; a restart picks it up otherwise).
    const executed =
      decided.status === 'approved'
        ? await gate.execute(decided.id)
        : undefined;
    return { status: 200 as const, body: executed ?? decided };
  });

  bindRoute(router, r.cancelApproval, async ({ req, params }) => {
    const credentials = await access.userCredentials(req);
    const user = credentials.principal.userEntityRef;
    const current = await store.get(params.id);
    if (!current)
      throw new NotFoundError(`approval request ${params.id} not found`);
    if (current.requestedBy !== user)
      throw new NotAllowedError(
        'only the requester can cancel an approval request',
      );
    const cancelled = await store.cancel(params.id, user);
    gate.notify('cancelled', cancelled);
    return { status: 200 as const, body: cancelled };
  });
}
