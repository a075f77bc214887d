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

import {
  InferenceService,
  modelServerCounters,
  ModelServerCounters,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { PrometheusSource } from '../metrics/PrometheusSource';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Names of each counter, vLLM's first (never summed over aliases: a server may export both). */
const SERIES: Record<keyof ModelServerCounters, string[]> = {
  requests: ['vllm:request_success_total', 'sglang:num_requests_total'],
  running: ['vllm:num_requests_running', 'sglang:num_running_reqs'],
  promptTokens: ['vllm:prompt_tokens_total', 'sglang:prompt_tokens_total'],
  generationTokens: [
    'vllm:generation_tokens_total',
    'sglang:generation_tokens_total',
  ],
};

/**
 * The counters of a service's replica leaders by pod name: from the metrics collector's scrapes through the pod
 * proxy (no more often than its minimum interval), or, with Prometheus configured, the latest values Prometheus
 * holds (one instant query per counter for all the leaders). A pod missing from the answer could not be read.
 */
export async function leaderCounters(
  deps: { metrics: MetricsCollector; prometheus?: PrometheusSource },
  client: ClusterClient,
  isvc: InferenceService,
  leaders: readonly string[],
): Promise<Map<string, ModelServerCounters>> {
  const out = new Map<string, ModelServerCounters>();
  if (!leaders.length) return out;
  if (deps.prometheus) {
    const sel = `namespace=${JSON.stringify(isvc.metadata.namespace)},pod=~${JSON.stringify(leaders.map(escapeRegex).join('|'))}`;
    await Promise.all(
      (Object.keys(SERIES) as Array<keyof ModelServerCounters>).map(
        async field => {
          const q = SERIES[field]
            .map(n => `sum by (pod) (${n}{${sel}})`)
            .join(' or ');
          for (const r of await deps.prometheus!.query(q)) {
            const pod = r.metric.pod;
            const v = Number(r.value?.[1]);
            if (!pod || !Number.isFinite(v)) continue;
            out.set(pod, { ...(out.get(pod) ?? {}), [field]: v });
          }
        },
      ),
    );
    return out;
  }
  const snapshots = await deps.metrics.modelServerSnapshots(client, isvc);
  for (const [pod, snap] of snapshots ?? [])
    if (leaders.includes(pod)) out.set(pod, modelServerCounters(snap));
  return out;
}
