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

import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import type { ServiceDetail } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { errorInfo } from '../common';
import { money, percent, perMillion } from './format';

/** Refresh period of the cost row (the backend samples usage every minute by default). */
export const SHOWBACK_REFRESH_MS = 60_000;

/**
 * The "Cost" row of a service's header (a `dt`/`dd` pair of its definition list): cost per hour of what it holds
 * now, this month so far and projected, cost per million tokens (prompt / generation) and the idle share. Nothing
 * when showback is not configured (the backend answers 503 for that).
 */
export function ServiceCostRow(props: { detail: ServiceDetail }) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name } = props.detail;
  const state = usePolling(
    () => api.getServiceShowback({ cluster, namespace, name }),
    [cluster, namespace, name],
    SHOWBACK_REFRESH_MS,
  );
  const error = state.error && errorInfo(state.error);
  if (error?.status === 503 && !state.value) return null;
  const r = state.value;
  const s = r?.service;
  let text: string;
  if (s && r) {
    const c = r.currency;
    text = [
      `${money(s.costPerHourNow, c)}/h now`,
      `${money(s.monthToDate.totalCost, c)} this month (projected ${money(s.projectedMonth.totalCost, c)})`,
      perMillion(s, c),
      `idle ${percent(s.idleShare)}`,
    ].join(' · ');
  } else if (error) text = `unavailable: ${error.message}`;
  else text = '…';
  return (
    <>
      <Typography component="dt" variant="body2">
        Cost
      </Typography>
      <Typography
        component="dd"
        variant="body2"
        aria-label="Cost"
        title={
          s && r
            ? `${r.source === 'opencost' ? "OpenCost's allocation costs" : 'the price sheet'}; idle: share of GPU-hours held by replicas that served no request; ${s.approved ? `approved size ${s.approved.gpus} GPUs at ${money(s.approved.costPerHour, r.currency)}/h` : ''}`
            : undefined
        }
      >
        {text}
      </Typography>
    </>
  );
}
