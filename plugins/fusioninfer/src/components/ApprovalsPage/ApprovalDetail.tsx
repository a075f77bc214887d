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

import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { fusioninferApprovalDecidePermission } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView, errorInfo } from '../common';
import { approvalChanges, ChangesList, ManifestView } from './ApprovalChanges';
import { ApprovalPolicy } from './ApprovalPolicy';
import { ApprovalAlerts, ApprovalSummary } from './ApprovalSummary';
import {
  DecisionControls,
  DecisionDialog,
  useDecision,
} from './DecisionDialog';
import { refusedForQuota } from './RaiseQuota';
import { PreflightReportView } from '../Preflight/PreflightReportView';

export { ApprovalStatusChip } from './ApprovalSummary';

/**
 * One approval request: summary, policy reasons, the pre-flight (pending requests), what it would change, the
 * manifest, and the decision.
 */
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
  const decision = useDecision(
    async (kind, comment) => {
      if (kind === 'cancel') await api.cancelApproval(id);
      else if (kind === 'retry') await api.retryApproval(id);
      else
        await api.decideApproval(id, {
          approve: kind === 'approve',
          ...(comment ? { comment } : {}),
        });
    },
    async () => {
      await request.refresh();
      onChanged();
    },
  );

  if (request.loading && !a)
    return <LinearProgress aria-label="Loading the request" />;
  if (!a && request.error)
    return (
      <ErrorView error={request.error} action="read this approval request" />
    );
  if (!a) return null;
  const own = !!me && a.requestedBy === me;
  const pending = a.status === 'pending';
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
  return (
    <Paper
      variant="outlined"
      sx={{ p: 2 }}
      component="section"
      aria-label={`Approval request ${a.id}`}
    >
      <ApprovalSummary a={a} taskPath={taskPath} />
      <ApprovalAlerts
        a={a}
        quotaRefusal={quotaRefusal}
        canRetry={!!decide.allowed && !own}
        busy={decision.busy}
        onRetry={() => decision.setConfirm('retry')}
      />
      <ApprovalPolicy a={a} />
      {pending && a.preflight && (
        <Box sx={{ mt: 2 }}>
          <PreflightReportView
            report={a.preflight}
            headingComponent="h3"
            headingVariant="subtitle2"
            caption={`Checked now on cluster ${a.cluster}, not when the request was filed: whether vLLM starts on its GPUs and whether the pods fit its nodes if this is approved.`}
          />
        </Box>
      )}
      <ChangesList changes={changes} liveError={live.error} />
      {a.manifest !== undefined && <ManifestView manifest={a.manifest} />}
      {pending && (
        <DecisionControls
          a={a}
          decision={decision}
          own={own}
          allowed={decide.allowed}
          checking={decide.loading}
          decideBlocked={decideBlocked}
          approveDescribedBy={approveDescribedBy}
        />
      )}
      <DecisionDialog a={a} decision={decision} refused={refused} />
    </Paper>
  );
}
