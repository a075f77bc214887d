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

import { PriceSheet } from '@fusioninfer/plugin-fusioninfer-common';

/** OpenCost as the source of costs (`fusioninfer.showback.opencost`). */
export interface OpenCostSettings {
  /** Base URL of OpenCost's API (its allocation API is `GET <url>/allocation`). */
  url: string;
  /** Bearer token, when OpenCost sits behind an authenticating proxy. */
  token?: string;
  timeoutMs: number;
  /** Clusters OpenCost reports on (default: every configured cluster); others keep the plugin's own numbers. */
  clusters?: string[];
}

/** What `fusioninfer.showback` configures (absent: no showback). */
export interface ShowbackSettings {
  sheet: PriceSheet;
  /** Time between two usage samples of every service (default 60 s, at least the metrics' minInterval). */
  intervalMs: number;
  /** How long hourly usage is kept (default 45 days). */
  retentionMs: number;
  /** Node label naming the GPU product (default `nvidia.com/gpu.product`). */
  productLabel: string;
  /** false: this instance records nothing (another deployment does, or OpenCost answers alone). */
  recorder: boolean;
  opencost?: OpenCostSettings;
}

/** Defaults of showback, in milliseconds. */
export const SHOWBACK_DEFAULTS = {
  intervalMs: 60_000,
  retentionMs: 45 * 24 * 3_600_000,
  opencostTimeoutMs: 10_000,
} as const;
