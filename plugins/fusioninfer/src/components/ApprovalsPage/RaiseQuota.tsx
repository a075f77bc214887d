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
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalRequest,
  fusioninferProjectQuotaUpdatePermission,
  MAX_PROJECT_QUOTA_GPUS,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { errorInfo } from '../common';
import { plural } from '../../lib/plural';

/**
 * Whether a request was refused for its team project's GPU quota: by the verdict stored with it, or by the policy
 * when its approved execution ran (`… [project.quota]`).
 */
export function refusedForQuota(a: ApprovalRequest): boolean {
  return (
    !!a.policy?.project &&
    (a.policy.denials.some(d => d.rule === 'project.quota') ||
      (a.execution?.state === 'failed' &&
        !!a.execution.message?.includes('[project.quota]')))
  );
}

/**
 * "Raise quota" for a viewer who may update the project's quota (`fusioninfer.project.quota.update` on the project):
 * a dialog with the new GPU quota of the project in the request's cluster and a reason. Nothing for anybody else.
 */
export function RaiseQuota(props: {
  request: ApprovalRequest;
  onRaised?: () => void;
}) {
  const { request: a, onRaised } = props;
  const api = useApi(fusioninferApiRef);
  const project = a.policy?.project ?? '';
  const cluster = a.policy?.quota?.cluster ?? a.cluster;
  const quota = a.policy?.quota;
  const may = usePermission({
    permission: fusioninferProjectQuotaUpdatePermission,
    resourceRef: project,
  });
  const [open, setOpen] = useState(false);
  const [gpus, setGpus] = useState(
    String(Math.ceil(Math.max(quota?.after ?? 0, quota?.limit ?? 0))),
  );
  const [reason, setReason] = useState(`approval request ${a.id}`);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [raised, setRaised] = useState<number>();
  if (!project || may.loading || !may.allowed) return null;
  const value = Number(gpus);
  const gpusValid =
    gpus.trim() !== '' &&
    Number.isFinite(value) &&
    value >= 0 &&
    value <= MAX_PROJECT_QUOTA_GPUS;
  const reasonValid = reason.trim().length > 0 && reason.length <= 500;
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const p = await api.setProjectQuota(
        { project, cluster },
        { gpus: value, reason: reason.trim() },
      );
      setRaised(p.quotas.find(q => q.cluster === cluster)?.limit ?? value);
      setOpen(false);
      onRaised?.();
    } catch (e) {
      setError(errorInfo(e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {raised !== undefined ? (
        <Typography variant="body2" component="span" role="status">
          Quota now {plural(raised, 'GPU')}
        </Typography>
      ) : (
        <Button
          color="inherit"
          size="small"
          onClick={() => setOpen(true)}
          aria-haspopup="dialog"
        >
          Raise quota
        </Button>
      )}
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>
          Raise the GPU quota of {project} in {cluster}
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {quota
              ? `The quota is ${plural(quota.limit, 'GPU')}; this request needs ${plural(quota.after, 'GPU')} in all. `
              : ''}
            The new quota replaces the configured one until it is reset, for
            every change of the project. The backend checks it again when it
            applies an approved request.
          </DialogContentText>
          <TextField
            label="GPU quota"
            type="number"
            value={gpus}
            onChange={e => setGpus(e.target.value)}
            error={!gpusValid}
            helperText={
              gpusValid
                ? undefined
                : `A number from 0 to ${MAX_PROJECT_QUOTA_GPUS}`
            }
            inputProps={{ min: 0, max: MAX_PROJECT_QUOTA_GPUS }}
            fullWidth
            margin="normal"
          />
          <TextField
            label="Reason"
            value={reason}
            onChange={e => setReason(e.target.value)}
            error={!reasonValid}
            helperText={
              reasonValid ? undefined : 'Say why (at most 500 characters)'
            }
            inputProps={{ maxLength: 500 }}
            fullWidth
            margin="normal"
          />
          {error && (
            <Alert severity="error" sx={{ mt: 1 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Back</Button>
          <Button
            variant="contained"
            disabled={busy || !gpusValid || !reasonValid}
            onClick={save}
          >
            Set quota
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
