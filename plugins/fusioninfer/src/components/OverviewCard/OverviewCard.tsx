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
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  serviceState,
  type ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView, format, StateChip } from '../common';

const CARD_REFRESH_MS = 30_000;

function ServiceRow(props: { detail: ServiceDetail }) {
  const { detail } = props;
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name, generation } = detail;
  const ref = { cluster, namespace, name };
  const children = usePolling(
    () => api.getChildren(ref),
    [cluster, namespace, name, generation],
  );
  const metrics = usePolling(
    () => (detail.router ? api.getMetrics(ref) : Promise.resolve(undefined)),
    [cluster, namespace, name],
    detail.router ? CARD_REFRESH_MS : 0,
  );
  const state = serviceState(detail);
  const ttft = metrics.value?.pool.worstTtftP95;
  return (
    <TableRow>
      <TableCell>
        <Typography variant="body2">
          {namespace}/{name}
        </Typography>
        <Typography variant="caption" color="text.secondary">
          {cluster}
        </Typography>
      </TableCell>
      <TableCell>
        <StateChip kind={state.kind} message={state.message} />
      </TableCell>
      <TableCell align="right">
        {detail.status.readyReplicas ?? 0} / {detail.status.replicas ?? 0}
      </TableCell>
      <TableCell align="right">
        {children.value?.summary?.totals.gpus ?? (children.error ? '?' : '…')}
      </TableCell>
      <TableCell>{detail.router?.strategy ?? '—'}</TableCell>
      <TableCell
        align="right"
        title={
          metrics.error
            ? metrics.error.message
            : 'worst p95 time to first token among the endpoints'
        }
      >
        {detail.router ? format.seconds(ttft) : '—'}
      </TableCell>
    </TableRow>
  );
}

/**
 * Overview card for the entity page: per service its state, ready / desired replicas, GPUs, strategy and TTFT p95.
 * @public
 */
export function OverviewCard() {
  const { entity } = useEntity();
  const api = useApi(fusioninferApiRef);
  const entityRef = stringifyEntityRef(entity);
  const state = usePolling(
    () => api.getEntityServices(getCompoundEntityRef(entity)),
    [entityRef],
    CARD_REFRESH_MS,
  );
  return (
    <InfoCard title="Inference">
      {state.loading && !state.value && <Progress />}
      {state.error && (
        <ErrorView error={state.error} action="read the FusionInfer services" />
      )}
      {state.value && state.value.items.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No InferenceService belongs to this entity.
        </Typography>
      )}
      {state.value?.errors.map((e, i) => (
        <Alert key={i} severity="warning" sx={{ mb: 1 }}>
          {e.cluster ? `${e.cluster}: ` : ''}
          {e.message}
        </Alert>
      ))}
      {state.value && state.value.items.length > 0 && (
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Inference services">
            <TableHead>
              <TableRow>
                <TableCell>Service</TableCell>
                <TableCell>State</TableCell>
                <TableCell align="right">Ready / desired</TableCell>
                <TableCell align="right">GPUs</TableCell>
                <TableCell>Strategy</TableCell>
                <TableCell align="right">TTFT p95</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {state.value.items.map(item =>
                item.found ? (
                  <ServiceRow
                    key={`${item.cluster}/${item.namespace}/${item.name}`}
                    detail={item.service}
                  />
                ) : (
                  <TableRow
                    key={`${item.cluster}/${item.namespace}/${item.name}`}
                  >
                    <TableCell colSpan={6}>
                      {item.cluster}/{item.namespace}/{item.name}:{' '}
                      {item.error ?? 'not found'}
                    </TableCell>
                  </TableRow>
                ),
              )}
            </TableBody>
          </Table>
        </Box>
      )}
    </InfoCard>
  );
}
