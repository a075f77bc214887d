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

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import type {
  AutoscalingResponse,
  AutoscalingRoleView,
} from '@fusioninfer/plugin-fusioninfer-common';
import { formatAge } from '../../lib/state';

/** What each block reason is called in the table. */
const BLOCK_LABEL: Record<
  AutoscalingRoleView['blockedBy'][number]['reason'],
  string
> = {
  'no-signal': 'no signal',
  max: 'maximum',
  stabilization: 'stabilisation window',
  cooldown: 'cooldown',
  ratio: 'P/D ratio',
  quota: 'quota',
  'gang-cannot-fit': 'gang cannot fit',
  'approval-pending': 'approval pending',
  'at-zero': 'at zero',
};

/** The signal's value against its target, in its unit ("KV-cache use 82 % (target 70 %)"). */
export function signalText(r: AutoscalingRoleView): string {
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const fmt = (v: number) =>
    r.signal === 'kvCacheUsage'
      ? pct(v)
      : `${Math.round(v * 100) / 100}${r.signal === 'prefillBacklogSeconds' ? ' s' : ''}`;
  const name = {
    waitingRequests: 'Requests waiting per replica',
    kvCacheUsage: 'KV-cache use',
    prefillBacklogSeconds: 'Prefill backlog',
  }[r.signal];
  return `${name} ${r.value === undefined ? 'not measured' : fmt(r.value)} (target ${fmt(r.target)})`;
}

function RoleRow(props: { r: AutoscalingRoleView }) {
  const { r } = props;
  const rec = r.recommendation;
  let direction = '';
  if (rec !== undefined && rec > r.actual) direction = ' ↑';
  if (rec !== undefined && rec < r.actual) direction = ' ↓';
  return (
    <TableRow>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>
        <code>{r.role}</code>
        <Typography variant="caption" display="block" color="text.secondary">
          {r.minReplicas}–{r.maxReplicas} replicas
        </Typography>
      </TableCell>
      <TableCell>
        <Chip
          size="small"
          label={r.mode}
          color={r.mode === 'acting' ? 'primary' : 'default'}
          variant={r.mode === 'acting' ? 'filled' : 'outlined'}
        />
      </TableCell>
      <TableCell>
        <Typography variant="body2">{signalText(r)}</Typography>
        <Typography variant="caption" color="text.secondary">
          <code>{r.metric}</code>
        </Typography>
      </TableCell>
      <TableCell>
        <Typography variant="body2">
          {rec === undefined ? '—' : `${rec} recommended${direction}`} ·{' '}
          {r.actual} actual
        </Typography>
        {r.next !== undefined && r.next !== rec && (
          <Typography variant="caption" color="text.secondary">
            {r.mode === 'acting' ? 'sets' : 'would set'} {r.next} now
          </Typography>
        )}
      </TableCell>
      <TableCell>
        {r.blockedBy.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            nothing
          </Typography>
        ) : (
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {r.blockedBy.map((b, i) => (
              <li key={i}>
                <Typography variant="body2">
                  <strong>{BLOCK_LABEL[b.reason]}</strong>: {b.message}
                </Typography>
              </li>
            ))}
          </Box>
        )}
      </TableCell>
      <TableCell>
        <Typography variant="body2">{r.summary}</Typography>
        {r.lastAction && (
          <Typography variant="caption" color="text.secondary" display="block">
            {formatAge(r.lastAction.at)} ago: {r.lastAction.outcome} —{' '}
            {r.lastAction.approvalId ? (
              <Link to={`/fusioninfer/approvals/${r.lastAction.approvalId}`}>
                {r.lastAction.message}
              </Link>
            ) : (
              r.lastAction.message
            )}
          </Typography>
        )}
        {r.lastChange && (
          <Typography variant="caption" color="text.secondary" display="block">
            last change {r.lastChange.from} → {r.lastChange.to},{' '}
            {formatAge(r.lastChange.at)} ago
          </Typography>
        )}
      </TableCell>
    </TableRow>
  );
}

/**
 * The role autoscaler of one service: per role the mode, the signal against its target, the recommendation against
 * the actual replicas, what blocks the decision (quota, gang cannot fit, cooldown, approval pending …) and what the
 * autoscaler last did.
 */
export function AutoscalingPanel(props: { autoscaling: AutoscalingResponse }) {
  const a = props.autoscaling;
  if (!a.annotated)
    return (
      <Typography variant="body2" color="text.secondary">
        Not autoscaled. Its owners can add the annotation{' '}
        <code>fusioninfer.io/autoscaling</code>, for example{' '}
        <code>
          {
            '{"<role>": {"maxReplicas": 4, "signal": "waitingRequests", "target": 2, "mode": "advisory"}}'
          }
        </code>
        : advisory shows what the autoscaler would do, acting lets it scale the
        role within those bounds (the plugin's README says how).
      </Typography>
    );
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {a.issues.length > 0 && (
        <Alert severity="error" role="alert">
          The autoscaling annotation has problems, so nothing is decided:
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {a.issues.map((i, k) => (
              <li key={k}>
                <code>{i.path}</code>: {i.message}
              </li>
            ))}
          </Box>
        </Alert>
      )}
      {a.autoscaler.message && (
        <Alert
          severity={a.autoscaler.state === 'disabled' ? 'warning' : 'info'}
          role="status"
        >
          {a.autoscaler.message}
        </Alert>
      )}
      {a.approval?.status === 'pending' && (
        <Alert severity="info" role="status">
          The autoscaler asked for approval:{' '}
          <Link to={`/fusioninfer/approvals/${a.approval.id}`}>
            request {a.approval.id.slice(0, 8)}
          </Link>{' '}
          waits for an approver; nothing changes until it is decided.
        </Alert>
      )}
      <Typography variant="body2" color="text.secondary">
        {a.decidedAt
          ? `Decided ${formatAge(a.decidedAt)} ago`
          : 'Not decided yet'}{' '}
        · every {a.autoscaler.intervalSeconds} s
        {a.pdRatio ? ` · prefill:decode kept at ${a.pdRatio} (±1 replica)` : ''}
      </Typography>
      {a.roles.length > 0 && (
        <Table size="small" aria-label="Autoscaling by role">
          <TableHead>
            <TableRow>
              <TableCell>Role</TableCell>
              <TableCell>Mode</TableCell>
              <TableCell>Signal</TableCell>
              <TableCell>Recommendation vs actual</TableCell>
              <TableCell>Blocked by</TableCell>
              <TableCell>Last decision</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {a.roles.map(r => (
              <RoleRow key={r.role} r={r} />
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}
