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
import LinearProgress from '@mui/material/LinearProgress';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalRequiredResponse,
  fusioninferServiceUpdatePermission,
  RoleRollout,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { errorInfo } from '../common';
import { plural } from '../../lib/plural';

const PHASE_LABEL: Record<RoleRollout['phase'], string> = {
  complete: 'Complete',
  progressing: 'Progressing',
  paused: 'Paused',
  waiting: 'Waiting',
};

/** The roles whose rollout the panel shows: one under way (a paused one included). */
export function rollingRoles(
  detail: ServiceDetail,
): Array<{ role: string; rollout: RoleRollout }> {
  return detail.roles.flatMap(r =>
    r.rollout?.active ? [{ role: r.name, rollout: r.rollout }] : [],
  );
}

function RoleRolloutView(props: {
  detail: ServiceDetail;
  role: string;
  rollout: RoleRollout;
  /** Why Pause / Resume is disabled (no permission, or still checking it); undefined when the caller may use it. */
  cannotUpdate?: string;
}) {
  const { detail, role, rollout, cannotUpdate } = props;
  const api = useApi(fusioninferApiRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [held, setHeld] = useState<ApprovalRequiredResponse>();
  // What was asked: shown until the detail says so (the reconciler acts at its next pass).
  const [asked, setAsked] = useState<boolean>();
  const n = Math.max(1, rollout.replicas);
  const pct = (x: number) => Math.min(100, (100 * x) / n);
  const id = `rollout-${detail.name}-${role}`;
  const setPaused = async (paused: boolean) => {
    setBusy(true);
    setError(undefined);
    setHeld(undefined);
    try {
      const r = await api.setRollout(
        {
          cluster: detail.cluster,
          namespace: detail.namespace,
          name: detail.name,
        },
        { role, paused },
      );
      if (r.outcome === 'approval-required') setHeld(r);
      else setAsked(paused);
    } catch (e) {
      setError(errorInfo(e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const waiting = asked !== undefined && asked !== rollout.paused;
  return (
    <Box
      component="section"
      aria-labelledby={`${id}-title`}
      sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <Typography variant="subtitle2" component="h4" id={`${id}-title`}>
          Rollout of {role}
        </Typography>
        <Chip
          size="small"
          label={PHASE_LABEL[rollout.phase]}
          color={rollout.phase === 'paused' ? 'warning' : 'info'}
        />
        <Box sx={{ flexGrow: 1 }} />
        {/* A disabled button fires no events: the span carries the tooltip (as in the Canary section). */}
        <Tooltip title={cannotUpdate ?? ''}>
          <span>
            <Button
              size="small"
              variant="outlined"
              disabled={!!cannotUpdate || busy || waiting}
              onClick={() => setPaused(!rollout.paused)}
            >
              {rollout.paused ? 'Resume' : 'Pause'} rollout of {role}
            </Button>
          </span>
        </Tooltip>
      </Box>
      {/* The buffer is the replicas at the new spec, the bar those of them Ready. */}
      <LinearProgress
        variant="buffer"
        value={pct(rollout.readyReplicas)}
        valueBuffer={pct(rollout.updatedReplicas)}
        aria-label={`${role}: ${rollout.updatedReplicas} of ${rollout.replicas} replicas at the new spec`}
      />
      <Typography variant="body2">
        {rollout.updatedReplicas} of {plural(rollout.replicas, 'replica')} at
        the new spec · {rollout.readyReplicas} Ready
        {rollout.surgeReplicas
          ? ` · ${plural(rollout.surgeReplicas, 'surge replica')}${rollout.surgeGpus ? ` (${plural(rollout.surgeGpus, 'extra GPU')})` : ''}`
          : ''}
      </Typography>
      {rollout.reason && (
        <Typography variant="body2" color="text.secondary">
          {rollout.paused ? 'Paused: ' : 'Waits: '}
          {rollout.reason}
        </Typography>
      )}
      <Typography variant="caption" color="text.secondary">
        Policy: at most {rollout.policy.maxUnavailable} down,{' '}
        {rollout.policy.maxSurge} surge
        {rollout.policy.partition
          ? `, replicas below ${rollout.policy.partition} stay`
          : ''}
        {rollout.configured ? '' : ' (defaults)'}
      </Typography>
      {waiting && (
        <Alert severity="info">
          {asked ? 'Pausing' : 'Resuming'}: the reconciler takes it up at its
          next pass.
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
    </Box>
  );
}

/**
 * The rollouts under way of a service, per role (issue 19): replicas at the new spec of N, Ready, surge replicas,
 * why it waits, and Pause / Resume (`POST …/rollout`; disabled, saying why, when the caller may not update the
 * service's entity).
 * Nothing when no role is rolling out.
 */
export function RolloutPanel(props: {
  detail: ServiceDetail;
  /** The entity page's own ref: used only when the backend does not report the service's `entityRef`. */
  entityRef: string;
}) {
  const { detail } = props;
  const update = usePermission({
    permission: fusioninferServiceUpdatePermission,
    resourceRef: detail.entityRef ?? props.entityRef,
  });
  const rolling = rollingRoles(detail);
  if (rolling.length === 0) return null;
  let cannotUpdate: string | undefined;
  if (update.loading) cannotUpdate = 'Checking your permission…';
  else if (!update.allowed)
    cannotUpdate = `Needs fusioninfer.service.update on ${detail.entityRef ?? props.entityRef}`;
  return (
    <Box
      component="section"
      aria-label="Rollout"
      sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}
    >
      <Typography variant="subtitle1" component="h3">
        Rollout
      </Typography>
      {rolling.map(r => (
        <RoleRolloutView
          key={r.role}
          detail={detail}
          role={r.role}
          rollout={r.rollout}
          cannotUpdate={cannotUpdate}
        />
      ))}
    </Box>
  );
}
