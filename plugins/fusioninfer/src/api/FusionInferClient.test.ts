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
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  setupMsw,
} from '../__testUtils__';
import { FusionInferClient } from './FusionInferClient';

const server = setupMsw();
const client = new FusionInferClient({
  discoveryApi: { getBaseUrl: async () => BASE },
  fetchApi: { fetch: (i, init) => fetch(i, init) },
});
const ref = { cluster: 'dev', namespace: 'demo', name: 'qwen-multi-node' };

describe('FusionInferClient', () => {
  it('calls each route with its method, path and body', async () => {
    const seen: string[] = [];
    server.use(
      http.all(`${BASE}/*`, async ({ request }) => {
        const url = new URL(request.url);
        seen.push(
          `${request.method} ${url.pathname.replace('/api/fusioninfer', '')}${url.search}${request.method === 'POST' || request.method === 'PUT' ? ` ${await request.text()}` : ''}`,
        );
        return HttpResponse.json({ outcome: 'applied' });
      }),
    );
    await client.getEntityServices({
      kind: 'Component',
      namespace: 'default',
      name: 'a b',
    });
    await client.getService(ref);
    await client.getChildren(ref);
    await client.getDiff(ref);
    await client.getMetrics(ref);
    await client.scale(ref, { role: 'inference', replicas: 2 });
    await client.setStrategy(ref, { strategy: 'queue-size' });
    await client.deleteService(ref);
    await client.listApprovals({ status: 'pending', cluster: '', limit: '25' });
    await client.decideApproval('0b9c', { approve: false, comment: 'no' });
    await client.apply({
      cluster: 'dev',
      namespace: 'demo',
      manifest: {},
      dryRun: true,
    });
    await client.listProjects();
    await client.setProjectQuota('llm-apps', 'dev', {
      gpus: 128,
      reason: 'launch',
    });
    await client.resetProjectQuota('llm-apps', 'dev');
    const svc = '/clusters/dev/namespaces/demo/services/qwen-multi-node';
    expect(seen).toEqual([
      'GET /entities/Component/default/a%20b/services',
      `GET ${svc}`,
      `GET ${svc}/children`,
      `GET ${svc}/diff`,
      `GET ${svc}/metrics`,
      `POST ${svc}/scale {"role":"inference","replicas":2}`,
      `POST ${svc}/strategy {"strategy":"queue-size"}`,
      `DELETE ${svc}`,
      'GET /approvals?status=pending&limit=25',
      'POST /approvals/0b9c/decision {"approve":false,"comment":"no"}',
      'POST /apply {"cluster":"dev","namespace":"demo","manifest":{},"dryRun":true}',
      'GET /projects',
      'PUT /projects/llm-apps/quotas/dev {"gpus":128,"reason":"launch"}',
      'DELETE /projects/llm-apps/quotas/dev',
    ]);
  });

  it('returns the 202 body of a change held for approval', async () => {
    const held = fixture('apply-approval-required');
    server.use(
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(held.body, { status: held.status }),
      ),
    );
    const r = await client.apply({
      cluster: 'dev',
      namespace: 'demo',
      manifest: {},
    });
    expect(held.status).toBe(202);
    expect(r.outcome).toBe('approval-required');
  });

  it('throws a ResponseError carrying the backend error', async () => {
    server.use(
      http.get(`${BASE}/clusters/dev/namespaces/demo/services/nope`, () =>
        errorResponse('error-not-found'),
      ),
    );
    const e = await client.getService({ ...ref, name: 'nope' }).catch(x => x);
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.statusCode).toBe(404);
    expect(e.body.error.name).toBe('NotFoundError');
  });
});
