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

import http from 'http';
import { AddressInfo } from 'net';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ResponseError } from '@backstage/errors';
import { DefaultFusionInferClient } from './FusionInferClient';

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body?: unknown;
}

describe('DefaultFusionInferClient', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];
  let answer: (s: Seen) => { status: number; body: unknown } = () => ({
    status: 200,
    body: {},
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', c => (raw += c));
      req.on('end', () => {
        const s: Seen = {
          method: req.method!,
          url: req.url!,
          auth: req.headers.authorization,
          body: raw ? JSON.parse(raw) : undefined,
        };
        seen.push(s);
        const a = answer(s);
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/fusioninfer`;
  });
  afterAll(() => new Promise(r => server.close(r)));
  beforeEach(() => {
    seen.length = 0;
  });

  const client = () =>
    new DefaultFusionInferClient({
      discovery: {
        getBaseUrl: async id => {
          expect(id).toBe('fusioninfer');
          return base;
        },
        getExternalBaseUrl: async () => base,
      },
      auth: mockServices.auth(),
    });
  const credentials = mockCredentials.user('user:default/alice');
  const svc = { cluster: 'dev', namespace: 'ml', name: 'qwen' };

  it('calls each route with a token made on behalf of the caller', async () => {
    answer = () => ({ status: 200, body: { ok: true } });
    const c = client();
    const id = '00000000-0000-4000-8000-000000000001';
    await c.listClusters({ credentials });
    await c.listServices({ credentials });
    await c.getService(svc, { credentials });
    await c.getChildren(svc, { credentials });
    await c.getDiff(svc, { credentials });
    await c.getMetrics(svc, { credentials });
    await c.getEntityServices(
      { kind: 'Component', namespace: 'default', name: 'a b' },
      { credentials },
    );
    await c.scale(svc, { role: 'w', replicas: 2 }, { credentials });
    await c.setStrategy(svc, { strategy: 'queue-size' }, { credentials });
    await c.deleteService(svc, { credentials });
    await c.apply(
      { cluster: 'dev', namespace: 'ml', manifest: {} },
      { credentials },
    );
    await c.checkApproval(
      { cluster: 'dev', namespace: 'ml', manifest: {} },
      { credentials },
    );
    await c.createApproval(
      { cluster: 'dev', namespace: 'ml', manifest: {} },
      { credentials },
    );
    await c.listApprovals({ status: 'pending', limit: '10' }, { credentials });
    await c.getApproval(id, { credentials });
    await c.decideApproval(id, { approve: true }, { credentials });
    await c.cancelApproval(id, { credentials });
    await c.retryApproval(id, { credentials });
    await c.listProjects({ credentials });
    await c.setProjectQuota(
      'llm-apps',
      'dev',
      { gpus: 128, reason: 'launch' },
      { credentials },
    );
    await c.resetProjectQuota('llm-apps', 'dev', { credentials });
    const s = '/api/fusioninfer/clusters/dev/namespaces/ml/services/qwen';
    expect(seen.map(x => `${x.method} ${x.url}`)).toEqual([
      'GET /api/fusioninfer/clusters',
      'GET /api/fusioninfer/services',
      `GET ${s}`,
      `GET ${s}/children`,
      `GET ${s}/diff`,
      `GET ${s}/metrics`,
      'GET /api/fusioninfer/entities/Component/default/a%20b/services',
      `POST ${s}/scale`,
      `POST ${s}/strategy`,
      `DELETE ${s}`,
      'POST /api/fusioninfer/apply',
      'POST /api/fusioninfer/approvals/check',
      'POST /api/fusioninfer/approvals',
      'GET /api/fusioninfer/approvals?status=pending&limit=10',
      `GET /api/fusioninfer/approvals/${id}`,
      `POST /api/fusioninfer/approvals/${id}/decision`,
      `POST /api/fusioninfer/approvals/${id}/cancel`,
      `POST /api/fusioninfer/approvals/${id}/retry`,
      'GET /api/fusioninfer/projects',
      'PUT /api/fusioninfer/projects/llm-apps/quotas/dev',
      'DELETE /api/fusioninfer/projects/llm-apps/quotas/dev',
    ]);
    expect(seen[7].body).toEqual({ role: 'w', replicas: 2 });
    expect(seen[19].body).toEqual({ gpus: 128, reason: 'launch' });
    // mockServices.auth() encodes the subject and the target plugin in the token.
    for (const x of seen) {
      expect(x.auth).toMatch(/^Bearer /);
      const token = JSON.parse(
        x.auth!.slice('Bearer mock-service-token:'.length),
      );
      expect(token).toMatchObject({
        obo: expect.stringContaining('user:default/alice'),
        target: 'fusioninfer',
      });
    }
  });

  it('returns the 202 "approval required" body as a value', async () => {
    const body = {
      outcome: 'approval-required',
      approval: { id: 'x' },
      reasons: ['64 GPUs'],
    };
    answer = () => ({ status: 202, body });
    await expect(
      client().apply(
        { cluster: 'dev', namespace: 'ml', manifest: {} },
        { credentials },
      ),
    ).resolves.toEqual(body);
  });

  it('throws ResponseError with the backend error on non-2xx', async () => {
    answer = () => ({
      status: 400,
      body: {
        error: { name: 'InputError', message: 'replicas: too big' },
        response: { statusCode: 400 },
      },
    });
    const e = await client()
      .scale(svc, { role: 'w', replicas: 2 }, { credentials })
      .catch(x => x);
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.statusCode).toBe(400);
    expect(e.body.error.message).toBe('replicas: too big');
  });
});
