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
import { TeamProject } from '@fusioninfer/plugin-fusioninfer-common';
import { effectiveGpuQuota, ProjectQuotaStore } from './ProjectQuotaStore';

// PostgreSQL runs when a server is reachable (scripts/test.sh starts Debian's PostgreSQL 15 and sets
// BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING); SQLite always.
const ids: TestDatabaseId[] = ['SQLITE_3'];
if (process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)
  ids.push('POSTGRES_15');
const databases = TestDatabases.create({ ids });

describe.each(databases.eachSupportedId())(
  'ProjectQuotaStore on %p',
  databaseId => {
    let store: ProjectQuotaStore;
    let clock = new Date('2026-12-01T10:00:00Z');
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      store = await ProjectQuotaStore.create(knex, { now: () => clock });
    }, 60000);

    it('sets, replaces, lists and removes a project quota per cluster', async () => {
      expect(await store.list()).toEqual([]);
      const set = await store.set({
        project: 'llm-apps',
        cluster: 'dev',
        gpus: 128,
        reason: 'launch week',
        by: 'user:default/approver',
      });
      expect(set).toEqual({
        project: 'llm-apps',
        cluster: 'dev',
        gpus: 128,
        reason: 'launch week',
        by: 'user:default/approver',
        at: '2026-12-01T10:00:00.000Z',
      });
      // The same project and cluster again: replaced (one row per project and cluster), fractions kept.
      clock = new Date('2026-12-02T10:00:00Z');
      await store.set({
        project: 'llm-apps',
        cluster: 'dev',
        gpus: 96.5,
        reason: 'after launch',
        by: 'user:default/carol',
      });
      await store.set({
        project: 'llm-apps',
        cluster: 'gpu-a',
        gpus: 0,
        reason: 'frozen',
        by: 'user:default/carol',
      });
      await store.set({
        project: 'ml-platform',
        cluster: 'dev',
        gpus: 200,
        reason: 'training',
        by: 'user:default/carol',
      });
      expect(await store.forProject('llm-apps')).toEqual([
        {
          project: 'llm-apps',
          cluster: 'dev',
          gpus: 96.5,
          reason: 'after launch',
          by: 'user:default/carol',
          at: '2026-12-02T10:00:00.000Z',
        },
        expect.objectContaining({ cluster: 'gpu-a', gpus: 0 }),
      ]);
      expect(
        (await store.list()).map(q => `${q.project}/${q.cluster}=${q.gpus}`),
      ).toEqual([
        'llm-apps/dev=96.5',
        'llm-apps/gpu-a=0',
        'ml-platform/dev=200',
      ]);
      expect(await store.remove('llm-apps', 'gpu-a')).toBe(true);
      expect(await store.remove('llm-apps', 'gpu-a')).toBe(false);
      expect((await store.forProject('llm-apps')).length).toBe(1);
      await expect(
        store.set({
          project: 'x',
          cluster: 'dev',
          gpus: Number.NaN,
          reason: 'r',
          by: 'u',
        }),
      ).rejects.toThrow(/gpus: must be a number/);
    });
  },
);

describe('effectiveGpuQuota', () => {
  const project: TeamProject = {
    name: 'llm-apps',
    owners: ['group:default/llm-apps'],
    destinations: [],
    gpuQuota: { dev: 64, prod: 8 },
  };
  const override = (p: string, cluster: string, gpus: number) => ({
    project: p,
    cluster,
    gpus,
    reason: 'r',
    by: 'user:default/approver',
    at: '2026-12-01T10:00:00.000Z',
  });

  it('is the configured quota, with each override of the project replacing its cluster', () => {
    expect(effectiveGpuQuota(project, [])).toBe(project.gpuQuota);
    expect(
      effectiveGpuQuota(project, [
        override('llm-apps', 'dev', 128),
        override('other', 'prod', 1),
        override('llm-apps', 'new', 4),
      ]),
    ).toEqual({ dev: 128, prod: 8, new: 4 });
    const { gpuQuota: _q, ...none } = project;
    expect(effectiveGpuQuota(none, [])).toBeUndefined();
    expect(effectiveGpuQuota(none, [override('llm-apps', 'dev', 2)])).toEqual({
      dev: 2,
    });
  });
});
