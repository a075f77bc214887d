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
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalRequiredResponse,
  canaryBreaches,
  CanaryAnalysis,
  CanaryCommand,
  CanaryPhase,
  CanaryResponse,
  CanaryViewResponse,
  fusioninferServiceUpdatePermission,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { errorInfo } from '../common';
import { formatAge } from '../../lib/state';
import { plural } from '../../lib/plural';

type CanaryState = NonNullable<CanaryViewResponse['state']>;
type CanaryCheck = CanaryState['checks'][number];

/** The phase as the panel says it. */
export const CANARY_PHASE_LABEL: Record<CanaryPhase, string> = {
  Starting: 'Starting',
  Progressing: 'Progressing',
  Paused: 'Paused',
  AwaitingPromotion: 'Awaiting promotion',
  Promoting: 'Promoting',
  Complete: 'Complete',
  RolledBack: 'Rolled back',
};

const PHASE_COLOR: Record<
  CanaryPhase,
  'default' | 'info' | 'warning' | 'success' | 'error'
> = {
  Starting: 'info',
  Progressing: 'info',
  Paused: 'warning',
  AwaitingPromotion: 'warning',
  Promoting: 'info',
  Complete: 'success',
  RolledBack: 'error',
};

/**
 * The commands a phase accepts, as the backend's `applyCanaryCommand` decides them (a button it would refuse is not
 * offered): promote a running canary whose replicas are up, roll back anything not yet moving the stable replicas,
 * pause a running one, resume a paused one or start a rolled-back one again.
 */
export const CANARY_COMMANDS: Record<CanaryPhase, readonly CanaryCommand[]> = {
  Starting: ['rollback', 'pause'],
  Progressing: ['promote', 'rollback', 'pause'],
  Paused: ['promote', 'rollback', 'resume'],
  AwaitingPromotion: ['promote', 'rollback'],
  Promoting: [],
  Complete: [],
  RolledBack: ['resume'],
};

/** The buttons' names (the browser tests click them by these). */
const BUTTON: Record<CanaryCommand, string> = {
  promote: 'Promote',
  rollback: 'Roll back',
  pause: 'Pause canary',
  resume: 'Resume canary',
};
/** What an applied command is called in the note that follows it. */
const DONE: Record<CanaryCommand, string> = {
  promote: 'Promotion started',
  rollback: 'Rolled back',
  pause: 'Paused',
  resume: 'Resumed',
};

/** At most this many events before "Show all". */
const EVENTS_SHOWN = 10;

/** Whether the panel has anything to show: a canary runs or starts, or one was recorded. */
export function showsCanary(detail: ServiceDetail): boolean {
  return !!detail.canary && (detail.canary.active || !!detail.canary.state);
}

// Figures as the backend words its breaches (three decimals at most), so a figure and its breach read alike.
const num = (x: number) => (Math.round(x * 1000) / 1000).toString();
const pct = (rate: number) => `${num(rate * 100)} %`;

/** The limits of the policy in words. */
function limitsInWords(a: CanaryAnalysis): string[] {
  const out: string[] = [];
  if (a.maxTtftP95Seconds !== undefined)
    out.push(`TTFT p95 at most ${num(a.maxTtftP95Seconds)} s`);
  if (a.maxTtftP95Ratio !== undefined)
    out.push(`TTFT p95 at most ${num(a.maxTtftP95Ratio)}× the stable's`);
  if (a.maxErrorRate !== undefined)
    out.push(`error rate at most ${pct(a.maxErrorRate)}`);
  if (a.maxQueuePerReplica !== undefined)
    out.push(
      `at most ${num(a.maxQueuePerReplica)} waiting requests per replica`,
    );
  return out;
}

/** One figure of a check against its limit; `over` by common's own rule (the one the controller gates on). */
function checkRows(a: CanaryAnalysis, c: CanaryCheck) {
  const over = (limit: CanaryAnalysis) => canaryBreaches(limit, c).length > 0;
  const ratio =
    c.ttftP95 !== undefined && c.stableTtftP95 !== undefined && c.stableTtftP95
      ? c.ttftP95 / c.stableTtftP95
      : undefined;
  return [
    {
      name: 'TTFT p95',
      value: c.ttftP95 !== undefined ? `${num(c.ttftP95)} s` : '—',
      limit:
        a.maxTtftP95Seconds !== undefined
          ? `≤ ${num(a.maxTtftP95Seconds)} s`
          : 'none',
      over: over({ maxTtftP95Seconds: a.maxTtftP95Seconds }),
    },
    {
      name: 'vs stable',
      value:
        ratio !== undefined
          ? `${num(ratio)}× (stable ${num(c.stableTtftP95!)} s)`
          : '—',
      limit:
        a.maxTtftP95Ratio !== undefined
          ? `≤ ${num(a.maxTtftP95Ratio)}×`
          : 'none',
      over: over({ maxTtftP95Ratio: a.maxTtftP95Ratio }),
    },
    {
      name: 'Error rate',
      value: c.errorRate !== undefined ? pct(c.errorRate) : '—',
      limit: a.maxErrorRate !== undefined ? `≤ ${pct(a.maxErrorRate)}` : 'none',
      over: over({ maxErrorRate: a.maxErrorRate }),
    },
    {
      name: 'Queue per replica',
      value: c.queuePerReplica !== undefined ? num(c.queuePerReplica) : '—',
      limit:
        a.maxQueuePerReplica !== undefined
          ? `≤ ${num(a.maxQueuePerReplica)}`
          : 'none',
      over: over({ maxQueuePerReplica: a.maxQueuePerReplica }),
    },
    {
      name: 'Requests',
      value: c.requests !== undefined ? num(c.requests) : '—',
      limit: '',
      over: false,
    },
  ];
}

/** The policy's rules in one paragraph. */
function policyInWords(
  policy: CanaryViewResponse['policy'],
  limits: string[],
): string {
  const within = limits.length
    ? `within the limits (${limits.join(', ')})`
    : 'with no limits set (time and traffic only)';
  const breach =
    policy.onBreach === 'rollback'
      ? 'A breach rolls the canary back'
      : 'A breach pauses the canary';
  const last = policy.autoPromote ? 'promotes by itself' : 'waits for Promote';
  return `Each step holds at least ${policy.stepSeconds} s and passes on a check of at least ${policy.minRequests} canary requests ${within}. ${breach}; after the last step it ${last}.`;
}

/** Which step of the stepper is current: the policy's steps, then Promote (index `steps.length`). */
function activeStep(state: CanaryState | undefined, steps: number): number {
  if (!state) return -1;
  switch (state.phase) {
    case 'AwaitingPromotion':
    case 'Promoting':
      return steps;
    case 'Complete':
      return steps + 1;
    default:
      return state.step;
  }
}

function StepsView(props: { canary: CanaryViewResponse; state?: CanaryState }) {
  const { policy } = props.canary;
  const { state } = props;
  const active = activeStep(state, policy.steps.length);
  const labels = [...policy.steps.map(w => `${w} %`), 'Promote'];
  return (
    <Stepper
      activeStep={active}
      alternativeLabel
      aria-label="Canary steps"
      component="ol"
      sx={{ p: 0, m: 0, '& > li': { listStyle: 'none' } }}
    >
      {labels.map((label, i) => {
        const current = i === active;
        // Where a rolled-back canary stopped, and where a paused one holds.
        const failed = current && state?.phase === 'RolledBack';
        const note = current
          ? {
              Paused: 'paused',
              RolledBack: 'rolled back here',
              Promoting: 'promoting',
              AwaitingPromotion: 'waiting for a click',
              Starting: undefined,
              Progressing: 'now',
              Complete: undefined,
            }[state!.phase]
          : undefined;
        return (
          <Step
            key={label}
            component="li"
            aria-current={current ? 'step' : undefined}
          >
            <StepLabel
              error={failed}
              optional={
                note ? (
                  <Typography
                    variant="caption"
                    color={failed ? 'error' : 'text.secondary'}
                  >
                    {note}
                  </Typography>
                ) : undefined
              }
              sx={
                current ? { '& .MuiStepLabel-label': { fontWeight: 700 } } : {}
              }
            >
              {label}
            </StepLabel>
          </Step>
        );
      })}
    </Stepper>
  );
}

function LatestCheck(props: { analysis: CanaryAnalysis; check: CanaryCheck }) {
  const { analysis, check } = props;
  return (
    <Box>
      <Typography variant="body2" component="h5" sx={{ fontWeight: 500 }}>
        Latest check, at {check.weight} % of the traffic,{' '}
        <time dateTime={check.at} title={check.at}>
          {formatAge(check.at)} ago
        </time>
      </Typography>
      <Table size="small" aria-label="Latest canary check">
        <TableHead>
          <TableRow>
            <TableCell>Figure</TableCell>
            <TableCell>Canary</TableCell>
            <TableCell>Limit</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {checkRows(analysis, check).map(r => (
            <TableRow key={r.name}>
              <TableCell>{r.name}</TableCell>
              <TableCell
                sx={r.over ? { color: 'error.main', fontWeight: 700 } : {}}
              >
                {r.value}
                {r.over ? ' (over the limit)' : ''}
              </TableCell>
              <TableCell>{r.limit}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {check.breaches.map(b => (
        <Typography key={b} variant="body2" color="error">
          Breach: {b}
        </Typography>
      ))}
      {check.breaches.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          {check.note
            ? `${check.note[0].toUpperCase()}${check.note.slice(1)}.`
            : 'Within every limit.'}
        </Typography>
      )}
    </Box>
  );
}

function EventsView(props: { events: CanaryState['events'] }) {
  const [all, setAll] = useState(false);
  // Recorded newest last; read newest first.
  const events = [...props.events].reverse();
  const shown = all ? events : events.slice(0, EVENTS_SHOWN);
  if (events.length === 0) return null;
  return (
    <Box>
      <Typography variant="body2" component="h5" sx={{ fontWeight: 500 }}>
        Timeline
      </Typography>
      <Box
        component="ol"
        aria-label="Canary events"
        sx={{
          listStyle: 'none',
          m: 0,
          p: 0,
          borderLeft: 2,
          borderColor: 'divider',
          '& > li': { pl: 1.5, py: 0.25 },
        }}
      >
        {shown.map((e, i) => (
          <Box component="li" key={`${e.at}-${i}`}>
            <Typography variant="body2">
              <Box
                component="time"
                dateTime={e.at}
                title={e.at}
                sx={{ color: 'text.secondary' }}
              >
                {formatAge(e.at)} ago
              </Box>{' '}
              {e.message}
              <Box component="span" sx={{ color: 'text.secondary' }}>
                {' '}
                · {CANARY_PHASE_LABEL[e.phase]} at {e.weight} %
                {e.by ? ` · by ${e.by}` : ''}
              </Box>
            </Typography>
          </Box>
        ))}
      </Box>
      {events.length > EVENTS_SHOWN && (
        <Button size="small" onClick={() => setAll(a => !a)}>
          {all
            ? `Show the latest ${EVENTS_SHOWN}`
            : `Show all ${events.length} events`}
        </Button>
      )}
    </Box>
  );
}

/**
 * A service's canary (issue 19): the phase, the live traffic split, the canary replicas Ready, the steps with the
 * current one, the limits and the latest check against them, why it holds, whether the Gateway can split the traffic,
 * the timeline, and Promote / Roll back / Pause / Resume (`POST …/canary`) as the phase allows them — disabled, with
 * the reason, without `fusioninfer.service.update` on the service's entity. Nothing when the service has no canary
 * running and none recorded.
 */
export function CanaryPanel(props: {
  detail: ServiceDetail;
  /** The entity page's own ref: used only when the backend does not report the service's `entityRef`. */
  entityRef: string;
}) {
  const { detail } = props;
  const api = useApi(fusioninferApiRef);
  const update = usePermission({
    permission: fusioninferServiceUpdatePermission,
    resourceRef: detail.entityRef ?? props.entityRef,
  });
  const [busy, setBusy] = useState<CanaryCommand>();
  const [error, setError] = useState<string>();
  const [held, setHeld] = useState<ApprovalRequiredResponse>();
  // The answer, with the state's `since` when it was asked: every command starts a new `since`.
  const [applied, setApplied] = useState<{
    response: CanaryResponse;
    since?: string;
  }>();
  const [confirming, setConfirming] = useState(false);
  const canary = detail.canary;
  if (!canary || !showsCanary(detail)) return null;
  const recorded = canary.state;
  // Commands act on the canary of the current revision only; an older state is history.
  const state =
    recorded && recorded.revision === canary.revision ? recorded : undefined;
  // Active with no state of this revision yet: the reconciler starts its replicas before the controller records it.
  const phase: CanaryPhase =
    state?.phase ?? (canary.active ? 'Starting' : recorded!.phase);
  const shown = state ?? (canary.active ? undefined : recorded);
  // Said until the detail shows a later state than the one the command changed (the tab's polling brings it).
  const pending =
    applied && applied.since === state?.since ? applied.response : undefined;
  const commands = state ? CANARY_COMMANDS[state.phase] : [];
  const canUpdate = update.allowed && !update.loading;
  const why = update.loading
    ? 'Checking your permission…'
    : `Needs fusioninfer.service.update on ${detail.entityRef ?? props.entityRef}`;
  const send = async (action: CanaryCommand) => {
    const since = state?.since;
    setBusy(action);
    setError(undefined);
    setHeld(undefined);
    setApplied(undefined);
    try {
      const r = await api.setCanary(
        {
          cluster: detail.cluster,
          namespace: detail.namespace,
          name: detail.name,
        },
        { action },
      );
      if (r.outcome === 'approval-required') setHeld(r);
      else setApplied({ response: r, since });
    } catch (e) {
      setError(errorInfo(e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const weight = canary.routeWeight;
  const check = shown?.checks[shown.checks.length - 1];
  const limits = limitsInWords(canary.policy.analysis);
  const id = `canary-${detail.cluster}-${detail.namespace}-${detail.name}`;
  return (
    <Box
      component="section"
      aria-label="Canary"
      aria-busy={!!busy}
      sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}
    >
      <Box
        sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}
      >
        <Typography variant="subtitle1" component="h3" id={`${id}-title`}>
          Canary
        </Typography>
        <Chip
          size="small"
          label={CANARY_PHASE_LABEL[phase]}
          color={PHASE_COLOR[phase]}
        />
        <Box sx={{ flexGrow: 1 }} />
        {commands.map(c => {
          const button = (
            <Button
              size="small"
              variant={c === 'promote' ? 'contained' : 'outlined'}
              color={c === 'rollback' ? 'error' : 'primary'}
              disabled={!canUpdate || !!busy || !!pending}
              startIcon={
                busy === c ? (
                  <CircularProgress size={14} color="inherit" />
                ) : undefined
              }
              onClick={() => (c === 'rollback' ? setConfirming(true) : send(c))}
            >
              {BUTTON[c]}
            </Button>
          );
          // A disabled button fires no events: the span carries the tooltip.
          return canUpdate ? (
            <span key={c}>{button}</span>
          ) : (
            <Tooltip key={c} title={why}>
              <span>{button}</span>
            </Tooltip>
          );
        })}
      </Box>

      <Typography variant="body2">
        {weight} % of the traffic to the canary (revision{' '}
        <code>{canary.revision}</code>), {100 - weight} % to the stable replicas
        {state && state.weight !== weight
          ? ` · moving to ${state.weight} %`
          : ''}
      </Typography>
      {/* The route's weight: what the Gateway is told now, not what the state asks for. */}
      <LinearProgress
        variant="determinate"
        value={Math.min(100, Math.max(0, weight))}
        aria-label={`${weight} % of the traffic to the canary`}
      />
      <Typography variant="body2">
        Canary replicas: {canary.readyCanaryReplicas} of {canary.canaryReplicas}{' '}
        Ready ({plural(canary.policy.replicas, 'replica')} per role)
      </Typography>
      {recorded && !state && !canary.active && (
        <Typography variant="body2" color="text.secondary">
          The last canary ran revision <code>{recorded.revision}</code>; the
          spec is now at revision <code>{canary.revision}</code>.
        </Typography>
      )}
      {shown?.reason && (
        <Typography
          variant="body2"
          color={phase === 'RolledBack' ? 'error' : 'text.secondary'}
        >
          Why: {shown.reason}
        </Typography>
      )}
      {canary.message && (
        <Typography variant="body2" color="text.secondary">
          Reconciler: {canary.message}
        </Typography>
      )}
      {canary.gatewayProblem && (
        <Alert severity="warning">
          The Gateway cannot split the traffic: {canary.gatewayProblem}
        </Alert>
      )}

      <StepsView canary={canary} state={shown} />
      <Typography variant="caption" color="text.secondary">
        {policyInWords(canary.policy, limits)}
      </Typography>
      {check && <LatestCheck analysis={canary.policy.analysis} check={check} />}
      {shown && <EventsView events={shown.events} />}

      {pending && (
        <Alert severity="info" role="status">
          {DONE[pending.action]}: the canary is{' '}
          {CANARY_PHASE_LABEL[pending.phase]} at {pending.weight} % of the
          traffic; this view shows it at its next refresh.
        </Alert>
      )}
      {held && (
        <Alert severity="warning" onClose={() => setHeld(undefined)}>
          Held for approval ({held.reasons.join('; ')}). Nothing changed yet:{' '}
          <Link to={`/fusioninfer/approvals/${held.approval.id}`}>
            request {held.approval.id.slice(0, 8)}
          </Link>
        </Alert>
      )}
      {error && <Alert severity="error">{error}</Alert>}

      <Dialog
        open={confirming}
        onClose={() => setConfirming(false)}
        aria-labelledby={`${id}-rollback`}
        fullWidth
        maxWidth="xs"
      >
        <DialogTitle id={`${id}-rollback`}>
          Roll back the canary of {detail.name}?
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            All traffic returns to the stable replicas; the canary's replicas
            are removed. Resume starts the canary again from its first step.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button
            variant="contained"
            color="error"
            onClick={() => {
              setConfirming(false);
              send('rollback');
            }}
          >
            Roll back
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
