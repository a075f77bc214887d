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

/*
 * End-to-end harness: a Backstage backend with the scaffolder, the FusionInfer backend plugin, this module and a mock
 * catalog holding the templates of templates/, against a development cluster. Tasks are created and read through
 * the scaffolder's REST API (/api/scaffolder/v2) exactly as the frontend does.
 */

import path from 'path';
import request from 'supertest';
import knexFactory, { Knex } from 'knex';
import {
  BackendFeature,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { loadTemplate, waitFor } from '@fusioninfer/test-utils';
import {
  as,
  FusionInferTestBackend,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
// The end-to-end tests run the real backend plugin the actions call (test code only).
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import fusioninferPlugin from '@fusioninfer/plugin-fusioninfer-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleFusionInfer from '../index';

/** The templates of templates/, as the catalog would serve them (shared form pages resolved). */
export function templateEntities() {
  return ['deploy-llm', 'publish-gitops', 'decommission-model'].map(name =>
    loadTemplate(name),
  );
}

export { as };

/** One SQLite file per plugin in `dir`, so a restarted backend finds its tasks and approval requests. */
export function fileDatabases(dir: string) {
  const clients: Knex[] = [];
  const factory = createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => {
      let knex: Knex | undefined;
      return {
        async getClient() {
          if (!knex) {
            knex = knexFactory({
              client: 'better-sqlite3',
              connection: {
                filename: path.join(dir, `${plugin.getId()}.sqlite`),
              },
              useNullAsDefault: true,
            });
            clients.push(knex);
          }
          return knex;
        },
      };
    },
  });
  /**
   * Closes the files a while after the backend stopped: the scaffolder's task workers may finish a poll after
   * shutdown, and a destroyed pool would fail it.
   */
  const close = async () => {
    await new Promise(r => setTimeout(r, 1500));
    await Promise.all(clients.map(c => c.destroy()));
  };
  return { factory, close };
}

export type Server = FusionInferTestBackend['server'];

/** The scaffolder, the FusionInfer backend plugin and this module against the development cluster at `clusterUrl`. */
export async function startBackend(
  clusterUrl: string,
  options: {
    entities?: any[];
    /** Per-plugin SQLite files (kept across restarts); default in-memory. */
    databaseDir?: string;
    extraFeatures?: BackendFeature[];
    approvals?: Record<string, unknown>;
  } = {},
): Promise<FusionInferTestBackend> {
  const databases = options.databaseDir
    ? fileDatabases(options.databaseDir)
    : undefined;
  const backend = await startFusionInferTestBackend({
    plugin: fusioninferPlugin,
    cluster: clusterUrl,
    appConfig: { app: { baseUrl: 'http://portal.test' } },
    config: {
      // 3 s: a restarted backend takes the Lease over quickly (and the renew budget is whole milliseconds)
      reconciler: { leaseDurationSeconds: 3 },
      // The mock catalog holds the templates only (no entity provider): no waiting for model entities.
      scaffolder: { entityWaitSeconds: 0 },
      approvals: {
        maxGpusWithoutApproval: 8,
        approvers: ['group:default/ml-platform'],
        ...options.approvals,
      },
    },
    entities: [...templateEntities(), ...(options.entities ?? [])],
    features: [
      scaffolderPlugin,
      scaffolderModuleFusionInfer,
      ...(databases ? [databases.factory] : []),
      ...(options.extraFeatures ?? []),
    ],
  });
  return {
    ...backend,
    async stop() {
      await backend.stop();
      await databases?.close();
    },
  };
}

/** Starts a task of a template through POST /api/scaffolder/v2/tasks as `user`. */
export async function runTemplate(
  server: Server,
  template: string,
  values: Record<string, unknown>,
  user = 'user:default/mock',
) {
  const res = await request(server)
    .post('/api/scaffolder/v2/tasks')
    .set(as(user))
    .send({ templateRef: `template:default/${template}`, values });
  if (res.status !== 201)
    throw new Error(
      `POST /v2/tasks: ${res.status} ${JSON.stringify(res.body)}`,
    );
  return res.body.id as string;
}

/** Waits until the task is completed, failed or cancelled; returns its status, log lines and output. */
export async function taskResult(
  server: Server,
  id: string,
  timeoutMs = 30000,
) {
  const task = await waitFor(
    async () => {
      const r = await request(server).get(`/api/scaffolder/v2/tasks/${id}`);
      return (
        ['completed', 'failed', 'cancelled'].includes(r.body.status) && r.body
      );
    },
    { timeoutMs, intervalMs: 50, what: `task ${id} to finish` },
  );
  const events = (
    await request(server).get(`/api/scaffolder/v2/tasks/${id}/events`)
  ).body as any[];
  const log = events
    .filter(e => e.type === 'log')
    .map(
      e =>
        `${e.body.stepId ?? ''}: ${String(e.body.message)
          // eslint-disable-next-line no-control-regex
          .replace(/\u001b\[\d+m/g, '')
          .replace(/^(info|warn|error|debug): /, '')}`,
    );
  const completion = events.find(e => e.type === 'completion');
  return {
    status: task.status as string,
    log,
    output: completion?.body?.output ?? {},
    error: completion?.body?.error?.message as string | undefined,
  };
}
