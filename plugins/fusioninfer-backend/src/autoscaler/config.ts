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

import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** `fusioninfer.autoscaler`. */
export interface AutoscalerConfig {
  /** Default true: services with the annotation are decided on (advisory unless their owners chose acting). */
  enabled: boolean;
  /** Between decisions (default 15 s; at least 1 s). */
  intervalMs: number;
  /** After an approver rejected the autoscaler's request, no new one for this long (default 1 h). */
  rejectionBackoffMs: number;
}

export const AUTOSCALER_DEFAULTS = {
  intervalMs: 15_000,
  rejectionBackoffMs: 3_600_000,
} as const;

function durationMs(
  c: Config | undefined,
  key: string,
  fallback: number,
  min: number,
): number {
  if (!c?.has(key)) return fallback;
  const ms = durationToMilliseconds(readDurationFromConfig(c, { key }));
  if (!Number.isFinite(ms) || ms < min)
    throw new Error(
      `fusioninfer.autoscaler.${key}: must be a duration of at least ${min / 1000} s`,
    );
  return ms;
}

/** Reads `fusioninfer.autoscaler` (durations as `{ seconds: 15 }`, `15s` or `PT15S`); a bad value names its key. */
export function readAutoscalerConfig(config: Config): AutoscalerConfig {
  const c = config.getOptionalConfig('fusioninfer.autoscaler');
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    intervalMs: durationMs(c, 'interval', AUTOSCALER_DEFAULTS.intervalMs, 1000),
    rejectionBackoffMs: durationMs(
      c,
      'rejectionBackoff',
      AUTOSCALER_DEFAULTS.rejectionBackoffMs,
      0,
    ),
  };
}
