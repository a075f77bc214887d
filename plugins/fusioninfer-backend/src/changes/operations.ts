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

import { ConflictError, InputError } from '@backstage/errors';
import {
  ApplyRequest,
  ApprovalRequest,
  fusioninferRoutes,
  fusioninferServiceCreatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceUpdatePermission,
  InferenceService,
  Role,
  RolloutRequest,
  ROLLOUT_ANNOTATION,
  ScaleRequest,
  StrategyRequest,
  validateInferenceService,
  withRolloutPaused,
  applyCanaryCommand,
  CANARY_ANNOTATION,
  CANARY_STATUS_ANNOTATION,
  CanaryRequest,
  CanaryStatus,
  readCanaryPolicy,
  readCanaryStatus,
  serializeCanaryStatus,
  workloadRevision,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterApiError } from '@fusioninfer/plugin-fusioninfer-node';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Access } from '../auth/access';
import { RouteReply } from '../contract/parse';
import { capacityAnswer } from '../views/capacity';
import { PreflightOf } from '../views/preflight';
import { ServiceSource } from '../views/ServiceSource';
import { reviewManifest } from './manifest';
import { policyBody } from './policyBody';
import {
  Caller,
  ChangeReview,
  ChangeRequest,
  ServiceWriter,
} from './ServiceWriter';
import { approvalSummaryOf } from './summary';

/**
 * What the change operations need: permission checks, the data source, the approval gate (for held changes) and the
 * one writer. Shared by the REST routes (`http/mutations.ts`) and the registered actions (`actions/`).
 */
export interface ChangeOperationsDeps {
  access: Access;
  source: ServiceSource;
  gate: ApprovalHold;
  writer: ServiceWriter;
  /** The pre-flight a dry run answers with (absent: none). */
  preflight?: PreflightOf;
}

/** The caller of a request: its user entity ref (or, for a service principal, its subject). */
export function callerOf(credentials: BackstageCredentials): Caller {
  const p = credentials.principal as {
    userEntityRef?: string;
    subject?: string;
  };
  return {
    kind: 'credentials',
    credentials,
    user: p.userEntityRef ?? p.subject ?? 'unknown',
  };
}

/** What a held change is filed with (the approval request's requester, task, apply options and reasons). */
export interface HoldInput {
  requestedBy: string;
  taskId?: string;
  options?: { children?: boolean; update?: boolean };
  reasons?: string[];
}

/**
 * Where a change the policy holds goes: the approval gate (`approvals/gate.ts`) files it — bound to the manifest's
 * SHA-256, the live UID it was made against and the policy's verdict — and answers the stored request. Declared here
 * so that the operations below need not know the approvals layer, which itself executes through this writer.
 */
export interface ApprovalHold {
  holdChange(
    review: ChangeReview,
    change: ChangeRequest,
    input: HoldInput,
  ): Promise<ApprovalRequest>;
}

type ServiceParams = { cluster: string; namespace: string; name: string };

/** Maps an error of a cluster to the caller-safe error the routes answer (generic 503, details in the log). */
async function clusterCall<T>(
  access: Access,
  cluster: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw access.clusterError(e, cluster);
  }
}

/** An edit of a live service's copy: its roles, or (rollout) its annotations. */
type Edit = (roles: Role[], annotations: Record<string, string>) => void;

/**
 * Changes the roles (or the rollout annotation) of a live service through the writer: refuses invalid results and
 * what the policy refuses, holds what it wants approved (202, nothing changed), otherwise merge-patches `spec.roles`
 * (or the annotation) on the version read.
 */
async function changeRolesOnce(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  kind: 'scale' | 'strategy' | 'rollout' | 'canary',
  edit: Edit,
  extra: Pick<ChangeRequest, 'canaryCommand'> = {},
) {
  const { access, source, gate, writer } = o;
  const { isvc } = await access.loadService(
    source,
    credentials,
    fusioninferServiceUpdatePermission,
    params,
  );
  const roles = isvc.spec.roles.map(x => ({ ...x }));
  const annotations = { ...(isvc.metadata.annotations ?? {}) };
  edit(roles, annotations);
  const { status: _s, ...rest } = isvc as InferenceService & {
    status?: unknown;
  };
  const next: InferenceService = {
    ...rest,
    metadata: {
      name: isvc.metadata.name,
      namespace: isvc.metadata.namespace,
      ...(isvc.metadata.labels ? { labels: isvc.metadata.labels } : {}),
      ...(isvc.metadata.annotations || Object.keys(annotations).length
        ? { annotations }
        : {}),
    },
    spec: { ...isvc.spec, roles },
  };
  const validation = validateInferenceService(next);
  if (!validation.valid)
    throw new InputError(
      validation.errors.map(e => `${e.path}: ${e.message}`).join('; '),
    );
  const caller = callerOf(credentials);
  // The patch applies only onto the version the edit was computed from (a newer one is a 409, redone on a fresh read).
  const change: ChangeRequest = {
    ...params,
    kind,
    manifest: next,
    resourceVersion: isvc.metadata.resourceVersion,
    ...extra,
  };
  const review = await writer.review(caller, change);
  ServiceWriter.assertAllowed(review);
  if (review.verdict.approvalRequired) {
    const approval = await gate.holdChange(review, change, {
      requestedBy: caller.user,
    });
    return {
      held: true as const,
      body: {
        outcome: 'approval-required' as const,
        approval,
        reasons: review.verdict.reasons,
      },
    };
  }
  const updated = await writer.write(review, change);
  return { held: false as const, updated };
}

async function changeRoles(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  kind: 'scale' | 'strategy' | 'rollout' | 'canary',
  edit: Edit,
  extra: Pick<ChangeRequest, 'canaryCommand'> = {},
) {
  // The service's status is written by the reconciler all the time: a write that lost the race is redone on a
  // fresh read (a few times), never forced over somebody else's spec change.
  for (let attempt = 1; ; attempt++) {
    try {
      return await changeRolesOnce(o, credentials, params, kind, edit, extra);
    } catch (e) {
      if (!(e instanceof ClusterApiError && e.code === 409) || attempt >= 4)
        throw o.access.clusterError(e, params.cluster);
    }
  }
}

/**
 * `POST …/scale` for a caller (the route and the `scale-role` action): `service.update` on the service's entity,
 * then the writer; 202 with the approval request when the policy holds the change (nothing changed).
 */
export async function scaleServiceRole(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  body: ScaleRequest,
): Promise<RouteReply<typeof fusioninferRoutes.scale>> {
  const out = await changeRoles(o, credentials, params, 'scale', roles => {
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
      name: params.name,
      generation: out.updated.generation,
      roles: out.updated.roles ?? [],
    },
  };
}

/** `POST …/strategy` for a caller (the route and the `set-strategy` action). */
export async function setServiceStrategy(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  body: StrategyRequest,
): Promise<RouteReply<typeof fusioninferRoutes.setStrategy>> {
  const out = await changeRoles(o, credentials, params, 'strategy', roles => {
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
}

/**
 * `POST …/rollout` for a caller (the route and the `set-rollout-paused` action): sets `paused` for one workload role
 * in the annotation `fusioninfer.io/rollout` (the rest of it kept as written) through the writer, as scale does —
 * `service.update` on the service's entity, the policy, 202 when it holds the change. The reconciler's rollout gate
 * reads the annotation at its next pass: a paused role moves no further replica, a resumed one goes on.
 */
export async function setServiceRolloutPaused(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  body: RolloutRequest,
): Promise<RouteReply<typeof fusioninferRoutes.setRollout>> {
  let annotation = '';
  const out = await changeRoles(
    o,
    credentials,
    params,
    'rollout',
    (roles, annotations) => {
      const target = roles.find(x => x.name === body.role);
      if (!target)
        throw new InputError(
          `role: "${body.role}" is not a role of this service (${roles.map(x => x.name).join(', ')})`,
        );
      if (target.componentType === 'router')
        throw new InputError(
          `role: "${body.role}" is the router; only worker, prefiller and decoder roles roll out`,
        );
      const set = withRolloutPaused(
        { metadata: { annotations }, spec: { roles } },
        body.role,
        body.paused,
      );
      if ('error' in set) throw new InputError(set.error);
      annotation = set.annotation;
      annotations[ROLLOUT_ANNOTATION] = annotation;
    },
  );
  if (out.held) return { status: 202 as const, body: out.body };
  return {
    status: 200 as const,
    body: {
      outcome: 'applied' as const,
      role: body.role,
      paused: body.paused,
      annotation,
    },
  };
}

/**
 * `POST …/canary` for a caller (the route, the tab's buttons and the `canary` action): applies the command to the
 * canary state of the service's current revision (common's `applyCanaryCommand`) and writes only the annotation
 * `fusioninfer.io/canary-status` through the writer, as Pause and Resume of a rollout do — `service.update` on the
 * service's entity, the policy, 202 when it holds the change. The reconciler renders the new weight at once (a
 * rollback sends all traffic to the stable pool with one HTTPRoute write); the canary controller goes on from there.
 */
export async function setServiceCanary(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
  body: CanaryRequest,
): Promise<RouteReply<typeof fusioninferRoutes.setCanary>> {
  let after: CanaryStatus | undefined;
  const by = callerOf(credentials).user;
  const out = await changeRoles(
    o,
    credentials,
    params,
    'canary',
    (roles, annotations) => {
      const isvc = { metadata: { annotations }, spec: { roles } };
      if (!readCanaryPolicy(isvc).policy)
        throw new InputError(
          `the service has no canary policy (the annotation ${CANARY_ANNOTATION})`,
        );
      const r = applyCanaryCommand(
        readCanaryStatus(isvc),
        workloadRevision(isvc),
        body.action,
        by,
        Date.now(),
      );
      if ('error' in r) throw new ConflictError(`${body.action}: ${r.error}`);
      after = r.status;
      annotations[CANARY_STATUS_ANNOTATION] = serializeCanaryStatus(r.status);
    },
    { canaryCommand: { action: body.action, by } },
  );
  if (out.held) return { status: 202 as const, body: out.body };
  return {
    status: 200 as const,
    body: {
      outcome: 'applied' as const,
      action: body.action,
      phase: after!.phase,
      weight: after!.weight,
    },
  };
}

/** `DELETE …/services/:name` for a caller (the route and the `delete-service` action). */
export async function deleteServiceAs(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  params: ServiceParams,
): Promise<RouteReply<typeof fusioninferRoutes.deleteService>> {
  const { access, source, writer } = o;
  await access.loadService(
    source,
    credentials,
    fusioninferServiceDeletePermission,
    params,
  );
  const change: ChangeRequest = { ...params, kind: 'delete' };
  await clusterCall(access, params.cluster, async () =>
    writer.write(await writer.review(callerOf(credentials), change), change),
  );
  return {
    status: 202 as const,
    body: {
      deleted: `${params.cluster}/${params.namespace}/${params.name}`,
    },
  };
}

/**
 * `POST /apply` for a caller (the route, and the `apply-service` and `dry-run` actions): authorized on the place
 * before anything is loaded, validated, reviewed by the writer; a dry run answers the review, otherwise the change
 * is held for approval (202) or written.
 */
export async function applyServiceManifest(
  o: ChangeOperationsDeps,
  credentials: BackstageCredentials,
  body: ApplyRequest,
): Promise<RouteReply<typeof fusioninferRoutes.apply>> {
  const { access, source, gate, writer } = o;
  // Authorized on the place before anything is loaded; the writer then checks the entities involved.
  await access.require(
    credentials,
    fusioninferServiceCreatePermission,
    `${body.cluster}/${body.namespace}`,
  );
  const { manifest, validation } = reviewManifest(
    { clusterExists: n => source.clusterNames().includes(n) },
    body,
  );
  const name = manifest.metadata.name!;
  const caller = callerOf(credentials);
  const change: ChangeRequest = {
    cluster: body.cluster,
    namespace: body.namespace,
    name,
    kind: 'apply',
    manifest,
  };
  const review = await clusterCall(access, body.cluster, () =>
    writer.review(caller, change),
  );
  const { verdict } = review;
  if (body.dryRun)
    return {
      status: 200 as const,
      body: {
        outcome: 'dry-run' as const,
        approvalRequired: verdict.allowed && verdict.approvalRequired,
        reasons: verdict.allowed
          ? verdict.reasons
          : verdict.denials.map(d => `refused: ${d.field}: ${d.message}`),
        summary: approvalSummaryOf(manifest, body.namespace),
        validation,
        policy: policyBody(review),
        ...capacityAnswer(
          approvalSummaryOf(manifest, body.namespace),
          source.capacity?.(body.cluster),
        ),
        ...(o.preflight
          ? {
              preflight: await o.preflight(body.cluster, manifest, {
                namespace: body.namespace,
                name,
              }),
            }
          : {}),
      },
    };
  ServiceWriter.assertAllowed(review);
  const options = {
    ...(body.children !== undefined ? { children: body.children } : {}),
    ...(body.update !== undefined ? { update: body.update } : {}),
  };
  if (verdict.approvalRequired) {
    const approval = await gate.holdChange(review, change, {
      requestedBy: caller.user,
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
  const out = await clusterCall(access, body.cluster, () =>
    writer.write(review, change, options),
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
      entityRef: review.entityRef,
      ...(out.children ? { children: out.children } : {}),
    },
  };
}
