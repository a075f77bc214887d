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
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import type {
  ShowbackResponse,
  TeamShowback,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView, errorInfo } from '../common';
import { SHOWBACK_REFRESH_MS } from './ServiceCostRow';
import { money, percent, perMillion } from './format';

/** GPU-hours with the decimals a small number needs (a few minutes of one GPU is 0.05). */
const hours = (h: number) => h.toFixed(h < 10 ? 2 : 1);

const monthName = (iso: string) =>
  new Date(iso).toLocaleString('en-US', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });

/** The budget's line, bar and (at 80 % and 100 % spent, or projected over) its warning. */
function Budget(props: {
  team: TeamShowback;
  currency: string;
  month: string;
}) {
  const { team, currency, month } = props;
  const b = team.budget;
  if (!b)
    return (
      <Typography variant="body2" color="text.secondary">
        No monthly budget is set for{' '}
        {team.project ? `project ${team.project}` : 'this team'}{' '}
        (fusioninfer.projects.&lt;project&gt;.budget).
      </Typography>
    );
  const spent = money(team.monthToDate.totalCost, currency);
  const of = money(b.monthly, currency);
  const projected = money(team.projectedMonth.totalCost, currency);
  const color = {
    ok: 'primary',
    'projected-over': 'warning',
    warning: 'warning',
    exceeded: 'error',
  } as const;
  return (
    <Box>
      <Typography variant="body2">
        {spent} of {of} spent in {month} ({percent(b.spentShare)}) · projected{' '}
        {projected} ({percent(b.projectedShare)})
      </Typography>
      <LinearProgress
        variant="determinate"
        value={Math.min(100, b.spentShare * 100)}
        color={color[b.status]}
        aria-label={`Budget spent: ${percent(b.spentShare)}`}
        sx={{ height: 8, borderRadius: 1, my: 1 }}
      />
      {b.status === 'exceeded' && (
        <Alert severity="error" role="alert">
          <AlertTitle>Budget exceeded</AlertTitle>
          {team.project ? `Project ${team.project}` : 'This team'} has spent{' '}
          {spent}, {percent(b.spentShare)} of its monthly budget of {of}.
        </Alert>
      )}
      {b.status === 'warning' && (
        <Alert severity="warning" role="alert">
          <AlertTitle>80 % of the budget spent</AlertTitle>
          {spent} of {of} spent in {month}; at this rate the month ends at{' '}
          {projected}.
        </Alert>
      )}
      {b.status === 'projected-over' && (
        <Alert severity="warning" role="alert">
          <AlertTitle>Projected over budget</AlertTitle>
          At the rate of this month so far, {month} ends at {projected},{' '}
          {percent(b.projectedShare)} of the budget of {of}.
        </Alert>
      )}
    </Box>
  );
}

function TeamSection(props: { body: ShowbackResponse; team: TeamShowback }) {
  const { body, team } = props;
  const c = body.currency;
  const services = body.services.filter(s => s.team === team.team);
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1.5 }}>
      <Box
        component="dl"
        sx={{
          display: 'grid',
          gridTemplateColumns: 'max-content 1fr',
          columnGap: 2,
          rowGap: 0.25,
          m: 0,
          '& dt': { color: 'text.secondary' },
          '& dd': { m: 0 },
        }}
      >
        <Typography component="dt" variant="body2">
          Now
        </Typography>
        <Typography component="dd" variant="body2">
          {money(team.costPerHourNow, c)}/h for {team.gpusNow} GPUs
        </Typography>
        <Typography component="dt" variant="body2">
          Tokens
        </Typography>
        <Typography component="dd" variant="body2">
          {perMillion(team, c)}
        </Typography>
        <Typography component="dt" variant="body2">
          Idle
        </Typography>
        <Typography component="dd" variant="body2">
          {percent(team.idleShare)} of {hours(team.gpuHours)} GPU-hours
          {team.unmeasuredGpuHours > 0
            ? ` (${hours(team.unmeasuredGpuHours)} not measured)`
            : ''}
        </Typography>
        {team.quota && (
          <>
            <Typography component="dt" variant="body2">
              Quota
            </Typography>
            <Typography component="dd" variant="body2">
              {team.quota.gpus} GPUs ({money(team.quota.monthlyCost, c)} a month
              if held throughout) · {percent(team.quota.heldShare)} of its
              GPU-hours held this month
            </Typography>
          </>
        )}
      </Box>
      <Budget team={team} currency={c} month={monthName(body.month.start)} />
      {services.length > 0 && (
        <Box sx={{ overflowX: 'auto' }}>
          <Table
            size="small"
            aria-label={`Services of ${team.team}`}
            // Figures and their headings on one line each; the service name may wrap.
            sx={{ '& th, & td:not(:first-of-type)': { whiteSpace: 'nowrap' } }}
          >
            <TableHead>
              <TableRow>
                <TableCell>Service</TableCell>
                <TableCell align="right">GPUs now</TableCell>
                <TableCell align="right">Per hour</TableCell>
                <TableCell align="right">This month</TableCell>
                <TableCell align="right">Projected</TableCell>
                <TableCell align="right">Per 1M tokens</TableCell>
                <TableCell align="right">Idle</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {services.map(s => (
                <TableRow key={`${s.cluster}/${s.namespace}/${s.name}`}>
                  <TableCell>
                    <Typography variant="body2">
                      {s.namespace}/{s.name}
                    </Typography>
                    <Typography variant="caption" color="text.secondary">
                      {s.cluster}
                    </Typography>
                  </TableCell>
                  <TableCell align="right">{s.gpusNow}</TableCell>
                  <TableCell align="right">
                    {money(s.costPerHourNow, c)}
                  </TableCell>
                  <TableCell align="right">
                    {money(s.monthToDate.totalCost, c)}
                  </TableCell>
                  <TableCell align="right">
                    {money(s.projectedMonth.totalCost, c)}
                  </TableCell>
                  <TableCell align="right" title={perMillion(s, c)}>
                    {money(s.costPerMillionTokens, c)}
                  </TableCell>
                  <TableCell align="right">{percent(s.idleShare)}</TableCell>
                </TableRow>
              ))}
              <TableRow>
                <TableCell>
                  <strong>Total</strong>
                </TableCell>
                <TableCell align="right">{team.gpusNow}</TableCell>
                <TableCell align="right">
                  {money(team.costPerHourNow, c)}
                </TableCell>
                <TableCell align="right">
                  <strong>{money(team.monthToDate.totalCost, c)}</strong>
                </TableCell>
                <TableCell align="right">
                  {money(team.projectedMonth.totalCost, c)}
                </TableCell>
                <TableCell align="right">
                  {money(team.costPerMillionTokens, c)}
                </TableCell>
                <TableCell align="right">{percent(team.idleShare)}</TableCell>
              </TableRow>
            </TableBody>
          </Table>
        </Box>
      )}
    </Box>
  );
}

/**
 * Showback of a team on its Group entity: what its services cost now and this month, per million tokens and idle,
 * its project's budget with a warning at 80 % and 100 % spent (and when the month is projected over it), its quota,
 * and each service. Covers the services the viewer may read.
 * @public
 */
export function TeamShowbackCard() {
  const { entity } = useEntity();
  const api = useApi(fusioninferApiRef);
  const team = stringifyEntityRef(entity);
  const state = usePolling(
    () => api.getShowback({ team }),
    [team],
    SHOWBACK_REFRESH_MS,
  );
  const body = state.value;
  const mine = body?.teams.find(t => t.team === team);
  const error = state.error && errorInfo(state.error);
  return (
    <InfoCard
      title="GPU spend"
      subheader={
        body ? `${monthName(body.month.start)}, ${body.currency}` : undefined
      }
    >
      {state.loading && !body && <Progress />}
      {state.error &&
        (error?.status === 503 && /showback/.test(error.message) ? (
          <Typography variant="body2" color="text.secondary">
            Showback is not configured on this portal (fusioninfer.showback).
          </Typography>
        ) : (
          <ErrorView error={state.error} action="read the team's GPU spend" />
        ))}
      {body?.errors.map((e, i) => (
        <Alert key={i} severity="warning" sx={{ mb: 1 }}>
          {e.cluster ? `${e.cluster}: ` : ''}
          {e.message}
        </Alert>
      ))}
      {body && !mine && (
        <Typography variant="body2" color="text.secondary">
          No InferenceService of {team} has run this month (or none you may
          read).
        </Typography>
      )}
      {body && mine && <TeamSection body={body} team={mine} />}
      {body && (
        <Typography
          variant="caption"
          color="text.secondary"
          component="p"
          sx={{ mt: 1 }}
        >
          {body.source === 'opencost'
            ? "Costs from OpenCost's allocation API"
            : 'Costs from the price sheet'}
          ; sums of the services you may read; month in UTC.
        </Typography>
      )}
    </InfoCard>
  );
}
