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

import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  InferenceService,
  LeaderWorkerSet,
  ModelServerCounters,
  Pod,
  readPriceSheet,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Showback, ShowbackSource } from './Showback';
import { BudgetCrossing, UsageRecorder } from './UsageRecorder';
import { UsageStore } from './UsageStore';

const ids: TestDatabaseId[] = ['SQLITE_3'];
if (process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)
  ids.push('POSTGRES_15');
const databases = TestDatabases.create({ ids });

const UID = 'uid-qwen';
const isvc = {
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'qwen', namespace: 'llm', uid: UID },
  spec: {
    roles: [
      {
        name: 'worker',
        componentType: 'worker',
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai',
                resources: { limits: { 'nvidia.com/gpu': '4' } },
              },
            ],
          },
        },
      },
    ],
  },
} as unknown as InferenceService;

const lws = (i: number, uid = UID) =>
  ({
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: {
      name: `qwen-worker-${i}`,
      namespace: 'llm',
      ownerReferences: [
        {
          apiVersion: 'x',
          kind: 'InferenceService',
          name: 'qwen',
          uid,
          controller: true,
        },
      ],
    },
    spec: {},
  }) as unknown as LeaderWorkerSet;

const pod = (lwsName: string, node: string) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${lwsName}-0`,
      namespace: 'llm',
      labels: {
        'fusioninfer.io/service': 'qwen',
        'fusioninfer.io/component-type': 'worker',
        'leaderworkerset.sigs.k8s.io/name': lwsName,
        'leaderworkerset.sigs.k8s.io/worker-index': '0',
      },
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'vllm',
          image: 'x',
          resources: { limits: { 'nvidia.com/gpu': '4' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }) as unknown as Pod;

describe.each(databases.eachSupportedId())(
  'UsageRecorder on %p',
  databaseId => {
    let store: UsageStore;
    beforeAll(async () => {
      store = await UsageStore.create(await databases.init(databaseId));
    }, 60000);

    it('samples the clusters it leads, adds samples to hourly rows, and notifies each budget threshold once', async () => {
      let now = Date.parse('2026-12-15T10:00:00Z');
      let leading = true;
      // A foreign LeaderWorkerSet's pod with the service's label is not billed to it.
      const pods = [
        pod('qwen-worker-0', 'n1'),
        pod('qwen-worker-1', 'n2'),
        pod('intruder-0', 'n1'),
      ];
      const source: ShowbackSource = {
        clusterNames: () => ['dev'],
        listServices: async () => [isvc],
        metricsObjects: () => ({
          pods,
          leaderWorkerSets: [
            lws(0),
            lws(1),
            {
              ...lws(9, 'other'),
              metadata: { ...lws(9, 'other').metadata, name: 'intruder' },
            },
          ],
        }),
        snapshot: () => ({
          nodes: ['n1', 'n2'].map(name => ({
            name,
            labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
            allocatable: {},
            free: {},
          })),
        }),
      };
      const sheet = readPriceSheet({
        currency: 'USD',
        prices: [
          {
            resource: 'nvidia.com/gpu',
            product: 'NVIDIA-H100-80GB-HBM3',
            perHour: 3.6,
          },
        ],
      })!;
      const showback = new Showback({
        settings: {
          sheet,
          intervalMs: 60_000,
          retentionMs: 45 * 86_400_000,
          productLabel: 'nvidia.com/gpu.product',
          recorder: true,
        },
        store,
        source,
        logger: mockServices.logger.mock(),
        entityRefOf: () => 'component:default/qwen',
        ownersOf: async list => list.map(() => 'group:default/team-a'),
        projects: [
          {
            name: 'team-a',
            owners: ['group:default/team-a'],
            destinations: [],
            // 8 GPUs at 3.60 cost 28.80 an hour: 80 % of 1.20 after 250 s, 100 % after 312.5 s.
            budget: { monthly: 1.2, currency: 'USD' },
          },
        ],
        now: () => now,
      });
      // Replica 0 finishes requests; replica 1 serves nothing.
      let served = 0;
      const counters = jest.fn(
        async (_c: string, _i: InferenceService, leaders: string[]) =>
          new Map<string, ModelServerCounters>(
            leaders.map(p => [
              p,
              p === 'qwen-worker-0-0'
                ? {
                    requests: served,
                    running: 0,
                    promptTokens: served * 100,
                    generationTokens: served * 10,
                  }
                : {
                    requests: 3,
                    running: 0,
                    promptTokens: 300,
                    generationTokens: 30,
                  },
            ]),
          ),
      );
      const crossings: BudgetCrossing[] = [];
      const recorder = new UsageRecorder({
        showback,
        store,
        logger: mockServices.logger.mock(),
        isLeader: () => leading,
        counters,
        notify: c => crossings.push(c),
        now: () => now,
      });

      await recorder.tick(); // the first observation: nothing to bill yet
      expect((await store.sums(0, now + 1)).size).toBe(0);
      for (let i = 0; i < 5; i++) {
        now += 60_000;
        served += 10;
        await recorder.tick();
      }
      expect(counters).toHaveBeenCalledWith('dev', isvc, [
        'qwen-worker-0-0',
        'qwen-worker-1-0',
      ]);
      const sums = await store.sums(
        Date.parse('2026-12-01T00:00:00Z'),
        now + 1,
      );
      expect([...sums.values()]).toEqual([
        {
          cluster: 'dev',
          namespace: 'llm',
          name: 'qwen',
          entityRef: 'component:default/qwen',
          team: 'group:default/team-a',
          project: 'team-a',
          usage: {
            start: Date.parse('2026-12-15T10:00:00Z'),
            seconds: 300,
            accelerators: [
              {
                resource: 'nvidia.com/gpu',
                product: 'NVIDIA-H100-80GB-HBM3',
                seconds: 8 * 300,
                idleSeconds: 4 * 300,
                unmeasuredSeconds: 0,
              },
            ],
            promptTokens: 5000,
            generationTokens: 500,
            requests: 50,
          },
        },
      ]);
      // 300 s of 8 GPUs at 3.60: 2.40, over 1.20: both thresholds, each once.
      expect(crossings.map(c => [c.project, c.threshold, c.month])).toEqual([
        ['team-a', 80, '2026-12'],
        ['team-a', 100, '2026-12'],
      ]);
      expect(crossings[0]).toMatchObject({
        owners: ['group:default/team-a'],
        monthly: 1.2,
        currency: 'USD',
      });
      now += 60_000;
      await recorder.tick();
      expect(crossings).toHaveLength(2);
      expect(await store.notified('team-a', '2026-12')).toEqual([80, 100]);

      // Not leading: nothing recorded, and leading again starts afresh (the gap is not billed).
      leading = false;
      now += 600_000;
      await recorder.tick();
      leading = true;
      now += 60_000;
      await recorder.tick();
      now += 60_000;
      await recorder.tick();
      const after = [
        ...(
          await store.sums(Date.parse('2026-12-01T00:00:00Z'), now + 1)
        ).values(),
      ][0];
      expect(after.usage.seconds).toBe(300 + 60 + 60);

      // A sample ending in the next hour goes to that hour's row.
      now = Date.parse('2026-12-15T11:00:30Z');
      await recorder.tick();
      const hours = await store.sums(
        Date.parse('2026-12-15T11:00:00Z'),
        now + 1,
      );
      expect([...hours.values()][0].usage.seconds).toBe(120); // capped at two intervals

      // Retention: rows older than 45 days go.
      expect(
        await store.prune(Date.parse('2026-12-15T11:00:00Z'), '2026-12'),
      ).toBe(1);
      expect(
        [...(await store.sums(0, now + 1)).values()][0].usage.seconds,
      ).toBe(120);
    });
  },
);
