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

/* The endpoint picker's own view of the pool (the gateway side), or why there is none. */

import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { RoutingMetricsResponse } from '@fusioninfer/plugin-fusioninfer-common';
import { format } from '../../common';

const EPP_STATE_HELP: Record<string, string> = {
  'unavailable-auth':
    "The endpoint picker requires authentication for /metrics (GIE's --metrics-endpoint-auth defaults to true). Set fusioninfer.epp.disableMetricsAuth: true, grant the EPP's service account TokenReview/SubjectAccessReview rights, or read metrics from Prometheus (fusioninfer.prometheus).",
  unreachable:
    "The backend could not reach the endpoint picker's /metrics: its cluster identity needs get on pods/proxy.",
  'not-ready': 'The endpoint picker is not ready yet.',
  error: "The endpoint picker's /metrics could not be read.",
};

export function EppSummary(props: { epp: RoutingMetricsResponse['epp'] }) {
  const { epp } = props;
  const eppMetrics = epp.metrics;
  return (
    <Box component="section" aria-label="Endpoint picker metrics">
      <Typography variant="subtitle2" component="h4">
        Endpoint picker (gateway view)
      </Typography>
      {epp.state === 'ok' && eppMetrics && (
        <Typography variant="body2">
          {format.rate(eppMetrics.requestRate)} requests,{' '}
          {format.rate(eppMetrics.errorRate)} errors · latency p50{' '}
          {format.seconds(eppMetrics.latency?.p50)} / p95{' '}
          {format.seconds(eppMetrics.latency?.p95)} / p99{' '}
          {format.seconds(eppMetrics.latency?.p99)}
          {eppMetrics.prefixIndexerHitRatio !== undefined
            ? ` · prefix index hit ratio ${format.percent(eppMetrics.prefixIndexerHitRatio)}`
            : ''}
          {Object.keys(eppMetrics.disaggDecisions).length
            ? ` · P/D decisions ${Object.entries(eppMetrics.disaggDecisions)
                .map(([k, v]) => `${k} ${format.count(v)}`)
                .join(', ')}`
            : ''}
          {eppMetrics.buildRef ? ` · build ${eppMetrics.buildRef}` : ''}
        </Typography>
      )}
      {epp.state === 'no-router' && (
        <Typography variant="body2" color="text.secondary">
          No router role, so no endpoint picker.
        </Typography>
      )}
      {epp.state !== 'no-router' && !(epp.state === 'ok' && eppMetrics) && (
        <Alert severity="info" role="status">
          <AlertTitle>
            Endpoint picker metrics unavailable ({epp.state})
          </AlertTitle>
          {epp.message ? `${epp.message}. ` : ''}
          {EPP_STATE_HELP[epp.state] ?? ''}
        </Alert>
      )}
    </Box>
  );
}
