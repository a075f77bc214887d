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
import Typography from '@mui/material/Typography';
import type { RoutingMetricsResponse } from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../../lib/plural';
import { MetricsCharts } from './metrics/charts';
import {
  ENDPOINT_STATE_HELP,
  EndpointTable,
  RoleTable,
} from './metrics/EndpointTables';
import { EppSummary } from './metrics/EppSummary';
import { PoolTiles } from './metrics/PoolTiles';

/** Routing metrics: pool tiles, time series from the backend's history, per-role and per-endpoint tables, the EPP view. */
export function MetricsPanel(props: { metrics: RoutingMetricsResponse }) {
  const m = props.metrics;
  const okEndpoints = m.endpoints.filter(e => e.state === 'ok');
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <Typography variant="body2" color="text.secondary">
        {plural(m.endpoints.length, 'endpoint')} ({m.pool.reporting} reporting)
        · source {m.source} · collected{' '}
        {new Date(m.collectedAt).toLocaleTimeString()}
        {m.poolName ? ` · pool ${m.poolName}` : ''}
      </Typography>
      {m.endpoints.length > 0 && okEndpoints.length === 0 && (
        <Alert severity="info" role="status">
          <AlertTitle>No routing metrics yet</AlertTitle>
          {[...new Set(m.endpoints.map(e => e.state))]
            .filter((s): s is Exclude<typeof s, 'ok'> => s !== 'ok')
            .map(s => `${s}: ${ENDPOINT_STATE_HELP[s]}`)
            .join(' ')}
        </Alert>
      )}
      {m.endpoints.length === 0 && (
        <Alert severity="info" role="status">
          <AlertTitle>No endpoints</AlertTitle>
          The service has no leader pods yet (or is scaled to zero); endpoints
          are the LeaderWorkerSet leaders the InferencePool selects.
        </Alert>
      )}
      {m.warnings.map((w, i) => (
        <Alert key={i} severity="warning">
          {w}
        </Alert>
      ))}
      {okEndpoints.length > 0 && okEndpoints.length < m.endpoints.length && (
        <Alert severity="info" role="status">
          {Object.entries(
            m.endpoints
              .filter(e => e.state !== 'ok')
              .reduce<Record<string, number>>(
                (acc, e) => ({ ...acc, [e.state]: (acc[e.state] ?? 0) + 1 }),
                {},
              ),
          )
            .map(
              ([state, n]) =>
                `${plural(n, 'endpoint')} ${state}: ${ENDPOINT_STATE_HELP[state as keyof typeof ENDPOINT_STATE_HELP]}`,
            )
            .join(' ')}
        </Alert>
      )}
      <PoolTiles metrics={m} />
      <MetricsCharts metrics={m} />
      <RoleTable metrics={m} />
      <EndpointTable endpoints={m.endpoints} />
      <EppSummary epp={m.epp} />
    </Box>
  );
}
