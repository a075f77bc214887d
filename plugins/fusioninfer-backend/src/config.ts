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
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import {
  ApprovalPolicy,
  modelEntryOf,
  RenderOptions,
} from '@fusioninfer/plugin-fusioninfer-common';
import { readRenderOptions } from '@fusioninfer/plugin-fusioninfer-node';
import { readApprovalPolicy, readApprovers } from './approvals/config';
import { PreflightSettings } from './views/preflight';
import {
  PrometheusSourceOptions,
  readPrometheusOptions,
} from './metrics/PrometheusSource';

/** Everything the backend plugin reads from `fusioninfer.*` (besides clusters), typed and with defaults. */
export interface FusionInferBackendConfig {
  render: RenderOptions;
  reconciler: {
    enabled: boolean;
    workers?: number;
    /** Undefined: the reconciler's default (16). */
    requestConcurrency?: number;
    resyncMs: number;
    /** Undefined: the reconciler's default (`fusioninfer-system`). */
    leaseNamespace?: string;
    leaseDurationMs: number;
  };
  metrics: {
    minIntervalMs: number;
    /** 0 turns background collection off. */
    pollIntervalMs: number;
    watchTtlMs: number;
    historySize?: number;
  };
  prometheus?: PrometheusSourceOptions;
  approvals: {
    policy?: ApprovalPolicy;
    approvers: string[];
    allowSelfApproval: boolean;
    ttlMs: number;
  };
  preflight: PreflightSettings;
}

/** Defaults of every duration, in milliseconds. */
export const CONFIG_DEFAULTS = {
  resyncMs: 300_000,
  leaseDurationMs: 15_000,
  minIntervalMs: 5_000,
  pollIntervalMs: 15_000,
  watchTtlMs: 600_000,
  approvalTtlMs: 7 * 24 * 3_600_000,
  huggingFaceTimeoutMs: 5_000,
  huggingFaceCacheTtlMs: 24 * 3_600_000,
} as const;

/** Models configured beyond the shipped catalog at most (each is a small config.json). */
const MAX_CONFIGURED_MODELS = 1000;

/** `fusioninfer.preflight`: configured models (each checked by name), and the optional Hugging Face endpoint. */
function readPreflight(config: Config): PreflightSettings {
  const pc = config.getOptionalConfig('fusioninfer.preflight');
  const raw = pc?.getOptional<unknown[]>('models') ?? [];
  if (!Array.isArray(raw))
    throw new Error('fusioninfer.preflight.models: must be a list of models');
  if (raw.length > MAX_CONFIGURED_MODELS)
    throw new Error(
      `fusioninfer.preflight.models: at most ${MAX_CONFIGURED_MODELS} models`,
    );
  const models = raw.map((m, i) => {
    const entry = modelEntryOf(m);
    if (!entry)
      throw new Error(
        `fusioninfer.preflight.models[${i}]: needs an id (the Hugging Face model id)`,
      );
    const c = entry.config.text_config ?? entry.config;
    if (!c.num_hidden_layers || !c.max_position_embeddings)
      throw new Error(
        `fusioninfer.preflight.models[${i}] (${entry.id}): config needs at least num_hidden_layers, max_position_embeddings and the attention fields of its config.json`,
      );
    return entry;
  });
  const hf = pc?.getOptionalConfig('huggingFace');
  if (!hf || hf.getOptionalBoolean('enabled') === false) return { models };
  const baseUrl = hf.getOptionalString('baseUrl') ?? 'https://huggingface.co';
  if (!/^https?:\/\//.test(baseUrl))
    throw new Error(
      'fusioninfer.preflight.huggingFace.baseUrl: must be an http(s) URL',
    );
  return {
    models,
    huggingFace: {
      baseUrl,
      token: hf.getOptionalString('token'),
      timeoutMs: duration(
        hf,
        'fusioninfer.preflight.huggingFace',
        'timeout',
        'timeoutSeconds',
        1000,
        CONFIG_DEFAULTS.huggingFaceTimeoutMs,
      ),
      cacheTtlMs: duration(
        hf,
        'fusioninfer.preflight.huggingFace',
        'cacheTtl',
        'cacheTtlHours',
        3_600_000,
        CONFIG_DEFAULTS.huggingFaceCacheTtlMs,
      ),
    },
  };
}

/**
 * A duration under `key` (a HumanDuration object such as `{ minutes: 5 }`, or a string like `5m` / `PT5M`), else
 * the legacy number under `legacyKey` in `unitMs` units, else `fallbackMs`. Negative values are refused by name.
 */
function duration(
  c: Config | undefined,
  where: string,
  key: string,
  legacyKey: string,
  unitMs: number,
  fallbackMs: number,
): number {
  if (!c) return fallbackMs;
  let ms: number | undefined;
  let used = key;
  if (c.has(key)) {
    const d: HumanDuration = readDurationFromConfig(c, { key });
    ms = durationToMilliseconds(d);
  } else if (c.has(legacyKey)) {
    ms = c.getNumber(legacyKey) * unitMs;
    used = legacyKey;
  }
  if (ms === undefined) return fallbackMs;
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`${where}.${used}: must be a non-negative duration`);
  return ms;
}

/** Reads the plugin's configuration once, so `plugin.ts` is wiring only. */
export function readFusionInferConfig(
  config: Config,
): FusionInferBackendConfig {
  const rc = config.getOptionalConfig('fusioninfer.reconciler');
  const mc = config.getOptionalConfig('fusioninfer.metrics');
  const ac = config.getOptionalConfig('fusioninfer.approvals');
  const positiveInteger = (key: string) => {
    const n = rc?.getOptionalNumber(key);
    if (n !== undefined && (!Number.isInteger(n) || n < 1))
      throw new Error(`fusioninfer.reconciler.${key}: must be an integer ≥ 1`);
    return n;
  };
  const workers = positiveInteger('workers');
  const requestConcurrency = positiveInteger('requestConcurrency');
  return {
    render: readRenderOptions(config),
    reconciler: {
      enabled: rc?.getOptionalBoolean('enabled') ?? true,
      workers,
      requestConcurrency,
      resyncMs: duration(
        rc,
        'fusioninfer.reconciler',
        'resync',
        'resyncSeconds',
        1000,
        CONFIG_DEFAULTS.resyncMs,
      ),
      leaseNamespace: rc?.getOptionalString('leaseNamespace'),
      leaseDurationMs: duration(
        rc,
        'fusioninfer.reconciler',
        'leaseDuration',
        'leaseDurationSeconds',
        1000,
        CONFIG_DEFAULTS.leaseDurationMs,
      ),
    },
    metrics: {
      minIntervalMs: duration(
        mc,
        'fusioninfer.metrics',
        'minInterval',
        'minIntervalSeconds',
        1000,
        CONFIG_DEFAULTS.minIntervalMs,
      ),
      pollIntervalMs: duration(
        mc,
        'fusioninfer.metrics',
        'pollInterval',
        'pollIntervalSeconds',
        1000,
        CONFIG_DEFAULTS.pollIntervalMs,
      ),
      watchTtlMs: duration(
        mc,
        'fusioninfer.metrics',
        'watch',
        'watchMinutes',
        60_000,
        CONFIG_DEFAULTS.watchTtlMs,
      ),
      historySize: mc?.getOptionalNumber('historySize'),
    },
    prometheus: readPrometheusOptions(config),
    preflight: readPreflight(config),
    approvals: {
      policy: readApprovalPolicy(config),
      approvers: readApprovers(config),
      allowSelfApproval: ac?.getOptionalBoolean('allowSelfApproval') ?? false,
      ttlMs: duration(
        ac,
        'fusioninfer.approvals',
        'ttl',
        'ttlHours',
        3_600_000,
        CONFIG_DEFAULTS.approvalTtlMs,
      ),
    },
  };
}
