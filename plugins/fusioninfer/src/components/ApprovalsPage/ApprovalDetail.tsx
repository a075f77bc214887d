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

import { useState } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { stringify } from 'yaml';
import {
  ApprovalRequest,
  fusioninferApprovalDecidePermission,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView, errorInfo } from '../common';
import { CopyButton } from '../InferenceContent/DriftPanel';
import { plural } from '../../lib/plural';
import { FindingList, podSecurityText, QuotaUse } from '../PolicyVerdict';
import { RaiseQuota, refusedForQuota } from './RaiseQuota';

type Manifest = {
  spec?: {
    roles?: Array<{
      name?: string;
      componentType?: string;
      replicas?: number;
      strategy?: string;
      multinode?: { nodeCount?: number };
    }>;
  };
};

export interface ChangeLine {
  what: string;
  from?: string;
  to?: string;
}

/**
 * What applying the requested manifest would change compared with the live service (roles added or removed, replicas,
 * nodes per replica, strategy). `live` undefined means the service does not exist yet.
 */
export function approvalChanges(
  request: Pick<ApprovalRequest, 'action' | 'manifest'>,
  live: ServiceDetail | undefined,
): ChangeLine[] {
  const m = (request.manifest ?? {}) as Manifest;
  const wanted = (m.spec?.roles ?? []).map(r => ({
    name: r.name ?? '?',
    componentType: r.componentType ?? '?',
    replicas: r.componentType === 'router' ? undefined : (r.replicas ?? 1),
    nodes: r.multinode?.nodeCount ?? 1,
    strategy: r.strategy,
  }));
  if (request.action === 'delete')
    return [{ what: 'Deletes the service and all its children' }];
  if (!live)
    return [
      { what: 'Creates a new service' },
      ...wanted.map(r => ({
        what: `role ${r.name} (${r.componentType})`,
        to:
          r.replicas === undefined
            ? `router${r.strategy ? `, ${r.strategy}` : ''}`
            : `${r.replicas} × ${plural(r.nodes, 'node')}`,
      })),
    ];
  const out: ChangeLine[] = [];
  const have = live.spec.roles;
  for (const r of wanted) {
    const h = have.find(x => x.name === r.name);
    if (!h) {
      out.push({
        what: `adds role ${r.name} (${r.componentType})`,
        to:
          r.replicas === undefined
            ? 'router'
            : `${r.replicas} × ${plural(r.nodes, 'node')}`,
      });
      continue;
    }
    if (r.replicas !== undefined && h.replicas !== r.replicas)
      out.push({
        what: `${r.name}: replicas`,
        from: String(h.replicas ?? 1),
        to: String(r.replicas),
      });
    if (r.replicas !== undefined && h.nodesPerReplica !== r.nodes)
      out.push({
        what: `${r.name}: nodes per replica`,
        from: String(h.nodesPerReplica),
        to: String(r.nodes),
      });
    if (
      r.componentType === 'router' &&
      (h.strategy ?? 'prefix-cache') !== (r.strategy ?? 'prefix-cache')
    )
      out.push({
        what: `${r.name}: strategy`,
        from: h.strategy ?? 'prefix-cache',
        to: r.strategy ?? 'prefix-cache',
      });
  }
  for (const h of have)
    if (!wanted.some(r => r.name === h.name))
      out.push({ what: `removes role ${h.name} (${h.componentType})` });
  if (out.length === 0)
    out.push({
      what: 'No change to roles, replicas or strategy (other fields of the spec may differ)',
    });
  return out;
}

const CONFIRM_TEXT = {
  approve: { title: 'Approve and apply?', text: '', button: 'Approve' },
  reject: {
    title: 'Reject this request?',
    text: 'Nothing is applied; the requester is notified.',
    button: 'Reject',
  },
  cancel: {
    title: 'Cancel your request?',
    text: 'The request is withdrawn; nothing is applied.',
    button: 'Cancel request',
  },
  retry: {
    title: 'Run the approved change again?',
    text: "The backend applies the stored manifest once more, checking the requester's rights and the policy again.",
    button: 'Run again',
  },
} as const;

function changeTail(c: ChangeLine): string {
  if (c.from !== undefined) return `: ${c.from} → ${c.to}`;
  return c.to ? `: ${c.to}` : '';
}

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

type Verdict = NonNullable<ApprovalRequest['policy']>;

/**
 * The policy's verdict stored with the request: whose project, its GPU quota before → after, pod security, DRA
 * claims. (Requests filed before the backend kept a verdict have none; the page shows them as before.)
 */
function PolicyDetails(props: { policy: Verdict }) {
  const { policy } = props;
  const violations = policy.podSecurity.violations;
  return (
    <>
      <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
        Team project and policy
      </Typography>
      <Box component="ul" sx={{ mt: 0 }} aria-label="Policy verdict">
        <li>
          <Typography variant="body2" component="span">
            {policy.project ? `Project ${policy.project}` : 'No team project'}
            {policy.owner && (
              <>
                {' '}
                · owner <EntityRefLink entityRef={policy.owner} />
              </>
            )}
          </Typography>
        </li>
        {policy.quota && (
          <li>
            <Typography variant="body2" component="span">
              GPU quota — <QuotaUse policy={policy} />
            </Typography>
          </li>
        )}
        <li>
          <Typography variant="body2" component="span">
            Pod security: {podSecurityText(policy)}
          </Typography>
          {violations.length > 0 && (
            <Typography variant="body2" component="div">
              <FindingList
                findings={violations}
                label="Pod-security violations"
              />
            </Typography>
          )}
        </li>
        {!!policy.resourceClaims && (
          <li>
            <Typography variant="body2" component="span">
              DRA resource claims: {plural(policy.resourceClaims, 'claim')}{' '}
              (devices the GPU count cannot see)
            </Typography>
          </li>
        )}
      </Box>
    </>
  );
}

/** One approval request: summary, policy reasons, what it would change, the manifest, and the decision. */
export function ApprovalDetail(props: {
  id: string;
  me?: string;
  onChanged: () => void;
}) {
  const { id, me, onChanged } = props;
  const api = useApi(fusioninferApiRef);
  const config = useApi(configApiRef);
  const taskPath =
    config.getOptionalString('fusioninfer.scaffolderTaskPath') ??
    '/create/tasks';
  const request = usePolling(() => api.getApproval(id), [id], 10_000);
  const a = request.value;
  const live = usePolling(async () => {
    if (!a) return undefined;
    // A pending request for a new service has nothing live to compare with (no request that can only answer 404).
    if (a.action === 'create' && a.status === 'pending') return null;
    try {
      return await api.getService({
        cluster: a.cluster,
        namespace: a.namespace,
        name: a.name,
      });
    } catch (e) {
      if (errorInfo(e as Error).status === 404) return null;
      throw e;
    }
  }, [a?.cluster, a?.namespace, a?.name, a?.status]);
  const decide = usePermission({
    permission: fusioninferApprovalDecidePermission,
    resourceRef: id,
  });
  const [comment, setComment] = useState('');
  const [confirm, setConfirm] = useState<
    'approve' | 'reject' | 'cancel' | 'retry'
  >();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  if (request.loading && !a)
    return <LinearProgress aria-label="Loading the request" />;
  if (!a && request.error)
    return (
      <ErrorView error={request.error} action="read this approval request" />
    );
  if (!a) return null;
  const own = !!me && a.requestedBy === me;
  const pending = a.status === 'pending';
  const run = async () => {
    if (!confirm) return;
    setBusy(true);
    setError(undefined);
    try {
      if (confirm === 'cancel') await api.cancelApproval(id);
      else if (confirm === 'retry') await api.retryApproval(id);
      else
        await api.decideApproval(id, {
          approve: confirm === 'approve',
          ...(comment.trim() ? { comment: comment.trim() } : {}),
        });
      setConfirm(undefined);
      setComment('');
      await request.refresh();
      onChanged();
    } catch (e) {
      setError(errorInfo(e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const changes =
    live.value === undefined && live.loading
      ? undefined
      : approvalChanges(a, live.value ?? undefined);
  let decideBlocked: string | undefined;
  if (own)
    decideBlocked =
      'You requested this deployment; another person must decide it (four eyes).';
  else if (!decide.loading && !decide.allowed)
    decideBlocked =
      'The permission policy does not let you decide this request (fusioninfer.approval.decide).';
  const refused = a.policy?.allowed === false;
  // An approver with fusioninfer.project.quota.update can raise the quota that refused it (one button per page).
  const quotaRefusal = refusedForQuota(a);
  let approveDescribedBy: string | undefined;
  if (decideBlocked) approveDescribedBy = `decide-why-${a.id}`;
  else if (refused) approveDescribedBy = `refused-${a.id}`;
  const dialogText = confirm ? CONFIRM_TEXT[confirm] : undefined;
  return (
    <Paper
      variant="outlined"
      sx={{ p: 2 }}
      component="section"
      aria-label={`Approval request ${a.id}`}
    >
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
      {a.execution?.state === 'failed' && (
        <Alert
          severity="error"
          sx={{ mt: 1 }}
          action={
            <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
              {quotaRefusal && <RaiseQuota request={a} />}
              {decide.allowed && !own && (
                <Button
                  color="inherit"
                  size="small"
                  disabled={busy}
                  onClick={() => setConfirm('retry')}
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
      <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
        Why approval is needed
      </Typography>
      <Box component="ul" sx={{ mt: 0 }}>
        {a.reasons.map(r => (
          <li key={r}>
            <Typography variant="body2">{r}</Typography>
          </li>
        ))}
      </Box>
      {a.policy && <PolicyDetails policy={a.policy} />}
      {a.summary && (
        <>
          <Typography variant="subtitle2" component="h3">
            {plural(a.summary.gpus, 'GPU')}, {plural(a.summary.pods, 'pod')}
          </Typography>
          <Table size="small" aria-label="GPU and pod summary">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>Role</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Replicas</TableCell>
                <TableCell align="right">Nodes per replica</TableCell>
                <TableCell align="right">GPUs</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {a.summary.roles.map(r => (
                <TableRow key={r.name}>
                  <TableCell>{r.name}</TableCell>
                  <TableCell>{r.componentType ?? '—'}</TableCell>
                  <TableCell align="right">{r.replicas}</TableCell>
                  <TableCell align="right">{r.nodesPerReplica}</TableCell>
                  <TableCell align="right">{r.gpus}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      )}
      <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
        What it would change on the cluster
      </Typography>
      {live.error && (
        <ErrorView
          error={live.error}
          action="read the live service to compare"
        />
      )}
      {!changes && !live.error && (
        <LinearProgress aria-label="Comparing with the live service" />
      )}
      {changes && (
        <Box component="ul" sx={{ mt: 0 }} aria-label="Changes">
          {changes.map((c, i) => (
            <li key={i}>
              <Typography variant="body2">
                {c.what}
                {changeTail(c)}
              </Typography>
            </li>
          ))}
        </Box>
      )}
      {a.manifest !== undefined && (
        <>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mt: 2 }}>
            <Typography variant="subtitle2" component="h3">
              Manifest
            </Typography>
            <CopyButton text={stringify(a.manifest)} label="Copy YAML" />
          </Box>
          <Box
            component="pre"
            tabIndex={0}
            aria-label="Requested manifest"
            sx={{
              maxHeight: 320,
              overflow: 'auto',
              p: 1,
              m: 0,
              bgcolor: 'action.hover',
              fontSize: 12,
            }}
          >
            {stringify(a.manifest)}
          </Box>
        </>
      )}
      {pending && (
        <Box sx={{ mt: 2, display: 'flex', flexDirection: 'column', gap: 1 }}>
          {decideBlocked ? (
            <Alert severity="info" id={`decide-why-${a.id}`}>
              {decideBlocked}
            </Alert>
          ) : (
            <TextField
              label="Comment (optional)"
              value={comment}
              onChange={e => setComment(e.target.value)}
              multiline
              minRows={2}
              inputProps={{ maxLength: 2000 }}
            />
          )}
          <Box sx={{ display: 'flex', gap: 1 }}>
            {(own || decide.allowed) && (
              <>
                <Button
                  variant="contained"
                  color="success"
                  disabled={!!decideBlocked || decide.loading}
                  aria-describedby={approveDescribedBy}
                  onClick={() => setConfirm('approve')}
                >
                  Approve
                </Button>
                <Button
                  variant="outlined"
                  color="error"
                  disabled={!!decideBlocked || decide.loading}
                  aria-describedby={
                    decideBlocked ? `decide-why-${a.id}` : undefined
                  }
                  onClick={() => setConfirm('reject')}
                >
                  Reject
                </Button>
              </>
            )}
            {own && (
              <Button variant="text" onClick={() => setConfirm('cancel')}>
                Cancel my request
              </Button>
            )}
          </Box>
        </Box>
      )}
      <Dialog open={!!confirm} onClose={() => setConfirm(undefined)}>
        <DialogTitle>{dialogText?.title}</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {confirm === 'approve' && refused
              ? `The policy refuses this change (${a.policy!.denials.map(d => d.message).join('; ')}): the backend will not apply it, and the execution will fail.`
              : ''}
            {confirm === 'approve' && !refused
              ? `The backend applies exactly this manifest to ${a.cluster}/${a.namespace}: ${a.summary ? `${plural(a.summary.gpus, 'GPU')}, ${plural(a.summary.pods, 'pod')}` : '? GPUs, ? pods'}.`
              : ''}
            {confirm !== 'approve' ? dialogText?.text : ''}
            {comment.trim() && confirm !== 'cancel'
              ? ` Comment: “${comment.trim()}”.`
              : ''}
          </DialogContentText>
          {error && (
            <Alert severity="error" sx={{ mt: 1 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirm(undefined)}>Back</Button>
          <Button variant="contained" disabled={busy} onClick={run}>
            {dialogText?.button}
          </Button>
        </DialogActions>
      </Dialog>
    </Paper>
  );
}
