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

/* The per-role and per-endpoint tables of the Metrics tab. */

import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import type {
  RoutingEndpoint,
  RoutingMetricsResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { format } from '../../common';

/** What to do when an endpoint has no numbers. */
export const ENDPOINT_STATE_HELP: Record<
  Exclude<RoutingEndpoint['state'], 'ok'>,
  string
> = {
  'not-ready':
    'The pod is not ready yet; numbers appear once its model server answers.',
  unreachable:
    "The backend could not reach the pod's /metrics through the API server's pod proxy: its cluster identity needs get on pods/proxy in this namespace.",
  error: 'The model server answered, but its /metrics could not be read.',
};

/** Table cells stay on one line (no "Runni ng"); the table scrolls sideways in its container instead. */
const ONE_LINE = {
  '& th, & td': { whiteSpace: 'nowrap' },
} as const;

/** The roles' aggregates, when the service has more than one role. */
export function RoleTable(props: { metrics: RoutingMetricsResponse }) {
  const m = props.metrics;
  if (Object.keys(m.roles).length <= 1) return null;
  return (
    <TableContainer>
      <Table size="small" aria-label="Per role" sx={ONE_LINE}>
        <TableHead>
          <TableRow>
            <TableCell>Role</TableCell>
            <TableCell align="right">Endpoints</TableCell>
            <TableCell align="right">Requests/s</TableCell>
            <TableCell align="right">Running</TableCell>
            <TableCell align="right">Waiting</TableCell>
            <TableCell align="right">KV cache</TableCell>
            <TableCell align="right">TTFT p95 (worst)</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {Object.entries(m.roles).map(([role, a]) => (
            <TableRow key={role}>
              <TableCell>{role}</TableCell>
              <TableCell align="right">
                {a.reporting}/{a.endpoints}
              </TableCell>
              <TableCell align="right">{format.rate(a.requestRate)}</TableCell>
              <TableCell align="right">{format.count(a.running)}</TableCell>
              <TableCell align="right">{format.count(a.waiting)}</TableCell>
              <TableCell align="right">
                {format.percent(a.kvCacheUsage)}
              </TableCell>
              <TableCell align="right">
                {format.seconds(a.worstTtftP95)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** One row per endpoint (leader pod): load, cache, latencies, LoRA adapters, and why a row has no numbers. */
export function EndpointTable(props: { endpoints: RoutingEndpoint[] }) {
  return (
    <TableContainer>
      <Table size="small" aria-label="Endpoints" sx={ONE_LINE}>
        <TableHead>
          <TableRow>
            <TableCell>Endpoint (leader pod)</TableCell>
            <TableCell>Role</TableCell>
            <TableCell>State</TableCell>
            <TableCell align="right">Running</TableCell>
            <TableCell align="right">Waiting</TableCell>
            <TableCell align="right">KV cache</TableCell>
            <TableCell align="right">Prefix hits</TableCell>
            <TableCell align="right">Requests/s</TableCell>
            <TableCell align="right">TTFT p50/p95</TableCell>
            <TableCell align="right">ITL p50/p95</TableCell>
            <TableCell>LoRA adapters</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.endpoints.map(e => {
            const x = e.metrics;
            return (
              <TableRow key={e.pod}>
                <TableCell>
                  <code>{e.pod}</code>
                </TableCell>
                <TableCell>{e.role}</TableCell>
                <TableCell>
                  <Chip
                    size="small"
                    label={e.state}
                    color={e.state === 'ok' ? 'success' : 'default'}
                    title={
                      e.state === 'ok'
                        ? undefined
                        : `${e.message ? `${e.message}. ` : ''}${ENDPOINT_STATE_HELP[e.state]}`
                    }
                  />
                </TableCell>
                <TableCell align="right">{format.count(x?.running)}</TableCell>
                <TableCell align="right">{format.count(x?.waiting)}</TableCell>
                <TableCell align="right">
                  {format.percent(x?.kvCacheUsage)}
                </TableCell>
                <TableCell align="right">
                  {format.percent(x?.prefixCacheHitRate)}
                </TableCell>
                <TableCell align="right">
                  {format.rate(x?.requestRate)}
                </TableCell>
                <TableCell align="right">
                  {format.seconds(x?.ttft?.p50)} /{' '}
                  {format.seconds(x?.ttft?.p95)}
                </TableCell>
                <TableCell align="right">
                  {format.seconds(x?.itl?.p50)} / {format.seconds(x?.itl?.p95)}
                </TableCell>
                <TableCell>
                  {x?.lora
                    ? `${x.lora.running.join(', ') || 'none'} running${x.lora.waiting.length ? `; ${x.lora.waiting.join(', ')} waiting` : ''}${x.lora.maxLora !== undefined ? ` (max ${x.lora.maxLora})` : ''}`
                    : '—'}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
