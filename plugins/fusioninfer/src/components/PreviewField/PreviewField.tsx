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

import { useEffect, useMemo, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import {
  ApplyDryRunResponse,
  ApprovalCheckResponse,
  InferenceService,
  renderInferenceService,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { errorInfo } from '../common';
import { manifestFromForm, PreviewUiOptions } from './manifest';
import { plural } from '../../lib/plural';
import { FindingList, PolicyLine } from '../PolicyVerdict';
import { PreflightReportView } from '../Preflight/PreflightReportView';

/** What the field stores in the form: the preview's verdict, so later steps (and `validation`) can use it. @public */
export interface PreviewValue {
  /** False: the step cannot go on (the service is invalid, or the backend's policy refuses it). */
  valid: boolean;
  /** The backend policy's verdict (absent until it answers): false means nothing can be applied, not even after approval. */
  allowed?: boolean;
  approvalRequired?: boolean;
  gpus?: number;
  pods?: number;
}

type Backend =
  | { state: 'idle' | 'loading' }
  | {
      state: 'done';
      check?: ApprovalCheckResponse;
      checkError?: string;
      dryRun?: ApplyDryRunResponse;
      dryRunError?: string;
    };

/**
 * The `FusionInferPreview` scaffolder field (`ui:field: FusionInferPreview`): while the form is filled in it shows
 * validation errors, the rendered children, pods and GPUs per role and gang scheduling (computed in the browser by
 * the same code the backend runs), then asks the backend (`POST /approvals/check` and `POST /apply` with
 * `dryRun: true`) whether approval will be needed and why, whether the cluster has room, and the pre-flight (will
 * vLLM start on the cluster's GPUs, KV cache, placement). Nothing is stored or applied.
 * @public
 */
export function FusionInferPreview(
  props: FieldExtensionComponentProps<PreviewValue, PreviewUiOptions>,
) {
  const { uiSchema, formContext, onChange, rawErrors, schema, name } = props;
  const options = (uiSchema?.['ui:options'] ?? {}) as PreviewUiOptions;
  const formData = (formContext?.formData ?? {}) as Record<string, unknown>;
  const api = useApi(fusioninferApiRef);
  const input = useMemo(
    () => manifestFromForm(formData, options, name),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [JSON.stringify(formData), JSON.stringify(options)],
  );
  const local = useMemo(() => {
    if (!input.ok) return undefined;
    const validation = validateInferenceService(input.manifest);
    const rendered = validation.valid
      ? renderInferenceService(input.manifest as unknown as InferenceService, {
          namespace: input.namespace,
        })
      : undefined;
    return { validation, rendered };
  }, [input]);
  const [backend, setBackend] = useState<Backend>({ state: 'idle' });
  const seq = useRef(0);
  const key = input.ok
    ? JSON.stringify([input.cluster, input.namespace, input.manifest])
    : '';
  const valid = !!local?.validation.valid;
  useEffect(() => {
    const mine = ++seq.current;
    if (!input.ok || !input.cluster || !valid) {
      setBackend({ state: 'idle' });
      return undefined;
    }
    setBackend({ state: 'loading' });
    const body = {
      cluster: input.cluster,
      namespace: input.namespace,
      manifest: input.manifest,
    };
    const t = setTimeout(async () => {
      const [check, dryRun] = await Promise.allSettled([
        api.checkApproval(body),
        api.apply({ ...body, dryRun: true }),
      ]);
      if (mine !== seq.current) return;
      const dry =
        dryRun.status === 'fulfilled' && dryRun.value.outcome === 'dry-run'
          ? dryRun.value
          : undefined;
      setBackend({
        state: 'done',
        check: check.status === 'fulfilled' ? check.value : undefined,
        checkError:
          check.status === 'rejected'
            ? errorInfo(check.reason as Error).message
            : undefined,
        dryRun: dry,
        dryRunError:
          dryRun.status === 'rejected'
            ? errorInfo(dryRun.reason as Error).message
            : undefined,
      });
    }, options.debounceMs ?? 600);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, valid, api]);

  const summary = local?.rendered?.summary;
  // The policy's verdict (team project, quota, pod security; absent from older backends). Refused: nothing can be
  // applied, not even after approval, so the step cannot go on and no approval is offered.
  const policy =
    backend.state === 'done'
      ? (backend.dryRun?.policy ?? backend.check?.policy)
      : undefined;
  const refused = policy?.allowed === false;
  const approvalRequired =
    backend.state === 'done' && !refused
      ? (backend.dryRun?.approvalRequired ?? backend.check?.required)
      : undefined;
  const reasons =
    backend.state === 'done'
      ? [
          ...new Set([
            ...(backend.dryRun?.reasons ?? []),
            ...(backend.check?.reasons ?? []),
          ]),
        ]
      : [];
  // Whether the cluster has room now (the backend's node and pod caches; absent from older backends).
  const capacityFit =
    backend.state === 'done'
      ? (backend.dryRun?.capacityFit ?? backend.check?.capacityFit)
      : undefined;
  // Whether each role's vLLM starts on the cluster's GPUs and whether the pods fit its nodes (absent from older
  // backends). An estimate: shown, never blocking the step.
  const preflight =
    backend.state === 'done'
      ? (backend.dryRun?.preflight ?? backend.check?.preflight)
      : undefined;
  const formInvalid = !input.ok && !!input.errors?.length;
  let nextValue: PreviewValue | undefined;
  if (formInvalid) nextValue = { valid: false };
  else if (input.ok)
    nextValue = {
      valid: valid && !refused,
      ...(policy ? { allowed: policy.allowed } : {}),
      ...(approvalRequired !== undefined ? { approvalRequired } : {}),
      ...(summary
        ? { gpus: summary.totals.gpus, pods: summary.totals.pods }
        : {}),
    };
  const valueKey = JSON.stringify(nextValue ?? null);
  useEffect(() => {
    onChange(nextValue as PreviewValue);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [valueKey]);

  const backendErrors =
    backend.state === 'done'
      ? [backend.checkError, backend.dryRunError].filter(
          (e): e is string => !!e,
        )
      : [];
  const serverValidation =
    backend.state === 'done' ? backend.dryRun?.validation : undefined;
  return (
    <Paper
      variant="outlined"
      sx={{ p: 2 }}
      component="section"
      aria-label={schema?.title ?? 'Deployment preview'}
    >
      <Typography variant="subtitle1" component="h3">
        {schema?.title ?? 'Preview'}
      </Typography>
      {schema?.description && (
        <Typography variant="body2" color="text.secondary">
          {schema.description}
        </Typography>
      )}
      {!input.ok && !input.errors?.length && (
        <Typography variant="body2" color="text.secondary" role="status">
          {input.message}
        </Typography>
      )}
      {!input.ok && !!input.errors?.length && (
        <Alert severity="error" sx={{ mt: 1 }}>
          <AlertTitle>{input.message}</AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {input.errors.map((e, i) => (
              <li key={i}>
                <code>{e.path || '(form)'}</code>: {e.message}
              </li>
            ))}
          </Box>
        </Alert>
      )}
      {local && !local.validation.valid && (
        <Alert severity="error" sx={{ mt: 1 }}>
          <AlertTitle>The InferenceService is not valid</AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {local.validation.errors.map((e, i) => (
              <li key={i}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </Box>
        </Alert>
      )}
      {local && local.validation.warnings.length > 0 && (
        <Alert severity="warning" sx={{ mt: 1 }}>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {local.validation.warnings.map((e, i) => (
              <li key={i}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </Box>
        </Alert>
      )}
      {summary && (
        <Box sx={{ mt: 1 }}>
          <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', mb: 1 }}>
            <Chip
              size="small"
              label={`${plural(summary.totals.children, 'child', 'children')} rendered`}
            />
            <Chip size="small" label={plural(summary.totals.pods, 'pod')} />
            <Chip size="small" label={plural(summary.totals.gpus, 'GPU')} />
            <Chip
              size="small"
              color={summary.gangScheduling ? 'info' : 'default'}
              label={
                summary.gangScheduling
                  ? 'gang scheduling (Volcano PodGroup): multi-node replicas start together'
                  : 'no gang scheduling'
              }
            />
            {summary.pdDisaggregated && (
              <Chip size="small" label="prefill/decode disaggregated" />
            )}
          </Box>
          <Table size="small" aria-label="Pods and GPUs per role">
            <TableHead>
              <TableRow>
                <TableCell>Role</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Replicas × nodes</TableCell>
                <TableCell align="right">Pods</TableCell>
                <TableCell align="right">GPUs</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {summary.roles.map(r => (
                <TableRow key={r.name}>
                  <TableCell>{r.name}</TableCell>
                  <TableCell>{r.componentType ?? '—'}</TableCell>
                  <TableCell align="right">
                    {r.replicas} × {r.nodesPerReplica}
                  </TableCell>
                  <TableCell align="right">{r.pods}</TableCell>
                  <TableCell align="right">
                    {Object.values(r.accelerators).reduce((a, b) => a + b, 0)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {input.ok && valid && !input.cluster && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          Choose a cluster to see whether approval is needed.
        </Typography>
      )}
      {backend.state === 'loading' && (
        <LinearProgress sx={{ mt: 1 }} aria-label="Asking the backend" />
      )}
      {backendErrors.map((e, i) => (
        <Alert key={i} severity="error" sx={{ mt: 1 }}>
          The backend refused the check: {e}
        </Alert>
      ))}
      {serverValidation && !serverValidation.valid && (
        <Alert severity="error" sx={{ mt: 1 }}>
          The backend reports:{' '}
          {serverValidation.errors
            .map(e => `${e.path}: ${e.message}`)
            .join('; ')}
        </Alert>
      )}
      {policy && refused && (
        <Alert severity="error" sx={{ mt: 1 }}>
          <AlertTitle>The policy refuses this deployment</AlertTitle>
          <FindingList findings={policy.denials} />
          Nothing can be applied, not even after approval: change what is listed
          to go on.
        </Alert>
      )}
      {policy && !refused && (
        <Box sx={{ mt: 1 }}>
          <PolicyLine policy={policy} />
        </Box>
      )}
      {approvalRequired !== undefined && (
        <Alert
          severity={approvalRequired ? 'warning' : 'success'}
          sx={{ mt: 1 }}
          role="status"
        >
          <AlertTitle>
            {approvalRequired
              ? 'Approval will be needed'
              : 'No approval needed'}
          </AlertTitle>
          {approvalRequired
            ? `A second person must approve this deployment before it is applied: ${reasons.join('; ')}.`
            : `The approval policy lets ${input.ok ? input.cluster : ''} take this deployment directly.`}
        </Alert>
      )}
      {capacityFit && (
        <Alert
          severity={capacityLook(capacityFit.fits).severity}
          sx={{ mt: 1 }}
          role="status"
          aria-label="Cluster capacity"
        >
          <AlertTitle>{capacityLook(capacityFit.fits).title}</AlertTitle>
          {capacityFit.fits === false
            ? `${capacityFit.message}; the pods would wait until GPUs are freed.`
            : capacityFit.message}
        </Alert>
      )}
      {preflight && (
        <Box sx={{ mt: 2 }}>
          <PreflightReportView
            report={preflight}
            headingComponent="h4"
            caption={`On cluster ${input.ok ? input.cluster : ''} as it is now: will vLLM start on its GPUs, and do the pods fit its nodes?`}
          />
        </Box>
      )}
      {rawErrors?.length ? (
        <Typography color="error" variant="body2" sx={{ mt: 1 }}>
          {rawErrors.join('; ')}
        </Typography>
      ) : null}
    </Paper>
  );
}

/** How the preview shows the backend's capacity verdict (`fits` absent: capacity unknown). */
function capacityLook(fits: boolean | undefined): {
  severity: 'info' | 'success' | 'warning';
  title: string;
} {
  if (fits === undefined)
    return { severity: 'info', title: 'Cluster capacity unknown' };
  return fits
    ? { severity: 'success', title: 'The cluster has room' }
    : { severity: 'warning', title: 'The cluster has no room now' };
}

/** Blocks the step while the previewed InferenceService is invalid or the backend's policy refuses it. */
export const fusionInferPreviewValidation: CustomFieldValidator<
  PreviewValue
> = (value, validation) => {
  if (value && value.allowed === false)
    validation.addError(
      'The policy refuses this deployment: change what the preview lists (nothing can be applied, not even after approval)',
    );
  else if (value && value.valid === false)
    validation.addError(
      'The InferenceService is not valid: fix the errors listed in the preview',
    );
};
