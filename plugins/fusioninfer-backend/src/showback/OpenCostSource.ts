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

import { LoggerService } from '@backstage/backend-plugin-api';
import { LABELS } from '@fusioninfer/plugin-fusioninfer-common';
import { readBounded } from '../metrics/PrometheusSource';
import { OpenCostSettings } from './settings';
import { usageKeyOf } from './UsageStore';

/** Costs of one service from OpenCost's allocation API (its field names). */
export interface OpenCostAllocation {
  namespace: string;
  name: string;
  /** Every resource of the service's pods (GPU, CPU, RAM, storage, network, shared) over the window. */
  totalCost: number;
  gpuCost: number;
  gpuHours: number;
  /** Minutes the window covers for these pods. */
  minutes: number;
}

/** An error written for API callers (no URL, no socket or TLS detail: those go to the log). */
export class OpenCostError extends Error {}

/** OpenCost sanitizes label names as Prometheus does: every character outside [a-zA-Z0-9_] becomes `_`. */
export const OPENCOST_SERVICE_LABEL = LABELS.service.replace(
  /[^a-zA-Z0-9_]/g,
  '_',
);

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const CACHE_MS = 60_000;

const num = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;

/**
 * OpenCost as the source of costs: `GET <url>/allocation?window=<start>,<end>&aggregate=namespace,label:<service
 * label>&accumulate=true`, one query per window for all services, answers cached for a minute and read at most
 * 16 MiB. Allocations are matched to services by namespace and the `fusioninfer.io/service` pod label (sanitized
 * `fusioninfer_io_service`); `__unallocated__` and `__idle__` entries are no service's.
 */
export class OpenCostSource {
  private readonly cache = new Map<
    string,
    { at: number; value: Promise<Map<string, OpenCostAllocation>> }
  >();
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly options: OpenCostSettings & {
      logger: LoggerService;
      fetchImpl?: typeof fetch;
      now?: () => number;
    },
  ) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** Whether OpenCost reports on this cluster. */
  covers(cluster: string): boolean {
    return !this.options.clusters || this.options.clusters.includes(cluster);
  }

  /** Allocations by `namespace/name` over [start, end) (epoch ms; rounded down to the minute for the cache). */
  allocations(
    start: number,
    end: number,
  ): Promise<Map<string, OpenCostAllocation>> {
    const minute = (t: number) => Math.floor(t / 60_000) * 60_000;
    const window = `${new Date(minute(start)).toISOString().replace('.000Z', 'Z')},${new Date(minute(end)).toISOString().replace('.000Z', 'Z')}`;
    const now = this.now();
    for (const [k, v] of this.cache)
      if (now - v.at > CACHE_MS) this.cache.delete(k);
    const hit = this.cache.get(window);
    if (hit) return hit.value;
    const value = this.query(window);
    this.cache.set(window, { at: now, value });
    value.catch(() => this.cache.delete(window));
    return value;
  }

  private async query(
    window: string,
  ): Promise<Map<string, OpenCostAllocation>> {
    const url = new URL(`${this.options.url}/allocation`);
    url.searchParams.set('window', window);
    url.searchParams.set(
      'aggregate',
      `namespace,label:${OPENCOST_SERVICE_LABEL}`,
    );
    url.searchParams.set('accumulate', 'true');
    let text: string | undefined;
    let status = 0;
    try {
      const res = await this.fetchImpl(url.toString(), {
        headers: {
          accept: 'application/json',
          ...(this.options.token
            ? { authorization: `Bearer ${this.options.token}` }
            : {}),
        },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = res.status;
      text = await readBounded(res, MAX_RESPONSE_BYTES);
    } catch (e) {
      this.options.logger.warn(
        `OpenCost allocation query failed: ${(e as Error)?.message}${(e as { cause?: Error })?.cause ? ` (${(e as { cause?: Error }).cause!.message})` : ''}`,
      );
      throw new OpenCostError(
        (e as Error)?.name === 'TimeoutError'
          ? 'OpenCost did not answer in time'
          : 'OpenCost could not be reached (details in the backend log)',
      );
    }
    if (text === undefined)
      throw new OpenCostError(
        `OpenCost answered more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; the answer was not read`,
      );
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OpenCostError(
        `OpenCost answered ${status} with a body that is not JSON`,
      );
    }
    if (status !== 200 || !Array.isArray(json?.data))
      throw new OpenCostError(
        `OpenCost answered ${status}${typeof json?.message === 'string' ? `: ${json.message.slice(0, 200)}` : ''}`,
      );
    return allocationsOf(json.data);
  }
}

/** Services' allocations from the `data` of an allocation answer (sets summed, in case it was not accumulated). */
export function allocationsOf(
  data: unknown[],
): Map<string, OpenCostAllocation> {
  const out = new Map<string, OpenCostAllocation>();
  for (const set of data) {
    if (!set || typeof set !== 'object') continue;
    for (const [key, raw] of Object.entries(set as Record<string, unknown>)) {
      const a = raw as Record<string, any> | undefined;
      if (!a || typeof a !== 'object') continue;
      const props = (a.properties ?? {}) as Record<string, any>;
      // The aggregate's name is "<namespace>/<label value>"; properties say the same when OpenCost keeps them.
      const [nsFromKey, nameFromKey] = key.split('/');
      const namespace =
        typeof props.namespace === 'string' ? props.namespace : nsFromKey;
      const labelled = props.labels?.[OPENCOST_SERVICE_LABEL];
      const name = typeof labelled === 'string' ? labelled : nameFromKey;
      if (!namespace || !name || name.startsWith('__')) continue;
      const k = usageKeyOf({ cluster: '', namespace, name }).slice(1);
      const prev = out.get(k);
      out.set(k, {
        namespace,
        name,
        totalCost: (prev?.totalCost ?? 0) + num(a.totalCost),
        gpuCost: (prev?.gpuCost ?? 0) + num(a.gpuCost),
        gpuHours: (prev?.gpuHours ?? 0) + num(a.gpuHours),
        minutes: Math.max(prev?.minutes ?? 0, num(a.minutes)),
      });
    }
  }
  return out;
}
