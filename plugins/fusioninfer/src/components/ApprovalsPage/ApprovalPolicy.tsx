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

/* Why a request needs approval: the reasons, the policy's verdict, and the GPUs and pods it asks for. */

import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { ApprovalRequest } from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../../lib/plural';
import { FindingList, podSecurityText, QuotaUse } from '../PolicyVerdict';

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

/** The reasons approval is needed, the policy's verdict and the GPU and pod summary. */
export function ApprovalPolicy(props: { a: ApprovalRequest }) {
  const { a } = props;
  return (
    <>
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
    </>
  );
}
