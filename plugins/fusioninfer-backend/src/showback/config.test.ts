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
import { readGovernanceConfig } from '../changes/config';
import { readFusionInferConfig } from '../config';

const read = (fusioninfer: object) =>
  readFusionInferConfig(new ConfigReader({ fusioninfer }));
const prices = [{ resource: 'nvidia.com/gpu', perHour: 2.5 }];

describe('fusioninfer.showback', () => {
  it('is off without prices or OpenCost, and has defaults otherwise', () => {
    expect(read({}).showback).toBeUndefined();
    expect(read({ showback: { interval: '30s' } }).showback).toBeUndefined();
    expect(read({ showback: { currency: 'EUR', prices } }).showback).toEqual({
      sheet: { currency: 'EUR', prices, generationTokenWeight: 2.5 },
      intervalMs: 60_000,
      retentionMs: 45 * 86_400_000,
      productLabel: 'nvidia.com/gpu.product',
      recorder: true,
    });
  });

  it('reads the interval, retention, product label, recorder switch and OpenCost', () => {
    expect(
      read({
        showback: {
          currency: 'USD',
          interval: { seconds: 15 },
          retention: { days: 90 },
          productLabel: 'amd.com/gpu.product-name',
          recorder: { enabled: false },
          opencost: {
            url: 'http://opencost.opencost:9003/',
            token: 't',
            timeout: '5s',
            clusters: ['dev'],
          },
        },
      }).showback,
    ).toEqual({
      sheet: { currency: 'USD', prices: [], generationTokenWeight: 2.5 },
      intervalMs: 15_000,
      retentionMs: 90 * 86_400_000,
      productLabel: 'amd.com/gpu.product-name',
      recorder: false,
      opencost: {
        url: 'http://opencost.opencost:9003',
        token: 't',
        timeoutMs: 5_000,
        clusters: ['dev'],
      },
    });
  });

  it.each([
    [
      { showback: { currency: 'USD', prices, interval: '5s' } },
      'fusioninfer.showback.interval: must be from 10 s',
    ],
    [
      {
        metrics: { minInterval: '20s' },
        showback: { currency: 'USD', prices, interval: '15s' },
      },
      'fusioninfer.showback.interval: must be from 20 s',
    ],
    [
      { showback: { currency: 'USD', prices, interval: '2h' } },
      'fusioninfer.showback.interval: must be from 10 s',
    ],
    [
      { showback: { currency: 'USD', prices, retention: { days: 30 } } },
      'fusioninfer.showback.retention: must be at least 45 days',
    ],
    [
      {
        showback: {
          currency: 'USD',
          prices,
          opencost: { url: 'opencost:9003' },
        },
      },
      'fusioninfer.showback.opencost.url: must be an http(s) URL',
    ],
    [
      { showback: { currency: 'usd', prices } },
      'fusioninfer.showback.currency: must be an ISO 4217 code',
    ],
    [
      {
        showback: {
          currency: 'USD',
          prices: [{ resource: 'nvidia.com/gpu', perHour: -2 }],
        },
      },
      'fusioninfer.showback.prices[0].perHour',
    ],
  ])('refuses %j naming the key', (fusioninfer, message) => {
    expect(() => read(fusioninfer)).toThrow(message);
  });
});

describe('fusioninfer.projects.<name>.budget', () => {
  const project = (budget: object, showback?: object) =>
    readGovernanceConfig(
      new ConfigReader({
        fusioninfer: {
          projects: {
            'llm-apps': { owners: ['group:default/llm-apps'], budget },
          },
          ...(showback ? { showback } : {}),
        },
      }),
    ).projects[0];

  it('reads a monthly budget in the showback currency', () => {
    expect(
      project({ monthly: 5000, currency: 'USD' }, { currency: 'USD', prices })
        .budget,
    ).toEqual({
      monthly: 5000,
      currency: 'USD',
    });
  });

  it.each([
    [
      { monthly: -1, currency: 'USD' },
      undefined,
      'fusioninfer.projects.llm-apps.budget.monthly: must be a number from 0',
    ],
    [
      { monthly: 10, currency: 'dollars' },
      undefined,
      'fusioninfer.projects.llm-apps.budget.currency: must be an ISO 4217 code',
    ],
    [
      { monthly: 10, currency: 'EUR' },
      { currency: 'USD', prices },
      'fusioninfer.projects.llm-apps.budget.currency: EUR is not the showback currency (fusioninfer.showback.currency: USD)',
    ],
  ])('refuses %j naming the key', (budget, showback, message) => {
    expect(() => project(budget, showback)).toThrow(message);
  });
});
