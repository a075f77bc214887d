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
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  ClusterCapacity,
  ApprovalStatus,
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferRoutes,
  fusioninferServiceCreatePermission,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ApprovalStore } from '../approvals/ApprovalStore';
import { ApprovalGate } from '../approvals/gate';
import {
  ApprovalQueryCriteria,
  approvalPermissionRules,
} from '../approvals/rules';
import { Access } from '../auth/access';
import { reviewManifest } from '../changes/manifest';
import { callerOf } from '../changes/operations';
import { policyBody } from '../changes/policyBody';
import { ChangeRequest, ServiceWriter } from '../changes/ServiceWriter';
import { approvalSummaryOf } from '../changes/summary';
import { capacityAnswer } from '../views/capacity';
import { PreflightOf } from '../views/preflight';
import { bindRoute } from './validated';

/** Dependencies of the approval routes. */
export interface ApprovalRoutesOptions {
  store: ApprovalStore;
  gate: ApprovalGate;
  access: Access;
  /** Let requesters decide their own requests (default false: four eyes). */
  allowSelfApproval?: boolean;
  /** How long after the decision a failed execution may be run again (default 7 days: the approvals' ttl). */
  retryWindowMs?: number;
  clusterExists(name: string): boolean;
  /** The one writer (review of rights and policy). */
  writer: ServiceWriter;
  /** GPU capacity of a cluster now, for `/approvals/check` (absent or undefined: unknown). */
  capacity?(cluster: string): ClusterCapacity | undefined;
  /** The pre-flight of `/approvals/check` and of a request's page (absent: none). */
  preflight?: PreflightOf;
}

const transformConditions = createConditionTransformer(
  Object.values(approvalPermissionRules),
);

/** Adds `/approvals` routes: check, create, list, read, decide, cancel. */
export function addApprovalRoutes(
  router: express.Router,
  options: ApprovalRoutesOptions,
) {
  const { store, gate, access, writer } = options;
  const r = fusioninferRoutes;
  const wrap = async <T>(cluster: string, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      throw access.clusterError(e, cluster);
    }
  };

  bindRoute(router, r.checkApproval, async ({ req, body }) => {
    const credentials = await access.credentials(req);
    await access.require(
      credentials,
      fusioninferServiceCreatePermission,
      `${body.cluster}/${body.namespace}`,
    );
    const { manifest, validation } = reviewManifest(options, body);
    const change: ChangeRequest = {
      cluster: body.cluster,
      namespace: body.namespace,
      name: manifest.metadata.name!,
      kind: 'apply',
      manifest,
    };
    const review = await wrap(body.cluster, () =>
      writer.review(callerOf(credentials), change),
    );
    const summary = approvalSummaryOf(manifest, body.namespace);
    const { verdict } = review;
    return {
      status: 200 as const,
      body: {
        required: verdict.allowed && verdict.approvalRequired,
        reasons: verdict.allowed
          ? verdict.reasons
          : verdict.denials.map(d => `refused: ${d.field}: ${d.message}`),
        summary,
        warnings: validation.warnings,
        policy: policyBody(review),
        ...capacityAnswer(summary, options.capacity?.(body.cluster)),
        ...(options.preflight
          ? {
              preflight: await options.preflight(body.cluster, manifest, {
                namespace: body.namespace,
                name: change.name,
              }),
            }
          : {}),
      },
    };
  });

  bindRoute(router, r.createApproval, async ({ req, body }) => {
    const credentials = await access.userCredentials(req);
    const caller = callerOf(credentials);
    await access.require(
      credentials,
      fusioninferServiceCreatePermission,
      `${body.cluster}/${body.namespace}`,
    );
    const { manifest } = reviewManifest(options, body);
    // The action comes from what exists, never from the body: "delete" asks to delete the live service, anything
    // else to apply the manifest (create when absent, update when present), with the rights each needs.
    const change: ChangeRequest = {
      cluster: body.cluster,
      namespace: body.namespace,
      name: manifest.metadata.name!,
      kind: body.action === 'delete' ? 'delete' : 'apply',
      ...(body.action === 'delete' ? {} : { manifest }),
    };
    const review = await wrap(body.cluster, () =>
      writer.review(caller, change),
    );
    if (change.kind === 'delete' && !review.live)
      throw new NotFoundError(
        `InferenceService ${body.cluster}/${body.namespace}/${change.name} not found`,
      );
    ServiceWriter.assertAllowed(review);
    const created = await gate.holdChange(review, change, {
      requestedBy: caller.user,
      taskId: body.taskId,
      options: {
        ...(body.children !== undefined ? { children: body.children } : {}),
        ...(body.update !== undefined ? { update: body.update } : {}),
      },
      reasons: review.verdict.approvalRequired
        ? review.verdict.reasons
        : [`requested by ${caller.user} (policy does not require approval)`],
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
    // The page shows whether the held manifest would start and fit now (only while a decision is still to make).
    if (a.status === 'pending' && a.manifest !== undefined && options.preflight)
      return {
        status: 200 as const,
        body: {
          ...a,
          preflight: await options.preflight(a.cluster, a.manifest, {
            namespace: a.namespace,
            name: a.name,
          }),
        },
      };
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

  bindRoute(router, r.retryApproval, async ({ req, params }) => {
    const credentials = await access.userCredentials(req);
    await access.require(
      credentials,
      fusioninferApprovalDecidePermission,
      params.id,
    );
    const current = await store.get(params.id);
    if (!current)
      throw new NotFoundError(`approval request ${params.id} not found`);
    // Valid for as long as a pending request would be, counted from the decision.
    const validFor = options.retryWindowMs ?? 7 * 24 * 3_600_000;
    if (
      current.status !== 'approved' ||
      current.execution?.state !== 'failed' ||
      !(await store.reopenFailed(params.id, new Date(Date.now() - validFor)))
    )
      throw new ConflictError(
        `approval request ${params.id} is not an approved request whose execution failed within the approval's validity; nothing to run again`,
      );
    const executed = await gate.execute(params.id);
    return { status: 200 as const, body: executed ?? current };
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
