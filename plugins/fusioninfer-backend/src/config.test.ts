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

import { ConfigReader } from '@backstage/config';
import { CONFIG_DEFAULTS, readFusionInferConfig } from './config';

const read = (fusioninfer: object) =>
  readFusionInferConfig(new ConfigReader({ fusioninfer }));

describe('readFusionInferConfig', () => {
  it('has a default for every duration', () => {
    const c = read({});
    expect(c.reconciler).toEqual({
      enabled: true,
      workers: undefined,
      resyncMs: CONFIG_DEFAULTS.resyncMs,
      leaseNamespace: undefined,
      leaseDurationMs: 15_000,
    });
    expect(c.metrics).toMatchObject({
      minIntervalMs: 5_000,
      pollIntervalMs: 15_000,
      watchTtlMs: 600_000,
    });
    expect(c.approvals).toEqual({
      policy: undefined,
      approvers: [],
      allowSelfApproval: false,
      ttlMs: 7 * 24 * 3_600_000,
    });
    expect(c.prometheus).toBeUndefined();
  });

  it('reads HumanDuration objects and strings, and the legacy numbers in their units', () => {
    const c = read({
      reconciler: { resync: { minutes: 2 }, leaseDurationSeconds: 20 },
      metrics: { pollInterval: '30s', watchMinutes: 1, minInterval: 'PT2S' },
      approvals: { ttl: { days: 1 }, maxGpusWithoutApproval: 8 },
      epp: { kvCacheMetric: 'none', disableMetricsAuth: true },
    });
    expect(c.reconciler.resyncMs).toBe(120_000);
    expect(c.reconciler.leaseDurationMs).toBe(20_000);
    expect(c.metrics).toMatchObject({
      pollIntervalMs: 30_000,
      watchTtlMs: 60_000,
      minIntervalMs: 2_000,
    });
    expect(c.approvals.ttlMs).toBe(86_400_000);
    expect(c.approvals.policy?.maxGpusWithoutApproval).toBe(8);
    expect(c.render).toMatchObject({
      kvCacheMetric: null,
      eppMetricsAuth: false,
    });
    expect(read({ approvals: { ttlHours: 2 } }).approvals.ttlMs).toBe(
      7_200_000,
    );
    expect(
      read({ metrics: { pollIntervalSeconds: 0 } }).metrics.pollIntervalMs,
    ).toBe(0);
  });

  it('names the key of a bad value', () => {
    expect(() => read({ metrics: { pollInterval: 'soon' } })).toThrow(
      /pollInterval/,
    );
    expect(() => read({ approvals: { ttlHours: -1 } })).toThrow(
      /fusioninfer\.approvals\.ttlHours: must be a non-negative duration/,
    );
    expect(() => read({ reconciler: { workers: 0 } })).toThrow(
      /fusioninfer\.reconciler\.workers/,
    );
    expect(() => read({ reconciler: { requestConcurrency: 2.5 } })).toThrow(
      /fusioninfer\.reconciler\.requestConcurrency: must be an integer ≥ 1/,
    );
    expect(
      read({ reconciler: { requestConcurrency: 4 } }).reconciler,
    ).toMatchObject({ requestConcurrency: 4 });
  });

  it('reads the pre-flight models, refusing one without an id or without its config by index', () => {
    const qwen = {
      id: 'acme/m',
      parameters: 1e9,
      config: {
        num_hidden_layers: 2,
        hidden_size: 64,
        num_attention_heads: 4,
        max_position_embeddings: 2048,
      },
    };
    expect(
      read({ preflight: { models: [qwen] } }).preflight.models[0],
    ).toMatchObject({ id: 'acme/m' });
    expect(() =>
      read({ preflight: { models: [qwen, { parameters: 1 }] } }),
    ).toThrow(/fusioninfer\.preflight\.models\[1\]: needs an id/);
    expect(() =>
      read({ preflight: { models: [{ id: 'x', config: {} }] } }),
    ).toThrow(
      /fusioninfer\.preflight\.models\[0\] \(x\): config needs at least num_hidden_layers/,
    );
    expect(
      read({ preflight: { huggingFace: { token: 't' } } }).preflight
        .huggingFace,
    ).toMatchObject({
      baseUrl: 'https://huggingface.co',
      token: 't',
      timeoutMs: 5000,
    });
    expect(() =>
      read({ preflight: { huggingFace: { baseUrl: 'ftp://x' } } }),
    ).toThrow(/baseUrl: must be an http\(s\) URL/);
  });
});
