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

import { ResponseError } from '@backstage/errors';
import { z } from 'zod';
import {
  createFusionInferClient,
  FusionInferClient,
  fusioninferRoutes,
  metricsResponseSchema,
  RestRouteSpec,
} from '.';
import type { RoutingMetricsResponse } from '../metrics/types';

const BASE = 'http://backend.test/api/fusioninfer';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fake `fetchApi` that records each request and answers with `reply` (default: `200 {}`). */
function fakeFetch(
  reply: (s: Sent) => { status: number; body: unknown } = () => ({
    status: 200,
    body: {},
  }),
) {
  const sent: Sent[] = [];
  const fetchApi = {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const s: Sent = {
        method: init?.method ?? 'GET',
        url: String(input),
        headers: { ...(init?.headers as Record<string, string>) },
        ...(init?.body === undefined
          ? {}
          : { body: JSON.parse(String(init.body)) }),
      };
      sent.push(s);
      const r = reply(s);
      return new Response(JSON.stringify(r.body), {
        status: r.status,
        headers: { 'content-type': 'application/json' },
      });
    },
  };
  return { fetchApi, sent };
}

const discoveryApi = {
  getBaseUrl: async (pluginId: string) => {
    expect(pluginId).toBe('fusioninfer');
    return BASE;
  },
};
const svc = { cluster: 'dev', namespace: 'demo', name: 'qwen-multi-node' };
const id = '00000000-0000-4000-8000-000000000001';

// Compile-time: the methods take what the routes declare, in the shapes callers used before.
function typeChecks(c: FusionInferClient, n: FusionInferClient<{ who: 1 }>) {
  void c.listApprovals();
  void c.getApproval(id, { token: 't' });
  void c.setProjectQuota(
    { project: 'p', cluster: 'dev' },
    { gpus: 1, reason: 'r' },
  );
  void n.listApprovals(undefined, { who: 1 });
  // @ts-expect-error per-call options the client requires cannot be left out
  void n.getService(svc);
  // @ts-expect-error a body of another route
  void c.scale(svc, { strategy: 'queue-size' });
  const metrics = async () => (await c.getMetrics(svc)).pool.kvCacheUsage;
  void metrics;
}
void typeChecks;
// getMetrics is typed RoutingMetricsResponse instead of its schema's looser output: it must stay within the schema.
const metricsWithinSchema = (
  r: RoutingMetricsResponse,
): z.output<typeof metricsResponseSchema> => r;
void metricsWithinSchema;

describe('createFusionInferClient', () => {
  it('has one method per route of the table, and no other', () => {
    const client = createFusionInferClient({ discoveryApi });
    expect(Object.keys(client).sort()).toEqual(
      Object.keys(fusioninferRoutes).sort(),
    );
    for (const m of Object.values(client)) expect(typeof m).toBe('function');
  });

  it('calls every route with its method and path, its body as JSON and its query', async () => {
    // Arguments made from the table itself, so a route added later is checked without editing this test.
    const { fetchApi, sent } = fakeFetch();
    const client = createFusionInferClient({ discoveryApi, fetchApi });
    for (const [name, spec] of Object.entries(
      fusioninferRoutes as Record<string, RestRouteSpec>,
    )) {
      const params = [...spec.path.matchAll(/:(\w+)/g)].map(m => m[1]);
      // The path and the params schema name the same parameters.
      const shape = spec.params
        ? Object.keys((spec.params as z.ZodObject).shape)
        : [];
      expect([name, ...params]).toEqual([name, ...shape]);
      const values = Object.fromEntries(params.map(p => [p, `${p} 1/2`]));
      const args: unknown[] = [];
      if (params.length === 1) args.push(values[params[0]]);
      else if (params.length) args.push(values);
      if (spec.body) args.push({ route: name });
      if (spec.query) args.push({ route: name, empty: '' });
      args.push({ token: `token-${name}` });
      await (client as any)[name](...args);

      const s = sent.pop()!;
      const path = spec.path.replace(/:(\w+)/g, (_, p) =>
        encodeURIComponent(values[p]),
      );
      expect(s.method).toBe(spec.method.toUpperCase());
      expect(s.url).toBe(`${BASE}${path}${spec.query ? `?route=${name}` : ''}`);
      expect(s.headers.Authorization).toBe(`Bearer token-${name}`);
      expect(s.body).toEqual(spec.body ? { route: name } : undefined);
      expect(s.headers['Content-Type']).toBe(
        spec.body ? 'application/json' : undefined,
      );
    }
  });

  it('builds the paths, bodies and queries the backend routes expect', async () => {
    const { fetchApi, sent } = fakeFetch();
    const c = createFusionInferClient({ discoveryApi, fetchApi });
    await c.listClusters();
    await c.listServices();
    await c.getService(svc);
    await c.getChildren(svc);
    await c.getDiff(svc);
    await c.getMetrics(svc);
    await c.getEntityServices({
      kind: 'Component',
      namespace: 'default',
      name: 'a b',
    });
    await c.scale(svc, { role: 'inference', replicas: 2 });
    await c.setStrategy(svc, { strategy: 'queue-size' });
    await c.deleteService(svc);
    await c.apply({ cluster: 'dev', namespace: 'demo', manifest: {} });
    await c.checkApproval({ cluster: 'dev', namespace: 'demo', manifest: {} });
    await c.createApproval({ cluster: 'dev', namespace: 'demo', manifest: {} });
    await c.listApprovals({
      status: 'pending',
      cluster: '',
      namespace: undefined,
      limit: '25',
    });
    await c.listApprovals();
    await c.getApproval(id);
    await c.decideApproval(id, { approve: false, comment: 'no' });
    await c.cancelApproval(id);
    await c.retryApproval(id);
    await c.listProjects();
    await c.setProjectQuota(
      { project: 'llm-apps', cluster: 'dev' },
      { gpus: 128, reason: 'launch' },
    );
    await c.resetProjectQuota({ project: 'llm-apps', cluster: 'dev' });
    const s = '/clusters/dev/namespaces/demo/services/qwen-multi-node';
    expect(
      sent.map(
        x =>
          `${x.method} ${x.url.slice(BASE.length)}${x.body === undefined ? '' : ` ${JSON.stringify(x.body)}`}`,
      ),
    ).toEqual([
      'GET /clusters',
      'GET /services',
      `GET ${s}`,
      `GET ${s}/children`,
      `GET ${s}/diff`,
      `GET ${s}/metrics`,
      'GET /entities/Component/default/a%20b/services',
      `POST ${s}/scale {"role":"inference","replicas":2}`,
      `POST ${s}/strategy {"strategy":"queue-size"}`,
      `DELETE ${s}`,
      'POST /apply {"cluster":"dev","namespace":"demo","manifest":{}}',
      'POST /approvals/check {"cluster":"dev","namespace":"demo","manifest":{}}',
      'POST /approvals {"cluster":"dev","namespace":"demo","manifest":{}}',
      // empty and absent filters are not sent
      'GET /approvals?status=pending&limit=25',
      'GET /approvals',
      `GET /approvals/${id}`,
      `POST /approvals/${id}/decision {"approve":false,"comment":"no"}`,
      `POST /approvals/${id}/cancel`,
      `POST /approvals/${id}/retry`,
      'GET /projects',
      'PUT /projects/llm-apps/quotas/dev {"gpus":128,"reason":"launch"}',
      'DELETE /projects/llm-apps/quotas/dev',
    ]);
    for (const x of sent) {
      expect(x.headers.Accept).toBe('application/json');
      // no token given: the request carries only what fetchApi adds
      expect(x.headers.Authorization).toBeUndefined();
    }
  });

  it('refuses a call without a path parameter instead of calling another route', async () => {
    const { fetchApi, sent } = fakeFetch();
    const c = createFusionInferClient({ discoveryApi, fetchApi });
    // `GET /approvals/` would be the list route
    await expect(c.getApproval('')).rejects.toThrow(
      'getApproval: path parameter id is missing',
    );
    await expect(
      c.getService({ cluster: 'dev', namespace: 'demo' } as any),
    ).rejects.toThrow('getService: path parameter name is missing');
    expect(sent).toEqual([]);
  });

  it('resolves with the 202 body of a change held for approval', async () => {
    const held = {
      outcome: 'approval-required',
      approval: { id, status: 'pending' },
      reasons: ['10 GPUs is above the threshold of 8'],
    };
    const { fetchApi } = fakeFetch(() => ({ status: 202, body: held }));
    const c = createFusionInferClient({ discoveryApi, fetchApi });
    const r = await c.scale(svc, { role: 'worker', replicas: 5 });
    expect(r).toEqual(held);
  });

  it('throws a ResponseError with the status and the backend error', async () => {
    const { fetchApi } = fakeFetch(s => ({
      status: 400,
      body: {
        error: { name: 'InputError', message: 'replicas: too big' },
        request: { method: s.method, url: s.url },
        response: { statusCode: 400 },
      },
    }));
    const c = createFusionInferClient({ discoveryApi, fetchApi });
    const e = await c.scale(svc, { role: 'worker', replicas: 2 }).catch(x => x);
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.statusCode).toBe(400);
    expect(e.body.error).toEqual({
      name: 'InputError',
      message: 'replicas: too big',
    });
    expect(e.cause).toMatchObject({
      name: 'InputError',
      message: 'replicas: too big',
    });
  });

  it('asks getToken for the token of each call, with the options the caller passed', async () => {
    const { fetchApi, sent } = fakeFetch();
    const asked: unknown[] = [];
    const c = createFusionInferClient<{ user: string }>({
      discoveryApi,
      fetchApi,
      getToken: async o => {
        asked.push(o);
        return `for-${o.user}`;
      },
    });
    await c.listApprovals(undefined, { user: 'alice' });
    await c.listApprovals({ status: 'pending' }, { user: 'bob' });
    await c.decideApproval(id, { approve: true }, { user: 'carol' });
    expect(asked).toEqual([
      { user: 'alice' },
      { user: 'bob' },
      { user: 'carol' },
    ]);
    expect(
      sent.map(s => [s.url.slice(BASE.length), s.headers.Authorization]),
    ).toEqual([
      ['/approvals', 'Bearer for-alice'],
      ['/approvals?status=pending', 'Bearer for-bob'],
      [`/approvals/${id}/decision`, 'Bearer for-carol'],
    ]);
  });

  it('uses the global fetch when no fetchApi is given', async () => {
    const { fetchApi, sent } = fakeFetch(() => ({
      status: 200,
      body: { clusters: [] },
    }));
    const spy = jest
      .spyOn(globalThis, 'fetch')
      .mockImplementation(fetchApi.fetch);
    try {
      const c = createFusionInferClient({ discoveryApi });
      await expect(c.listClusters()).resolves.toEqual({ clusters: [] });
      expect(sent.map(s => s.url)).toEqual([`${BASE}/clusters`]);
    } finally {
      spy.mockRestore();
    }
  });
});
