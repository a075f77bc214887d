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

import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { ApprovalStore } from './ApprovalStore';

// PostgreSQL runs when a server is reachable (scripts/test.sh starts Debian's PostgreSQL 15 and sets
// BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING); SQLite always.
const ids: TestDatabaseId[] = ['SQLITE_3'];
if (process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)
  ids.push('POSTGRES_15');
const databases = TestDatabases.create({ ids });

const request = (name: string, extra: Record<string, unknown> = {}) => ({
  action: 'create' as const,
  cluster: 'dev',
  namespace: 'llm',
  name,
  requestedBy: 'user:default/alice',
  reasons: ['64 GPUs requested; more than 16 need approval'],
  summary: {
    gpus: 64,
    pods: 8,
    roles: [
      {
        name: 'decode',
        componentType: 'decoder',
        replicas: 4,
        nodesPerReplica: 2,
        gpus: 64,
      },
    ],
  },
  manifest: {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name },
    spec: { roles: [] },
  },
  ...extra,
});

describe.each(databases.eachSupportedId())(
  'ApprovalStore on %p',
  databaseId => {
    let store: ApprovalStore;
    let clock = new Date('2026-11-25T10:00:00Z');
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      store = await ApprovalStore.create(knex, { now: () => clock });
    }, 60000);

    it('stores a request and reads it back exactly', async () => {
      const created = await store.add(request('a'));
      expect(created).toMatchObject({
        status: 'pending',
        requestedAt: '2026-11-25T10:00:00.000Z',
      });
      const read = await store.get(created.id);
      expect(read).toEqual(created);
      expect(read!.manifest).toEqual(request('a').manifest);
      expect(
        await store.get('00000000-0000-0000-0000-000000000000'),
      ).toBeUndefined();
    });

    it('lists newest first with filters, paging and a total', async () => {
      for (const n of ['b', 'c', 'd']) {
        clock = new Date(clock.getTime() + 1000);
        await store.add(
          request(
            n,
            n === 'd'
              ? { requestedBy: 'user:default/bob', namespace: 'other' }
              : {},
          ),
        );
      }
      const page = await store.list({ namespace: 'llm', limit: 2 });
      expect(page.totalCount).toBe(3);
      expect(page.items.map(i => i.name)).toEqual(['c', 'b']);
      expect(
        (await store.list({ namespace: 'llm', limit: 2, offset: 2 })).items.map(
          i => i.name,
        ),
      ).toEqual(['a']);
      expect(
        (await store.list({ requestedBy: 'user:default/bob' })).items.map(
          i => i.name,
        ),
      ).toEqual(['d']);
    });

    it('decides once: a second decision is a conflict, whoever makes it', async () => {
      const r = await store.add(request('e'));
      const approved = await store.decide(r.id, {
        approve: true,
        by: 'user:default/carol',
        comment: 'capacity checked',
      });
      expect(approved).toMatchObject({
        status: 'approved',
        decidedBy: 'user:default/carol',
        comment: 'capacity checked',
      });
      await expect(
        store.decide(r.id, { approve: false, by: 'user:default/dave' }),
      ).rejects.toMatchObject({ name: 'ConflictError' });
      await expect(
        store.decide('nope', { approve: true, by: 'x' }),
      ).rejects.toMatchObject({ name: 'NotFoundError' });
      // Concurrent deciders: exactly one wins.
      const s = await store.add(request('f'));
      const results = await Promise.allSettled([
        store.decide(s.id, { approve: true, by: 'u1' }),
        store.decide(s.id, { approve: false, by: 'u2' }),
      ]);
      expect(results.filter(x => x.status === 'fulfilled')).toHaveLength(1);
      expect(
        (await store.list({ status: ['approved', 'rejected'] })).items
          .map(i => i.name)
          .sort(),
      ).toEqual(['e', 'f']);
    });

    it('cancels pending requests and expires them after their TTL', async () => {
      const c = await store.add(request('g'));
      expect((await store.cancel(c.id, 'user:default/alice')).status).toBe(
        'cancelled',
      );
      await expect(
        store.cancel(c.id, 'user:default/alice'),
      ).rejects.toMatchObject({ name: 'ConflictError' });
      const t = await store.add(request('h', { ttlSeconds: 60 }));
      clock = new Date(clock.getTime() + 61_000);
      expect((await store.get(t.id))!.status).toBe('expired');
      await expect(
        store.decide(t.id, { approve: true, by: 'x' }),
      ).rejects.toMatchObject({ name: 'ConflictError' });
    });

    it('refuses an oversized manifest with a clear error and stores nothing', async () => {
      const before = (await store.list()).totalCount;
      await expect(
        store.add(
          request('i', { manifest: { blob: 'x'.repeat(1024 * 1024 + 1) } }),
        ),
      ).rejects.toThrow(/manifest: larger than/);
      expect((await store.list()).totalCount).toBe(before);
    });

    it('lets exactly one of many concurrent claimants execute an approved request, and takes over only stale claims', async () => {
      const a = await store.add(request('claim', { specHash: 'h1' }));
      expect(await store.claimExecution(a.id)).toBe(false); // pending: nothing to execute
      await store.decide(a.id, { approve: true, by: 'user:default/carol' });
      expect(await store.unexecuted(clock)).toEqual(
        expect.arrayContaining([a.id]),
      );
      const claims = await Promise.all(
        Array.from({ length: 6 }, () => store.claimExecution(a.id)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.unexecuted(clock)).not.toContain(a.id);
      // A claim older than the lease (an instance died while applying) can be taken over once.
      const claimedAt = clock;
      expect(await store.claimExecution(a.id, claimedAt)).toBe(false);
      clock = new Date(clock.getTime() + 20 * 60_000);
      const later = new Date(clock.getTime() - 10 * 60_000); // a 10-minute lease
      const takeovers = await Promise.all(
        Array.from({ length: 4 }, () => store.claimExecution(a.id, later)),
      );
      expect(takeovers.filter(Boolean)).toHaveLength(1);
      const done = await store.finishExecution(a.id, 'applied', 'created');
      expect(done).toMatchObject({
        status: 'approved',
        specHash: 'h1',
        execution: { state: 'applied', message: 'created' },
      });
      expect(await store.claimExecution(a.id, later)).toBe(false);
      expect(await store.unexecuted(later)).not.toContain(a.id);
      // Lists carry no manifests.
      const listed = (await store.list({ name: 'claim' })).items[0];
      expect(listed.manifest).toBeUndefined();
      expect(listed.execution?.state).toBe('applied');
    });
  },
);
