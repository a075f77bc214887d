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

import { priceFor, readPriceSheet } from './prices';

describe('readPriceSheet', () => {
  it('reads prices by resource and product, the default and the token weight', () => {
    const sheet = readPriceSheet({
      currency: 'EUR',
      defaultPricePerHour: 1.5,
      generationTokenWeight: 3,
      prices: [
        {
          resource: 'nvidia.com/gpu',
          product: 'NVIDIA-H100-80GB-HBM3',
          perHour: 4,
        },
        { resource: 'nvidia.com/gpu', perHour: 2.5 },
        { resource: 'nvidia.com/mig-3g.40gb', perHour: 1.1 },
      ],
      interval: '60s', // read by the backend, ignored here
    });
    expect(sheet).toEqual({
      currency: 'EUR',
      defaultPerHour: 1.5,
      generationTokenWeight: 3,
      prices: [
        {
          resource: 'nvidia.com/gpu',
          product: 'NVIDIA-H100-80GB-HBM3',
          perHour: 4,
        },
        { resource: 'nvidia.com/gpu', perHour: 2.5 },
        { resource: 'nvidia.com/mig-3g.40gb', perHour: 1.1 },
      ],
    });
    expect(priceFor(sheet!, 'nvidia.com/gpu', 'nvidia-h100-80gb-hbm3')).toEqual(
      {
        perHour: 4,
        source: 'product',
      },
    );
    expect(priceFor(sheet!, 'nvidia.com/gpu', 'NVIDIA-A100-SXM4-80GB')).toEqual(
      {
        perHour: 2.5,
        source: 'resource',
      },
    );
    expect(priceFor(sheet!, 'nvidia.com/gpu')).toEqual({
      perHour: 2.5,
      source: 'resource',
    });
    expect(priceFor(sheet!, 'amd.com/gpu')).toEqual({
      perHour: 1.5,
      source: 'default',
    });
    const noDefault = readPriceSheet({
      currency: 'USD',
      prices: [{ resource: 'nvidia.com/gpu', perHour: 2 }],
    })!;
    expect(noDefault.generationTokenWeight).toBe(2.5);
    expect(priceFor(noDefault, 'amd.com/gpu')).toEqual({
      perHour: 0,
      source: 'none',
    });
  });

  it('is undefined when nothing is priced', () => {
    expect(readPriceSheet(undefined)).toBeUndefined();
    expect(readPriceSheet({ interval: '60s' })).toBeUndefined();
  });

  it('keeps the currency without prices when OpenCost gives the costs', () => {
    expect(
      readPriceSheet({
        currency: 'USD',
        opencost: { url: 'http://opencost:9003' },
      }),
    ).toEqual({ currency: 'USD', prices: [], generationTokenWeight: 2.5 });
    expect(() =>
      readPriceSheet({ opencost: { url: 'http://opencost:9003' } }),
    ).toThrow('fusioninfer.showback.currency: must be an ISO 4217 code');
  });

  it.each([
    [
      { prices: [{ resource: 'nvidia.com/gpu', perHour: 1 }] },
      'fusioninfer.showback.currency: must be an ISO 4217 code',
    ],
    [
      { currency: 'usd', defaultPricePerHour: 1 },
      'fusioninfer.showback.currency: must be an ISO 4217 code',
    ],
    [{ currency: 'USD' }, 'fusioninfer.showback: a currency without prices'],
    [
      { currency: 'USD', prices: {} },
      'fusioninfer.showback.prices: must be a list',
    ],
    [
      {
        currency: 'USD',
        prices: [{ resource: 'nvidia.com/gpu', perHour: -1 }],
      },
      'fusioninfer.showback.prices[0].perHour: must be a number from 0',
    ],
    [
      {
        currency: 'USD',
        prices: [{ resource: 'nvidia.com/gpu', perHour: '2' }],
      },
      'fusioninfer.showback.prices[0].perHour: must be a number from 0',
    ],
    [
      { currency: 'USD', prices: [{ perHour: 2 }] },
      'fusioninfer.showback.prices[0].resource: must be a non-empty name',
    ],
    [
      {
        currency: 'USD',
        prices: [{ resource: 'nvidia.com/gpu', product: 'a b', perHour: 2 }],
      },
      'fusioninfer.showback.prices[0].product: must be a non-empty name without blanks',
    ],
    [
      {
        currency: 'USD',
        prices: [{ resource: 'nvidia.com/gpu', perHour: 2, price: 3 }],
      },
      'fusioninfer.showback.prices[0].price: unknown field',
    ],
    [
      {
        currency: 'USD',
        prices: [
          { resource: 'nvidia.com/gpu', perHour: 2 },
          { resource: 'NVIDIA.com/gpu', perHour: 3 },
        ],
      },
      'fusioninfer.showback.prices[1]: a second price for NVIDIA.com/gpu',
    ],
    [
      { currency: 'USD', defaultPricePerHour: 1, generationTokenWeight: 0 },
      'fusioninfer.showback.generationTokenWeight: must be a number above 0',
    ],
    [
      { currency: 'USD', defaultPricePerHour: 2e6 },
      'fusioninfer.showback.defaultPricePerHour: must be a number from 0 to 1000000',
    ],
    ['yes', 'fusioninfer.showback: must be an object'],
  ])('refuses %j naming the key', (value, message) => {
    expect(() => readPriceSheet(value)).toThrow(message);
  });

  it('bounds the number of prices', () => {
    const prices = Array.from({ length: 501 }, (_, i) => ({
      resource: `example.com/gpu${i}`,
      perHour: 1,
    }));
    expect(() => readPriceSheet({ currency: 'USD', prices })).toThrow(
      'fusioninfer.showback.prices: at most 500 prices',
    );
  });
});
