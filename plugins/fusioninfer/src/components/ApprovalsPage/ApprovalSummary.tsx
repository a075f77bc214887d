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

/* The head of an approval request: what and where, its status, who asked and when, and the notices that need action. */

import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { ApprovalRequest } from '@fusioninfer/plugin-fusioninfer-common';
import { FindingList } from '../PolicyVerdict';
import { RaiseQuota } from './RaiseQuota';

const STATUS_COLOR = {
  pending: 'warning',
  approved: 'success',
  rejected: 'error',
  expired: 'default',
  cancelled: 'default',
} as const;

export function ApprovalStatusChip(props: {
  status: ApprovalRequest['status'];
}) {
  return (
    <Chip
      size="small"
      label={props.status}
      color={STATUS_COLOR[props.status]}
    />
  );
}

/** Action, target, status and execution; requester, dates, entity, scaffolder task and the decider's comment. */
export function ApprovalSummary(props: {
  a: ApprovalRequest;
  /** Where the scaffolder's task pages are. */
  taskPath: string;
}) {
  const { a, taskPath } = props;
  const pending = a.status === 'pending';
  return (
    <>
      <Box
        sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}
      >
        <Typography variant="h6" component="h2">
          {a.action} {a.cluster}/{a.namespace}/{a.name}
        </Typography>
        <ApprovalStatusChip status={a.status} />
        {a.execution && (
          <Chip
            size="small"
            variant="outlined"
            color={a.execution.state === 'failed' ? 'error' : 'default'}
            label={`execution: ${a.execution.state}`}
            title={a.execution.message}
          />
        )}
      </Box>
      <Typography variant="body2" color="text.secondary">
        Requested by {a.requestedBy} on{' '}
        {new Date(a.requestedAt).toLocaleString()}
        {a.expiresAt && pending
          ? ` · expires ${new Date(a.expiresAt).toLocaleString()}`
          : ''}
        {a.decidedBy
          ? ` · ${a.status} by ${a.decidedBy}${a.decidedAt ? ` on ${new Date(a.decidedAt).toLocaleString()}` : ''}`
          : ''}
      </Typography>
      <Box sx={{ display: 'flex', gap: 2, mt: 1, flexWrap: 'wrap' }}>
        {a.entityRef && (
          <Typography variant="body2">
            Entity: <EntityRefLink entityRef={a.entityRef} />
          </Typography>
        )}
        {a.taskId && (
          <Typography variant="body2">
            <Link to={`${taskPath}/${encodeURIComponent(a.taskId)}`}>
              Scaffolder task {a.taskId.slice(0, 8)}
            </Link>
          </Typography>
        )}
      </Box>
      {a.comment && (
        <Alert severity="info" sx={{ mt: 1 }}>
          Comment: {a.comment}
        </Alert>
      )}
    </>
  );
}

/**
 * What needs attention: a failed execution (with Run again, and Raise quota when the quota refused it), a service
 * that belongs to another entity, and the policy's refusal.
 */
export function ApprovalAlerts(props: {
  a: ApprovalRequest;
  /** The request was refused for its project's GPU quota (one Raise quota button per page). */
  quotaRefusal: boolean;
  /** The viewer may run a failed execution again. */
  canRetry: boolean;
  busy: boolean;
  onRetry: () => void;
}) {
  const { a, quotaRefusal } = props;
  const pending = a.status === 'pending';
  return (
    <>
      {a.execution?.state === 'failed' && (
        <Alert
          severity="error"
          sx={{ mt: 1 }}
          action={
            <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
              {quotaRefusal && <RaiseQuota request={a} />}
              {props.canRetry && (
                <Button
                  color="inherit"
                  size="small"
                  disabled={props.busy}
                  onClick={props.onRetry}
                >
                  Run again
                </Button>
              )}
            </Box>
          }
        >
          Applying the approved manifest failed: {a.execution.message}
        </Alert>
      )}
      {a.policy?.previousEntityRef && (
        <Alert severity="warning" sx={{ mt: 1 }}>
          This request changes a service that belongs to{' '}
          <EntityRefLink entityRef={a.policy.previousEntityRef} />, not to{' '}
          {a.entityRef ? (
            <EntityRefLink entityRef={a.entityRef} />
          ) : (
            'the entity the request names'
          )}
          . Approving it takes {a.cluster}/{a.namespace}/{a.name} over from its
          current entity.
        </Alert>
      )}
      {a.policy?.allowed === false && (
        <Alert
          severity="error"
          sx={{ mt: 1 }}
          id={`refused-${a.id}`}
          action={
            quotaRefusal && a.execution?.state !== 'failed' ? (
              <RaiseQuota request={a} />
            ) : undefined
          }
        >
          <AlertTitle>The policy refuses this change</AlertTitle>
          <FindingList findings={a.policy.denials} />
          {pending
            ? 'Approving it would apply nothing: the backend checks the policy again when it applies an approved request, and the execution would fail. Reject it, or ask for a change the policy allows.'
            : 'Nothing can be applied, not even after approval.'}
        </Alert>
      )}
    </>
  );
}
