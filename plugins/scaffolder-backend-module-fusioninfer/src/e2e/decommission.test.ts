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

import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  runTemplate,
  startBackend,
  taskResult,
} from '../__testUtils__/harness';

jest.setTimeout(60000);

describe('"Decommission a model" through /api/scaffolder/v2', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 20 } });
    client = new ClusterClient(devClusterConfig(dev.url));
  });
  afterAll(() => dev.close());

  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'qwen-inference.default.dev',
      annotations: { 'fusioninfer.io/service': 'dev/default/qwen-inference' },
    },
    spec: {
      type: 'model-service',
      lifecycle: 'production',
      owner: 'group:default/ml-platform',
    },
  };

  it('deletes nothing without the typed confirmation, then deletes the service and its children', async () => {
    await client.apply(
      {
        ...loadExample('monolithic-no-router.yaml'),
        metadata: { name: 'qwen-inference', namespace: 'default' },
      },
      { fieldManager: 'kubectl' },
    );
    const { server } = await startBackend(dev.url, { entities: [entity] });
    await waitFor(
      () =>
        client.get(
          KINDS.LeaderWorkerSet,
          'default',
          'qwen-inference-inference-0',
        ),
      {
        what: 'the LeaderWorkerSet',
      },
    );

    const refused = await taskResult(
      server,
      await runTemplate(server, 'fusioninfer-decommission-model', {
        entity: 'component:default/qwen-inference.default.dev',
        confirm: 'qwen',
      }),
    );
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(
      /confirm: type the name of the service to delete \(qwen-inference\); nothing was deleted/,
    );
    expect(
      await client.get(KINDS.InferenceService, 'default', 'qwen-inference'),
    ).toBeDefined();

    const done = await taskResult(
      server,
      await runTemplate(server, 'fusioninfer-decommission-model', {
        entity: 'component:default/qwen-inference.default.dev',
        confirm: 'qwen-inference',
        reason: 'replaced by qwen-3',
      }),
    );
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    expect(done.log).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'Decommissioning qwen-inference from component:default/qwen-inference.default.dev: replaced by qwen-3',
        ),
        'delete: Deleted dev/default/qwen-inference; its children are garbage-collected',
        'delete: dev/default/qwen-inference is gone',
      ]),
    );
    expect(
      await client.get(KINDS.InferenceService, 'default', 'qwen-inference'),
    ).toBeUndefined();
    await waitFor(
      async () =>
        !(await client.get(
          KINDS.LeaderWorkerSet,
          'default',
          'qwen-inference-inference-0',
        )),
      {
        what: 'the LeaderWorkerSet to be garbage-collected',
      },
    );
  });
});
