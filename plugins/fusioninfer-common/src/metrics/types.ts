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

/* The routing-metrics document that the backend serves and the frontend draws. */

import { EppRoutingMetrics } from './epp';
import { EndpointRoutingMetrics } from './modelServer';

/** Where routing metrics came from. @public */
export type MetricsSource = 'pod-proxy' | 'prometheus';

/** One endpoint (an LWS leader pod; the only pod the InferencePool selects). @public */
export interface RoutingEndpoint {
  pod: string;
  role: string;
  componentType: string;
  replicaIndex?: number;
  ready: boolean;
  /** On a service with a canary: whether the endpoint is a stable or a canary replica's leader. */
  track?: 'stable' | 'canary';
  /** `ok`, or why there are no numbers for this endpoint. */
  state: 'ok' | 'not-ready' | 'unreachable' | 'error';
  message?: string;
  metrics?: EndpointRoutingMetrics;
}

/** Sums and averages over the ready endpoints of a pool or a role. @public */
export interface RoutingAggregate {
  endpoints: number;
  reporting: number;
  running?: number;
  waiting?: number;
  /** Mean KV-cache use over reporting endpoints (0–1). */
  kvCacheUsage?: number;
  maxKvCacheUsage?: number;
  prefixCacheHitRate?: number;
  requestRate?: number;
  promptTokensPerSecond?: number;
  generationTokensPerSecond?: number;
  /** The highest p95 time to first token among the endpoints (seconds). */
  worstTtftP95?: number;
  /** The highest p95 end-to-end latency among the endpoints (seconds). */
  worstE2eP95?: number;
  /** Share of the OpenAI API requests answered 5xx in the window, over the reporting endpoints. */
  errorRate?: number;
}

/** One point of the short history kept for charts. @public */
export interface RoutingHistoryPoint {
  at: string;
  running?: number;
  waiting?: number;
  kvCacheUsage?: number;
  requestRate?: number;
  prefixCacheHitRate?: number;
  worstTtftP95?: number;
  /** Per endpoint (pod name → values) for per-endpoint charts. */
  endpoints?: Record<
    string,
    { running?: number; waiting?: number; kvCacheUsage?: number }
  >;
}

/** The EPP's own view, or why it is not available. @public */
export interface EppMetricsState {
  state:
    | 'ok'
    | 'unavailable-auth'
    | 'unreachable'
    | 'no-router'
    | 'not-ready'
    | 'error';
  message?: string;
  metrics?: EppRoutingMetrics;
}

/** The response of `GET .../services/:name/metrics`. @public */
export interface RoutingMetricsResponse {
  cluster: string;
  namespace: string;
  name: string;
  source: MetricsSource;
  collectedAt: string;
  strategy?: string;
  poolName?: string;
  endpoints: RoutingEndpoint[];
  /** Aggregates over all endpoints (`pool`) and per role. */
  pool: RoutingAggregate;
  roles: Record<string, RoutingAggregate>;
  epp: EppMetricsState;
  history: RoutingHistoryPoint[];
  /** Findings a person should act on (e.g. the EPP reads a KV metric the servers do not expose). */
  warnings: string[];
}
