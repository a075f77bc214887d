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
import path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { devClusterConfig, loadExample } from '@fusioninfer/test-utils';
import { UPSTREAM_EXAMPLE_PARAMETERS } from '@fusioninfer/plugin-fusioninfer-common/builder';
import {
  runTemplate,
  startBackend,
  taskResult,
} from '../__testUtils__/harness';

jest.setTimeout(60000);

/** Stands in for publish:github:pull-request: records what would be committed (the workspace) and the PR text. */
function fakePublish(
  pulls: Array<{ input: any; files: Record<string, string> }>,
) {
  return createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'fake-publish',
    register(env) {
      env.registerInit({
        deps: { scaffolder: scaffolderActionsExtensionPoint },
        async init({ scaffolder }) {
          scaffolder.addActions(
            createTemplateAction({
              id: 'publish:github:pull-request',
              schema: {
                input: {
                  repoUrl: z => z.string(),
                  branchName: z => z.string(),
                  title: z => z.string(),
                  description: z => z.string(),
                },
                output: { remoteUrl: z => z.string() },
              },
              async handler(ctx) {
                const files: Record<string, string> = {};
                const walk = (dir: string) => {
                  for (const e of fs.readdirSync(dir, {
                    withFileTypes: true,
                  })) {
                    const p = path.join(dir, e.name);
                    if (e.isDirectory()) walk(p);
                    else
                      files[
                        path
                          .relative(ctx.workspacePath, p)
                          .split(path.sep)
                          .join('/')
                      ] = fs.readFileSync(p, 'utf8');
                  }
                };
                walk(ctx.workspacePath);
                pulls.push({ input: ctx.input, files });
                ctx.output(
                  'remoteUrl',
                  'https://github.com/acme/gitops/pull/7',
                );
              },
            }),
          );
        },
      });
    },
  });
}

describe('"Publish to GitOps" through /api/scaffolder/v2', () => {
  let dev: DevCluster;
  beforeAll(async () => {
    dev = await startDevCluster({ simulate: false });
  });
  afterAll(() => dev.close());

  it('commits the InferenceService, its kustomization and the rendered children, and applies nothing', async () => {
    const pulls: Array<{ input: any; files: Record<string, string> }> = [];
    const { server } = await startBackend(dev.url, {
      extraFeatures: [fakePublish(pulls)],
    });
    const values = {
      ...UPSTREAM_EXAMPLE_PARAMETERS['router-pd-disaggregation-3-decode.yaml'],
      cluster: 'dev',
      namespace: 'ml',
      owner: 'group:default/ml-platform',
      repoUrl: 'github.com?owner=acme&repo=gitops',
      directory: 'clusters',
      includeChildren: true,
    };
    const result = await taskResult(
      server,
      await runTemplate(server, 'fusioninfer-publish-gitops', values),
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    expect(pulls).toHaveLength(1);
    const { input, files } = pulls[0];
    const dir = 'clusters/dev/ml/disaggregated-llm-service';
    expect(Object.keys(files).sort()).toEqual([
      `${dir}/inferenceservice.yaml`,
      `${dir}/kustomization.yaml`,
      `${dir}/rendered/children.yaml`,
    ]);
    // The upstream example, with the namespace and owner the form adds.
    const expected = loadExample('router-pd-disaggregation-3-decode.yaml');
    expected.metadata = {
      name: 'disaggregated-llm-service',
      namespace: 'ml',
      annotations: { 'fusioninfer.io/owner': 'group:default/ml-platform' },
    };
    expect(parse(files[`${dir}/inferenceservice.yaml`])).toStrictEqual(
      expected,
    );
    expect(parse(files[`${dir}/kustomization.yaml`]).resources).toEqual([
      'inferenceservice.yaml',
    ]);
    const children = parseAllDocuments(
      files[`${dir}/rendered/children.yaml`],
    ).map(d => d.toJS());
    expect(children).toEqual(
      renderInferenceService(expected, { namespace: 'ml' }).children,
    );
    expect(input).toMatchObject({
      repoUrl: 'github.com?owner=acme&repo=gitops',
      branchName: 'fusioninfer/dev-ml-disaggregated-llm-service',
      title:
        'Deploy disaggregated-llm-service (meta-llama/Llama-3-70B-Instruct) to dev/ml',
    });
    const { summary } = renderInferenceService(expected, { namespace: 'ml' });
    expect(input.description).toContain(
      `${summary.totals.pods} pods, ${summary.totals.gpus} GPUs,\ntopology \`pd\`, routing \`pd-disaggregation\``,
    );
    expect(input.description).toContain(
      `Files: ${dir}/inferenceservice.yaml, ${dir}/kustomization.yaml`,
    );
    expect(result.output.links).toEqual([
      { title: 'Pull request', url: 'https://github.com/acme/gitops/pull/7' },
    ]);
    // Nothing reached the cluster.
    const client = new ClusterClient(devClusterConfig(dev.url));
    expect(
      await client.get(
        KINDS.InferenceService,
        'ml',
        'disaggregated-llm-service',
      ),
    ).toBeUndefined();
  });
});
