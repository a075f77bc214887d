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
  MAX_SHOWBACK_WINDOW_DAYS,
  modelEntryOf,
  readPriceSheet,
  RenderOptions,
} from '@fusioninfer/plugin-fusioninfer-common';
import { readRenderOptions } from '@fusioninfer/plugin-fusioninfer-node';
import { readApprovalPolicy, readApprovers } from './approvals/config';
import { PreflightSettings } from './views/preflight';
import { SHOWBACK_DEFAULTS, ShowbackSettings } from './showback/settings';
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
  /** Showback (`fusioninfer.showback`); absent when nothing is priced and no OpenCost is configured. */
  showback?: ShowbackSettings;
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

/** Bounds of `fusioninfer.showback` durations. */
const SHOWBACK_MIN_INTERVAL_MS = 10_000;
const SHOWBACK_MAX_INTERVAL_MS = 3_600_000;

/**
 * `fusioninfer.showback`: the price sheet (common's `readPriceSheet`, errors naming the key), the sampling interval
 * (at least 10 s and at least `fusioninfer.metrics.minInterval`: the recorder never scrapes more often than the
 * collector may), the retention (at least the longest window answered, 45 days), the product label and OpenCost.
 */
function readShowback(
  config: Config,
  minScrapeIntervalMs: number,
): ShowbackSettings | undefined {
  const where = 'fusioninfer.showback';
  const sc = config.getOptionalConfig(where);
  if (!sc) return undefined;
  const sheet = readPriceSheet(sc.get(), where);
  if (!sheet) return undefined;
  const intervalMs = duration(
    sc,
    where,
    'interval',
    'intervalSeconds',
    1000,
    SHOWBACK_DEFAULTS.intervalMs,
  );
  const floor = Math.max(SHOWBACK_MIN_INTERVAL_MS, minScrapeIntervalMs);
  if (intervalMs < floor || intervalMs > SHOWBACK_MAX_INTERVAL_MS)
    throw new Error(
      `${where}.interval: must be from ${floor / 1000} s (10 s, and not below fusioninfer.metrics.minInterval) to 1 h`,
    );
  const retentionMs = duration(
    sc,
    where,
    'retention',
    'retentionDays',
    24 * 3_600_000,
    SHOWBACK_DEFAULTS.retentionMs,
  );
  if (retentionMs < MAX_SHOWBACK_WINDOW_DAYS * 24 * 3_600_000)
    throw new Error(
      `${where}.retention: must be at least ${MAX_SHOWBACK_WINDOW_DAYS} days (the longest window GET /showback answers)`,
    );
  const productLabel =
    sc.getOptionalString('productLabel') ?? 'nvidia.com/gpu.product';
  const oc = sc.getOptionalConfig('opencost');
  let opencost: ShowbackSettings['opencost'];
  if (oc) {
    const url = oc.getString('url');
    if (!/^https?:\/\/[^\s]+$/.test(url))
      throw new Error(`${where}.opencost.url: must be an http(s) URL`);
    opencost = {
      url: url.replace(/\/+$/, ''),
      token: oc.getOptionalString('token'),
      timeoutMs: duration(
        oc,
        `${where}.opencost`,
        'timeout',
        'timeoutSeconds',
        1000,
        SHOWBACK_DEFAULTS.opencostTimeoutMs,
      ),
      clusters: oc.getOptionalStringArray('clusters'),
    };
  }
  return {
    sheet,
    intervalMs,
    retentionMs,
    productLabel,
    recorder: sc.getOptionalBoolean('recorder.enabled') ?? true,
    ...(opencost ? { opencost } : {}),
  };
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
  const minIntervalMs = duration(
    mc,
    'fusioninfer.metrics',
    'minInterval',
    'minIntervalSeconds',
    1000,
    CONFIG_DEFAULTS.minIntervalMs,
  );
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
      minIntervalMs,
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
    showback: readShowback(config, minIntervalMs),
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
