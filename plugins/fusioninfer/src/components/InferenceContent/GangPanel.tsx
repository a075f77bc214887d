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
import type {
  RenderSummary,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { gangView } from '../../lib/state';

const SCHEDULER_REASONS = new Set([
  'FailedScheduling',
  'Scheduled',
  'Unschedulable',
  'NotEnoughResources',
  'Evict',
]);

const SEVERITY_COLOR = {
  ok: 'success',
  error: 'error',
  warning: 'default',
  info: 'default',
} as const;

/** Events of the scheduler: on the PodGroup, and pods' scheduling outcomes. */
export function schedulerEvents(detail: ServiceDetail) {
  return detail.events.filter(
    e =>
      e.object.startsWith('PodGroup/') ||
      (e.reason !== undefined && SCHEDULER_REASONS.has(e.reason)),
  );
}

/** Volcano gang scheduling of the service: PodGroup phase, minMember, per task scheduled/required, and why it waits. */
export function GangPanel(props: {
  detail: ServiceDetail;
  summary?: RenderSummary;
}) {
  const { detail, summary } = props;
  const gang = detail.gang;
  const multiNode = detail.spec.roles.some(r => r.nodesPerReplica > 1);
  if (!gang)
    return (
      <Typography variant="body2" color="text.secondary">
        {multiNode
          ? 'No PodGroup yet: the controller has not created the gang for the multi-node replicas.'
          : 'No gang scheduling: every replica is a single pod, so pods are scheduled one by one.'}
      </Typography>
    );
  const view = gangView(gang, detail, summary);
  const events = schedulerEvents(detail).slice(0, 10);
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      <Box
        sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}
      >
        <Typography variant="body2">
          PodGroup <code>{gang.name}</code>
        </Typography>
        <Chip
          size="small"
          label={gang.phase}
          color={SEVERITY_COLOR[view.severity]}
        />
        <Typography variant="body2" color="text.secondary">
          minMember {gang.minMember ?? '—'} · {gang.running} running
        </Typography>
      </Box>
      {view.sentence && (
        <Alert
          severity={view.severity === 'ok' ? 'success' : view.severity}
          role={view.severity === 'error' ? 'alert' : 'status'}
        >
          {view.sentence}
        </Alert>
      )}
      {gang.tasks.length > 0 && (
        <Table size="small" aria-label="Gang tasks">
          <TableHead>
            <TableRow>
              <TableCell>Task (replica)</TableCell>
              <TableCell align="right">Scheduled / required</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {gang.tasks.map(t => (
              <TableRow key={t.task}>
                <TableCell>
                  <code>{t.task}</code>
                </TableCell>
                <TableCell align="right">
                  {t.scheduled} / {t.min}
                  {t.scheduled < t.min && view.severity !== 'ok' ? ' ⚠' : ''}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Typography variant="subtitle2" component="h4">
        Scheduler events
      </Typography>
      {events.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No scheduler events.
        </Typography>
      ) : (
        <Box component="ul" sx={{ m: 0, pl: 2 }}>
          {events.map((e, i) => (
            <li key={i}>
              <Typography variant="body2">
                <strong>{e.reason}</strong> {e.object}: {e.message}
              </Typography>
            </li>
          ))}
        </Box>
      )}
    </Box>
  );
}
