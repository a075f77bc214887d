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
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ApprovalAction,
  ApprovalPolicy,
  approvalRequired,
  ApprovalStatus,
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferServiceCreatePermission,
  InferenceService,
  renderInferenceService,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ApprovalStore } from './ApprovalStore';

/** Dependencies of the approval routes. */
export interface ApprovalRoutesOptions {
  store: ApprovalStore;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  policy?: ApprovalPolicy;
  /** Let requesters decide their own requests (default false: four eyes). */
  allowSelfApproval?: boolean;
  /** Pending requests expire after this many seconds (default 7 days). */
  ttlSeconds?: number;
  clusterExists(name: string): boolean;
  /** Called after a request is created or decided (notifications). */
  onChange?(
    event: 'created' | 'decided' | 'cancelled',
    approval: import('@fusioninfer/plugin-fusioninfer-common').ApprovalRequest,
  ): void;
}

const STATUSES: ApprovalStatus[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
];
const ACTIONS: ApprovalAction[] = ['create', 'update', 'scale', 'delete'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The review input shared by `check` and `create`: validates the manifest and applies the policy. */
function review(body: any, options: ApprovalRoutesOptions) {
  if (!body || typeof body !== 'object')
    throw new InputError(
      'body: must be a JSON object with cluster, namespace and manifest',
    );
  const { cluster, namespace, manifest } = body;
  if (typeof cluster !== 'string' || !options.clusterExists(cluster))
    throw new InputError(
      `cluster: "${String(cluster)}" is not a configured cluster`,
    );
  if (
    typeof namespace !== 'string' ||
    !DNS_LABEL.test(namespace) ||
    namespace.length > 63
  )
    throw new InputError(
      `namespace: "${String(namespace)}" is not a valid namespace name`,
    );
  const validation = validateInferenceService(manifest);
  if (!validation.valid)
    throw new InputError(
      `manifest: ${validation.errors.map(e => `${e.path}: ${e.message}`).join('; ')}`,
    );
  const isvc = manifest as InferenceService;
  const { summary } = renderInferenceService(isvc, { namespace });
  const check = approvalRequired(
    { cluster, namespace, summary },
    options.policy,
  );
  const compact = {
    gpus: summary.totals.gpus,
    pods: summary.totals.pods,
    roles: summary.roles.map(r => ({
      name: r.name,
      componentType: r.componentType,
      replicas: r.replicas,
      nodesPerReplica: r.nodesPerReplica,
      gpus: Object.values(r.accelerators).reduce((a, b) => a + b, 0),
    })),
  };
  return {
    cluster,
    namespace,
    isvc,
    check,
    summary: compact,
    warnings: validation.warnings,
  };
}

/** Adds `/approvals` routes: list, read, check, create, decide, cancel. */
export function addApprovalRoutes(
  router: express.Router,
  options: ApprovalRoutesOptions,
) {
  const { store, httpAuth, permissions } = options;

  const userOf = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return { credentials, user: credentials.principal.userEntityRef };
  };

  router.post('/approvals/check', async (req, res) => {
    await httpAuth.credentials(req);
    const r = review(req.body, options);
    res.json({
      required: r.check.required,
      reasons: r.check.reasons,
      summary: r.summary,
      warnings: r.warnings,
    });
  });

  router.get('/approvals', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const q = req.query as Record<string, string | undefined>;
    const status = q.status ? q.status.split(',') : undefined;
    if (status?.some(s => !STATUSES.includes(s as ApprovalStatus)))
      throw new InputError(`status: one or more of ${STATUSES.join(', ')}`);
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InputError('limit: an integer between 1 and 500');
    if (!Number.isInteger(offset) || offset < 0)
      throw new InputError('offset: a non-negative integer');
    const [decision] = await permissions.authorizeConditional(
      [{ permission: fusioninferApprovalReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY)
      throw new NotAllowedError(
        `not allowed: ${fusioninferApprovalReadPermission.name}`,
      );
    const page = await store.list({
      status: status as ApprovalStatus[] | undefined,
      cluster: q.cluster,
      namespace: q.namespace,
      name: q.name,
      requestedBy: q.requestedBy,
      limit,
      offset,
    });
    let items = page.items;
    if (decision.result === AuthorizeResult.CONDITIONAL && items.length) {
      // The permission framework resolves the conditions against this plugin's rules (IS_REQUESTER, HAS_NAMESPACE...).
      const per = await permissions.authorize(
        items.map(i => ({
          permission: fusioninferApprovalReadPermission,
          resourceRef: i.id,
        })),
        { credentials },
      );
      items = items.filter((_, i) => per[i].result === AuthorizeResult.ALLOW);
    }
    res.json({
      items,
      totalCount:
        decision.result === AuthorizeResult.ALLOW ? page.totalCount : undefined,
      limit,
      offset,
    });
  });

  router.get('/approvals/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const id = req.params.id;
    if (!UUID.test(id))
      throw new InputError(`id: "${id}" is not an approval request id`);
    const [d] = await permissions.authorize(
      [{ permission: fusioninferApprovalReadPermission, resourceRef: id }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        `not allowed: ${fusioninferApprovalReadPermission.name}`,
      );
    const a = await store.get(id);
    if (!a) throw new NotFoundError(`approval request ${id} not found`);
    res.json(a);
  });

  router.post('/approvals', async (req, res) => {
    const { credentials, user } = await userOf(req);
    const [d] = await permissions.authorize(
      [{ permission: fusioninferServiceCreatePermission }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        `not allowed: ${fusioninferServiceCreatePermission.name}`,
      );
    const r = review(req.body, options);
    const action = req.body.action ?? 'create';
    if (!ACTIONS.includes(action))
      throw new InputError(`action: one of ${ACTIONS.join(', ')}`);
    if (
      req.body.taskId !== undefined &&
      (typeof req.body.taskId !== 'string' || req.body.taskId.length > 255)
    )
      throw new InputError('taskId: a string of at most 255 characters');
    if (
      req.body.entityRef !== undefined &&
      (typeof req.body.entityRef !== 'string' ||
        req.body.entityRef.length > 512)
    )
      throw new InputError('entityRef: an entity reference');
    const created = await store.add({
      action,
      cluster: r.cluster,
      namespace: r.namespace,
      name: r.isvc.metadata.name!,
      entityRef: req.body.entityRef,
      requestedBy: user,
      reasons: r.check.required
        ? r.check.reasons
        : [`requested by ${user} (policy does not require approval)`],
      summary: r.summary,
      manifest: r.isvc,
      ttlSeconds: options.ttlSeconds ?? 7 * 24 * 3600,
      taskId: req.body.taskId,
    });
    options.onChange?.('created', created);
    res.status(201).json(created);
  });

  router.post('/approvals/:id/decision', async (req, res) => {
    const { credentials, user } = await userOf(req);
    const id = req.params.id;
    if (!UUID.test(id))
      throw new InputError(`id: "${id}" is not an approval request id`);
    const { approve, comment } = req.body ?? {};
    if (typeof approve !== 'boolean')
      throw new InputError(
        'approve: required, true to approve or false to reject',
      );
    if (
      comment !== undefined &&
      (typeof comment !== 'string' || comment.length > 2000)
    )
      throw new InputError('comment: a string of at most 2000 characters');
    const [d] = await permissions.authorize(
      [{ permission: fusioninferApprovalDecidePermission, resourceRef: id }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        `not allowed: ${fusioninferApprovalDecidePermission.name}`,
      );
    const current = await store.get(id);
    if (!current) throw new NotFoundError(`approval request ${id} not found`);
    if (!options.allowSelfApproval && current.requestedBy === user)
      throw new NotAllowedError(
        'requesters cannot decide their own approval requests (four eyes; fusioninfer.approvals.allowSelfApproval)',
      );
    const decided = await store.decide(id, { approve, by: user, comment });
    options.onChange?.('decided', decided);
    res.json(decided);
  });

  router.post('/approvals/:id/cancel', async (req, res) => {
    const { user } = await userOf(req);
    const id = req.params.id;
    if (!UUID.test(id))
      throw new InputError(`id: "${id}" is not an approval request id`);
    const current = await store.get(id);
    if (!current) throw new NotFoundError(`approval request ${id} not found`);
    if (current.requestedBy !== user)
      throw new NotAllowedError(
        'only the requester can cancel an approval request',
      );
    const cancelled = await store.cancel(id, user);
    options.onChange?.('cancelled', cancelled);
    res.json(cancelled);
  });
}
