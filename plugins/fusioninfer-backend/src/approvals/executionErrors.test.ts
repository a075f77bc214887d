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

import { createServer } from 'node:net';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  ClusterClient,
  createFusionInferClusters,
} from '@fusioninfer/plugin-fusioninfer-node';
import { loadExample } from '@fusioninfer/test-utils';
import { Access, serviceEntityRef } from '../auth/access';
import { createLiveServiceSource } from '../views/ServiceSource';
import { ServiceWriter } from '../changes/ServiceWriter';
import { ApprovalStore } from './ApprovalStore';
import { ApprovalGate } from './gate';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>(r => srv.close(() => r()));
  return port;
}

describe('approval execution outcome (review L1: no cluster internals to API callers)', () => {
  it('an apply that fails on an unreachable cluster records a generic message; the cause is logged', async () => {
    const port = await closedPort();
    const store = await ApprovalStore.create(await databases.init('SQLITE_3'));
    const logger = mockServices.logger.mock();
    const notified: string[] = [];
    const client = new ClusterClient({
      name: 'dev',
      url: `https://127.0.0.1:${port}`,
      authProvider: 'serviceAccount',
      serviceAccountToken: 'secret-token-should-not-leak',
      skipTLSVerify: true,
      mode: 'manage',
    });
    const gate = new ApprovalGate({
      store,
      logger,
      policy: { maxGpusWithoutApproval: 0 },
      ttlSeconds: 3600,
      client: () => client,
      entityRefOf: serviceEntityRef,
      onChange: (_e, a) => notified.push(JSON.stringify(a)),
      // Unreachable is transient: retried, quickly here, then recorded as failed.
      retry: { attempts: 2, firstDelayMs: 10 },
    });
    gate.useWriter(
      new ServiceWriter({
        access: new Access({
          httpAuth: mockServices.httpAuth.mock(),
          permissions: mockServices.permissions.mock(),
          logger,
        }),
        source: createLiveServiceSource(
          createFusionInferClusters([client]),
          new Map(),
        ),
        governance: {
          projects: [],
          podSecurity: { level: 'baseline-gpu' },
          protectedNamespaces: [],
        },
        logger,
      }),
    );
    const manifest = loadExample('monolithic-no-router.yaml') as any;
    manifest.metadata = { name: 'svc', namespace: 'default' };
    const verdict = {
      required: true,
      reasons: ['test'],
      summary: { gpus: 1, pods: 1, roles: [] },
    };
    const held = await gate.hold({
      action: 'create',
      cluster: 'dev',
      namespace: 'default',
      manifest,
      requestedBy: 'user:default/alice',
      verdict,
      entityRef: 'component:default/svc',
    });
    await store.decide(held.id, { approve: true, by: 'user:default/carol' });
    const done = await gate.execute(held.id);
    expect(done?.execution?.state).toBe('failed');
    const message = done?.execution?.message ?? '';
    expect(message).toBe('cluster dev is unavailable');
    const answered = JSON.stringify([done, await store.get(held.id), notified]);
    expect(answered).not.toContain(String(port));
    expect(answered).not.toMatch(/127\.0\.0\.1|https?:\/\/|ECONNREFUSED/);
    expect(answered).not.toContain('secret-token');
    // The cause (with the address) is logged for operators.
    expect(
      logger.warn.mock.calls.some(([, err]) =>
        String((err as Error | undefined)?.message).includes(
          `127.0.0.1:${port}`,
        ),
      ),
    ).toBe(true);
  }, 30000);
});
