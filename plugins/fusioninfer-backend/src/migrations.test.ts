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

import fs from 'fs';
import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { ApprovalStore } from './approvals/ApprovalStore';

// Every migration in migrations/, one step at a time, up and down, as Backstage's notifications-backend tests
// its own (src/tests/migrations.test.ts). PostgreSQL 15 runs when a server is reachable (scripts/test.sh starts
// one and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING); SQLite always.
const ids: TestDatabaseId[] = ['SQLITE_3'];
if (process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)
  ids.push('POSTGRES_15');
const databases = TestDatabases.create({ ids });

const directory = resolvePackagePath(
  '@fusioninfer/plugin-fusioninfer-backend',
  'migrations',
);
// The migration table ApprovalStore.create uses, so the steps here are the ones a deployment takes.
const tableName = 'fusioninfer_knex_migrations';
const migrations = fs
  .readdirSync(directory)
  .filter(f => f.endsWith('.js'))
  .sort();

const up = (knex: Knex) => knex.migrate.up({ directory, tableName });
const down = (knex: Knex) => knex.migrate.down({ directory, tableName });

/** Tables, columns (type, length, nullability, default) and index names, excluding knex's own tables. */
async function schema(knex: Knex) {
  const pg = knex.client.config.client === 'pg';
  const tables: string[] = pg
    ? (
        await knex('information_schema.tables')
          .where({ table_schema: knex.raw('current_schema()') })
          .select('table_name')
      ).map((r: any) => r.table_name)
    : (
        await knex('sqlite_master')
          .where({ type: 'table' })
          .whereNot('name', 'like', 'sqlite_%')
          .select('name')
      ).map((r: any) => r.name);
  const out: Record<string, { columns: unknown; indexes: string[] }> = {};
  for (const table of tables.filter(t => !t.startsWith(tableName)).sort()) {
    const indexes: string[] = pg
      ? (
          await knex('pg_indexes')
            .where({
              tablename: table,
              schemaname: knex.raw('current_schema()'),
            })
            .select('indexname')
        ).map((r: any) => r.indexname)
      : (
          await knex('sqlite_master')
            .where({ type: 'index', tbl_name: table })
            .whereNot('name', 'like', 'sqlite_autoindex_%')
            .select('name')
        ).map((r: any) => r.name);
    out[table] = {
      columns: await knex(table).columnInfo(),
      indexes: indexes.sort(),
    };
  }
  return out;
}

// A request as the first migration stored it: it must survive every later migration, up and down.
const v1Row = {
  id: '00000000-0000-4000-8000-000000000001',
  status: 'pending',
  action: 'create',
  cluster: 'dev',
  namespace: 'llm',
  name: 'qwen',
  entity_ref: 'component:default/qwen',
  requested_by: 'user:default/alice',
  requested_at: new Date('2026-11-25T10:00:00.000Z'),
  reasons: JSON.stringify(['64 GPUs requested; more than 8 need approval']),
  summary: JSON.stringify({ gpus: 64, pods: 8, roles: [] }),
  manifest: JSON.stringify({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'qwen' },
    spec: { roles: [] },
  }),
  expires_at: new Date('2026-12-02T10:00:00.000Z'),
  task_id: 'task-1',
};

async function v1RowNow(knex: Knex) {
  const row = await knex('fusioninfer_approvals')
    .where({ id: v1Row.id })
    .first();
  if (!row) return undefined;
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(v1Row)) picked[k] = row[k];
  for (const k of ['requested_at', 'expires_at'])
    picked[k] = new Date(picked[k] as string | number | Date).toISOString();
  return picked;
}
const v1RowExpected = {
  ...v1Row,
  requested_at: v1Row.requested_at.toISOString(),
  expires_at: v1Row.expires_at.toISOString(),
};

jest.setTimeout(120_000);

describe.each(databases.eachSupportedId())('migrations on %p', databaseId => {
  it('there are migrations, each with up and down', () => {
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations[0]).toBe('20261125000000_approvals.js');
    for (const f of migrations) {
      const m = require(`${directory}/${f}`);
      expect({ file: f, up: typeof m.up, down: typeof m.down }).toEqual({
        file: f,
        up: 'function',
        down: 'function',
      });
    }
  });

  it('steps up one migration at a time, keeps data, and each down restores the schema before it', async () => {
    const knex = await databases.init(databaseId);
    const before: Awaited<ReturnType<typeof schema>>[] = [await schema(knex)];
    expect(before[0]).toEqual({});

    for (const [i, file] of migrations.entries()) {
      await up(knex);
      expect(await knex.migrate.currentVersion({ directory, tableName })).toBe(
        file.split('_')[0],
      );
      if (i === 0) {
        await knex('fusioninfer_approvals').insert(v1Row);
      }
      expect(await v1RowNow(knex)).toEqual(v1RowExpected);
      before.push(await schema(knex));
      // Each migration changes the schema (an empty migration is a mistake).
      expect(before[i + 1]).not.toEqual(before[i]);
    }
    expect((await knex.migrate.list({ directory, tableName }))[1]).toEqual([]);

    // Down, one step at a time, to before the first migration: each step restores exactly the schema it found.
    const rows: unknown[] = [];
    for (let i = migrations.length; i > 0; i--) {
      await down(knex);
      expect(await schema(knex)).toEqual(before[i - 1]);
      if (i > 1) rows.push(await v1RowNow(knex));
    }
    expect(rows).toEqual(rows.map(() => v1RowExpected));
    expect(await knex.schema.hasTable('fusioninfer_approvals')).toBe(false);

    // And up again to the latest: the migrations can be replayed after a full rollback.
    await knex.migrate.latest({ directory, tableName });
    expect(await schema(knex)).toEqual(before[migrations.length]);
    await knex.destroy();
  });

  it('a request stored by the first migration reads back through the current ApprovalStore after upgrading', async () => {
    const knex = await databases.init(databaseId);
    await up(knex);
    await knex('fusioninfer_approvals').insert(v1Row);
    // ApprovalStore.create runs the remaining migrations, as a deployment upgrading from the first version does.
    const store = await ApprovalStore.create(knex, {
      now: () => new Date('2026-11-26T10:00:00.000Z'),
    });
    expect(await knex.migrate.currentVersion({ directory, tableName })).toBe(
      migrations[migrations.length - 1].split('_')[0],
    );
    expect(await store.get(v1Row.id)).toMatchObject({
      id: v1Row.id,
      status: 'pending',
      cluster: 'dev',
      namespace: 'llm',
      name: 'qwen',
      entityRef: 'component:default/qwen',
      requestedBy: 'user:default/alice',
      requestedAt: '2026-11-25T10:00:00.000Z',
      reasons: ['64 GPUs requested; more than 8 need approval'],
      manifest: JSON.parse(v1Row.manifest),
    });
    await knex.destroy();
  });
});
