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

import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ApprovalPolicy,
  ApprovalRequest,
} from '@fusioninfer/plugin-fusioninfer-common';
import { AUTOSCALER_REQUESTER } from '../changes/ServiceWriter';

/** Reads `fusioninfer.approvals` (undefined policy: approval only when requested explicitly). */
export function readApprovalPolicy(config: Config): ApprovalPolicy | undefined {
  const c = config.getOptionalConfig('fusioninfer.approvals');
  if (!c) return undefined;
  return {
    always: c.getOptionalBoolean('always'),
    maxGpusWithoutApproval: c.getOptionalNumber('maxGpusWithoutApproval'),
    maxPodsWithoutApproval: c.getOptionalNumber('maxPodsWithoutApproval'),
    namespaces: c.getOptionalStringArray('namespaces'),
    clusters: c.getOptionalStringArray('clusters'),
  };
}

/** Entity refs notified of new approval requests (`fusioninfer.approvals.approvers`). */
export function readApprovers(config: Config): string[] {
  return config.getOptionalStringArray('fusioninfer.approvals.approvers') ?? [];
}

/** Sends the notification of an approval event; a notification failure is logged, never fatal. */
export function notifyApproval(
  notifications: NotificationService | undefined,
  logger: LoggerService,
  approvers: string[],
  event: 'created' | 'decided' | 'cancelled' | 'executed',
  a: ApprovalRequest,
): void {
  if (!notifications) return;
  const target = `${a.cluster}/${a.namespace}/${a.name}`;
  // The autoscaler is no entity: what happens to its requests goes to the service's entity (its owners) instead.
  const requester =
    a.requestedBy === AUTOSCALER_REQUESTER ? a.entityRef : a.requestedBy;
  const link = `/fusioninfer/approvals/${a.id}`;
  let send: Promise<void> | undefined;
  if (event === 'created') {
    const recipients = [...approvers, ...(a.entityRef ? [a.entityRef] : [])];
    if (recipients.length) {
      send = notifications.send({
        recipients: {
          type: 'entity',
          entityRef: recipients,
          excludeEntityRef: a.requestedBy,
        },
        payload: {
          title: `Approval requested: ${a.action} ${target}`,
          description: `${a.requestedBy} asks to ${a.action} ${target}${a.summary ? ` (${a.summary.gpus} GPUs, ${a.summary.pods} pods)` : ''}. ${a.reasons.join('; ')}`,
          link,
          severity: 'high',
          topic: 'fusioninfer-approval',
          scope: `fusioninfer-approval:${a.id}`,
        },
      });
    }
  } else if (event === 'decided' && requester) {
    send = notifications.send({
      recipients: { type: 'entity', entityRef: requester },
      payload: {
        title: `${a.status === 'approved' ? 'Approved' : 'Rejected'}: ${a.action} ${target}`,
        description: `${a.decidedBy} ${a.status} ${a.requestedBy === AUTOSCALER_REQUESTER ? "the autoscaler's" : 'your'} request${a.comment ? `: ${a.comment}` : '.'}`,
        link,
        severity: a.status === 'approved' ? 'normal' : 'high',
        topic: 'fusioninfer-approval',
        scope: `fusioninfer-approval:${a.id}`,
      },
    });
  } else if (event === 'executed' && a.execution && requester) {
    const ok = a.execution.state === 'applied';
    send = notifications.send({
      recipients: { type: 'entity', entityRef: requester },
      payload: {
        title: `${ok ? 'Applied' : 'Failed to apply'}: ${a.action} ${target}`,
        description: `${a.execution.message ?? (ok ? 'The approved manifest was applied.' : 'The approved manifest was not applied.')}`,
        link,
        severity: ok ? 'normal' : 'high',
        topic: 'fusioninfer-approval',
        scope: `fusioninfer-approval:${a.id}`,
      },
    });
  }
  send?.catch(e =>
    logger.warn(
      `could not send the approval notification for ${a.id}: ${(e as Error).message}`,
    ),
  );
}
