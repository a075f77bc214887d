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

import { mockServices } from '@backstage/backend-test-utils';
import { allocationsOf, OpenCostSource } from './OpenCostSource';

/** An answer of OpenCost's `/allocation` aggregated by namespace and the service label, accumulated. */
const answer = {
  code: 200,
  data: [
    {
      'llm/qwen': {
        name: 'llm/qwen',
        properties: {
          namespace: 'llm',
          labels: { fusioninfer_io_service: 'qwen' },
        },
        window: { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' },
        minutes: 1440,
        gpuCount: 2,
        gpuHours: 48,
        gpuCost: 96,
        cpuCost: 3.5,
        ramCost: 1.25,
        totalCost: 100.75,
      },
      'llm/__unallocated__': {
        name: 'llm/__unallocated__',
        totalCost: 7,
        gpuHours: 0,
      },
      __idle__: { name: '__idle__', totalCost: 50 },
      'ml/deepseek': {
        name: 'ml/deepseek',
        minutes: 60,
        gpuHours: 8,
        gpuCost: 16,
        totalCost: 16.5,
      },
    },
  ],
};

describe('OpenCost allocation source', () => {
  it('maps allocations to services by namespace and the service label', () => {
    expect([...allocationsOf(answer.data).entries()]).toEqual([
      [
        'llm/qwen',
        {
          namespace: 'llm',
          name: 'qwen',
          totalCost: 100.75,
          gpuCost: 96,
          gpuHours: 48,
          minutes: 1440,
        },
      ],
      [
        'ml/deepseek',
        {
          namespace: 'ml',
          name: 'deepseek',
          totalCost: 16.5,
          gpuCost: 16,
          gpuHours: 8,
          minutes: 60,
        },
      ],
    ]);
  });

  it('asks for the window aggregated by service, with the token, caches a minute, and fails with generic messages', async () => {
    let now = Date.parse('2026-12-02T00:00:30Z');
    const calls: Array<{ url: string; auth?: string }> = [];
    let reply: () => Promise<Response> = async () =>
      new Response(JSON.stringify(answer), { status: 200 });
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({
        url,
        auth: (init.headers as Record<string, string>).authorization,
      });
      return reply();
    }) as unknown as typeof fetch;
    const logger = mockServices.logger.mock();
    const oc = new OpenCostSource({
      url: 'http://opencost.opencost:9003',
      token: 'secret',
      timeoutMs: 1000,
      clusters: ['dev'],
      logger,
      fetchImpl,
      now: () => now,
    });
    const start = Date.parse('2026-12-01T00:00:00Z');
    const a = await oc.allocations(start, Date.parse('2026-12-02T00:00:10Z'));
    expect(a.get('llm/qwen')?.totalCost).toBe(100.75);
    const url = new URL(calls[0].url);
    expect(url.pathname).toBe('/allocation');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      window: '2026-12-01T00:00:00Z,2026-12-02T00:00:00Z',
      aggregate: 'namespace,label:fusioninfer_io_service',
      accumulate: 'true',
    });
    expect(calls[0].auth).toBe('Bearer secret');
    await oc.allocations(start, Date.parse('2026-12-02T00:00:40Z')); // same minute: cached
    expect(calls).toHaveLength(1);
    now += 61_000;
    await oc.allocations(start, Date.parse('2026-12-02T00:00:40Z'));
    expect(calls).toHaveLength(2);
    expect(oc.covers('dev')).toBe(true);
    expect(oc.covers('other')).toBe(false);

    reply = async () =>
      new Response('{"code":500,"message":"boom"}', { status: 500 });
    await expect(oc.allocations(start, start + 3_600_000)).rejects.toThrow(
      'OpenCost answered 500: boom',
    );
    reply = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9003'), {});
    };
    const failed = oc.allocations(start, start + 7_200_000);
    await expect(failed).rejects.toThrow(
      'OpenCost could not be reached (details in the backend log)',
    );
    await expect(failed).rejects.not.toThrow(/10\.0\.0\.1/);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('ECONNREFUSED'),
    );
    // A failure is not cached.
    reply = async () => new Response(JSON.stringify(answer), { status: 200 });
    expect((await oc.allocations(start, start + 7_200_000)).size).toBe(2);
  });
});
