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
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalRequiredResponse,
  fusioninferServiceDeletePermission,
  fusioninferServiceUpdatePermission,
  ROUTING_STRATEGIES,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { errorInfo } from '../common';
import { plural } from '../../lib/plural';

/** What an action did, for the convergence banner. */
export type ActionResult =
  | {
      kind: 'scale';
      role: string;
      replicas: number;
      generation?: number;
    }
  | { kind: 'strategy'; strategy: string }
  | { kind: 'delete' }
  | { kind: 'approval-required'; response: ApprovalRequiredResponse };

type DialogKind = 'scale' | 'strategy' | 'delete' | undefined;

/**
 * Scale a role, change the routing strategy, delete the service — each shown only when the permission policy allows
 * it on the service's entity (`fusioninfer.service.update` / `.delete`), each behind a confirmation.
 */
export function ServiceActions(props: {
  detail: ServiceDetail;
  /** The entity page's own ref: used only when the backend does not report the service's `entityRef`. */
  entityRef: string;
  onDone: (result: ActionResult) => void;
}) {
  const { detail, onDone } = props;
  // The backend checks the permissions on the service's entity, which need not be the page's entity.
  const entityRef = detail.entityRef ?? props.entityRef;
  const api = useApi(fusioninferApiRef);
  const update = usePermission({
    permission: fusioninferServiceUpdatePermission,
    resourceRef: entityRef,
  });
  const del = usePermission({
    permission: fusioninferServiceDeletePermission,
    resourceRef: entityRef,
  });
  const workloads = detail.spec.roles.filter(r => r.componentType !== 'router');
  const router = detail.spec.roles.find(r => r.componentType === 'router');
  const [dialog, setDialog] = useState<DialogKind>();
  const [role, setRole] = useState(workloads[0]?.name ?? '');
  const current = workloads.find(r => r.name === role);
  const [replicas, setReplicas] = useState<string>('');
  const [strategy, setStrategy] = useState<string>(
    detail.router?.strategy && detail.router.strategy !== 'custom'
      ? detail.router.strategy
      : 'prefix-cache',
  );
  const [confirmName, setConfirmName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const ref = {
    cluster: detail.cluster,
    namespace: detail.namespace,
    name: detail.name,
  };
  const close = () => {
    setDialog(undefined);
    setError(undefined);
    setBusy(false);
    setConfirmName('');
  };
  const run = async (fn: () => Promise<ActionResult>) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await fn();
      close();
      onDone(result);
    } catch (e) {
      const i = errorInfo(e as Error);
      setError(i.message);
      setBusy(false);
    }
  };
  const replicasNumber = replicas === '' ? NaN : Number(replicas);
  const replicasError =
    replicas !== '' &&
    (!Number.isInteger(replicasNumber) ||
      replicasNumber < 0 ||
      replicasNumber > 10000)
      ? 'replicas: an integer between 0 and 10000'
      : undefined;
  const hasPD = workloads.some(r => r.componentType === 'prefiller');
  const strategies = ROUTING_STRATEGIES.filter(
    s => s !== 'pd-disaggregation' || hasPD,
  );
  const canUpdate = update.allowed && !update.loading;
  const canDelete = del.allowed && !del.loading;
  if (!canUpdate && !canDelete) return null;
  return (
    <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
      {canUpdate && workloads.length > 0 && (
        <Button
          size="small"
          variant="outlined"
          onClick={() => {
            setReplicas(String(current?.replicas ?? 1));
            setDialog('scale');
          }}
        >
          Scale
        </Button>
      )}
      {canUpdate && router && (
        <Button
          size="small"
          variant="outlined"
          onClick={() => setDialog('strategy')}
        >
          Change strategy
        </Button>
      )}
      {canDelete && (
        <Button
          size="small"
          variant="outlined"
          color="error"
          onClick={() => setDialog('delete')}
        >
          Delete
        </Button>
      )}

      <Dialog open={dialog === 'scale'} onClose={close} fullWidth maxWidth="xs">
        <DialogTitle>Scale {detail.name}</DialogTitle>
        <DialogContent>
          <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2, pt: 1 }}>
            <TextField
              select
              label="Role"
              value={role}
              onChange={e => {
                setRole(e.target.value);
                setReplicas(
                  String(
                    workloads.find(r => r.name === e.target.value)?.replicas ??
                      1,
                  ),
                );
              }}
            >
              {workloads.map(r => (
                <MenuItem key={r.name} value={r.name}>
                  {r.name} ({r.componentType},{' '}
                  {plural(r.replicas ?? 1, 'replica')})
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Replicas"
              type="number"
              value={replicas}
              onChange={e => setReplicas(e.target.value)}
              error={!!replicasError}
              helperText={
                replicasError ??
                (current && Number.isInteger(replicasNumber)
                  ? `${current.replicas ?? 1} → ${plural(replicasNumber, 'replica')} of ${plural(current.nodesPerReplica, 'pod')} each`
                  : ' ')
              }
              inputProps={{ min: 0, max: 10000, step: 1 }}
            />
            {error && <Alert severity="error">{error}</Alert>}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="contained"
            disabled={
              busy ||
              !!replicasError ||
              !Number.isInteger(replicasNumber) ||
              replicasNumber === (current?.replicas ?? 1)
            }
            onClick={() =>
              run(async () => {
                const r = await api.scale(ref, {
                  role,
                  replicas: replicasNumber,
                });
                if (r.outcome === 'approval-required')
                  return { kind: 'approval-required', response: r };
                return {
                  kind: 'scale',
                  role,
                  replicas: replicasNumber,
                  generation: r.generation,
                };
              })
            }
          >
            Scale {role} to{' '}
            {Number.isInteger(replicasNumber) ? replicasNumber : '…'}
          </Button>
        </DialogActions>
      </Dialog>

      <Dialog
        open={dialog === 'strategy'}
        onClose={close}
        fullWidth
        maxWidth="xs"
      >
        <DialogTitle>Routing strategy of {detail.name}</DialogTitle>
        <DialogContent>
          <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2, pt: 1 }}>
            <DialogContentText>
              The endpoint picker is reconfigured and restarts; requests keep
              flowing through the gateway.
              {detail.router?.strategy === 'custom'
                ? ' This service has a custom endpointPickerConfig, which takes precedence over the strategy.'
                : ''}
            </DialogContentText>
            <TextField
              select
              label="Strategy"
              value={strategy}
              onChange={e => setStrategy(e.target.value)}
            >
              {strategies.map(s => (
                <MenuItem key={s} value={s}>
                  {s}
                </MenuItem>
              ))}
            </TextField>
            {error && <Alert severity="error">{error}</Alert>}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="contained"
            disabled={busy || strategy === detail.router?.strategy}
            onClick={() =>
              run(async () => {
                const r = await api.setStrategy(ref, {
                  strategy: strategy as (typeof ROUTING_STRATEGIES)[number],
                });
                if (r.outcome === 'approval-required')
                  return { kind: 'approval-required', response: r };
                return { kind: 'strategy', strategy: r.strategy };
              })
            }
          >
            Use {strategy}
          </Button>
        </DialogActions>
      </Dialog>

      <Dialog
        open={dialog === 'delete'}
        onClose={close}
        fullWidth
        maxWidth="xs"
      >
        <DialogTitle>Delete {detail.name}?</DialogTitle>
        <DialogContent>
          <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2, pt: 1 }}>
            <DialogContentText>
              This deletes the InferenceService {detail.namespace}/{detail.name}{' '}
              in cluster {detail.cluster} and, through garbage collection, its
              LeaderWorkerSets, pods, PodGroup, endpoint picker, InferencePool
              and HTTPRoute. Type the service name to confirm.
            </DialogContentText>
            <TextField
              label="Service name"
              value={confirmName}
              onChange={e => setConfirmName(e.target.value)}
              autoComplete="off"
            />
            {error && <Alert severity="error">{error}</Alert>}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="contained"
            color="error"
            disabled={busy || confirmName !== detail.name}
            onClick={() =>
              run(async () => {
                await api.deleteService(ref);
                return { kind: 'delete' };
              })
            }
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
