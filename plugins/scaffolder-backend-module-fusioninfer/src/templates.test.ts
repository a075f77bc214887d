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
import os from 'os';
import path from 'path';
import { validate } from 'jsonschema';
import { parse, parseAllDocuments } from 'yaml';
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  locationEntityV1alpha1Validator,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { loadTemplate, TEMPLATES_DIR } from '@fusioninfer/test-utils';
import { UPSTREAM_EXAMPLE_PARAMETERS } from '@fusioninfer/plugin-fusioninfer-common/builder';
import { createRenderAction } from './actions/render';
import { context } from './__testUtils__/mocks';

const ROOT = path.resolve(__dirname, '../../..');
const TEMPLATES = ['deploy-llm', 'publish-gitops', 'decommission-model'];
/** A template as the catalog serves it: its `$yaml` form pages (templates/_shared/) resolved. */
const load = (name: string) => loadTemplate(name);
/** The file as written, placeholders and all. */
const raw = (file: string) =>
  parse(fs.readFileSync(path.join(TEMPLATES_DIR, file), 'utf8'));
const SHARED_PAGES = ['model', 'topology', 'routing', 'placement'];
const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);
/** What POST /api/scaffolder/v2/tasks checks: the values against every page of the form. */
const formErrors = (template: any, values: unknown) =>
  [template.spec.parameters]
    .flat()
    .flatMap((page: any) => validate(values, page).errors.map(e => e.stack));
const OUR_ACTIONS = [
  'fusioninfer:service:render',
  'fusioninfer:service:apply',
  'fusioninfer:service:wait',
  'fusioninfer:service:delete',
];
const BUILTIN = ['catalog:fetch', 'debug:log', 'publish:github:pull-request'];
const placement = {
  cluster: 'dev',
  namespace: 'default',
  owner: 'group:default/ml-platform',
};

describe('templates', () => {
  it.each(TEMPLATES)('%s is a valid Template entity', async name => {
    const entity = load(name);
    await expect(policy.enforce(entity)).resolves.toBeDefined();
    await expect(templateEntityV1beta3Validator.check(entity)).resolves.toBe(
      true,
    );
    for (const step of entity.spec.steps)
      expect([...OUR_ACTIONS, ...BUILTIN]).toContain(step.action);
  });

  it('the validator would catch a broken template (the check above can fail)', async () => {
    const broken = load('deploy-llm');
    broken.spec.steps = 'not a list';
    await expect(
      Promise.resolve().then(() =>
        templateEntityV1beta3Validator.check(broken),
      ),
    ).rejects.toThrow();
  });

  it('catalog-info.yaml registers every template', async () => {
    const docs = parseAllDocuments(
      fs.readFileSync(path.join(ROOT, 'catalog-info.yaml'), 'utf8'),
    ).map(d => d.toJS());
    const location = docs.find(d => d.kind === 'Location');
    await expect(locationEntityV1alpha1Validator.check(location)).resolves.toBe(
      true,
    );
    expect(location.spec.targets).toEqual(
      TEMPLATES.map(t => `./templates/${t}/template.yaml`),
    );
    for (const t of location.spec.targets)
      expect(fs.existsSync(path.join(ROOT, t))).toBe(true);
  });

  it('catalog-info.yaml registers no file of templates/_shared/ (form pages, not entities)', () => {
    const location = parseAllDocuments(
      fs.readFileSync(path.join(ROOT, 'catalog-info.yaml'), 'utf8'),
    )
      .map(d => d.toJS())
      .find(d => d.kind === 'Location');
    expect(fs.readdirSync(path.join(TEMPLATES_DIR, '_shared')).sort()).toEqual(
      SHARED_PAGES.map(p => `${p}.yaml`).sort(),
    );
    expect(location.spec.targets.join()).not.toContain('_shared');
    for (const page of SHARED_PAGES) {
      const content = raw(`_shared/${page}.yaml`);
      expect(content.apiVersion).toBeUndefined();
      expect(content.kind).toBeUndefined();
    }
  });

  it.each(['deploy-llm', 'publish-gitops'])(
    '%s takes its first four pages from templates/_shared/ ($yaml, relative to the file)',
    name => {
      const pages = raw(`${name}/template.yaml`).spec.parameters;
      expect(pages.slice(0, 4)).toEqual(
        SHARED_PAGES.map(p => ({ $yaml: `../_shared/${p}.yaml` })),
      );
      expect(pages).toHaveLength(5);
      expect(pages[4].title).toBe(
        name === 'deploy-llm' ? 'Review' : 'Repository',
      );
    },
  );

  it('"Publish to GitOps" has the same form as "Deploy an LLM"', () => {
    const pages = (t: any) =>
      t.spec.parameters.filter(
        (p: any) => !['Review', 'Repository'].includes(p.title),
      );
    // Same values in the same key order (the order the form shows the fields in).
    expect(JSON.stringify(pages(load('publish-gitops')))).toBe(
      JSON.stringify(pages(load('deploy-llm'))),
    );
    expect(pages(load('deploy-llm')).map((p: any) => p.title)).toEqual([
      'Model',
      'Topology',
      'Routing',
      'Placement and ownership',
    ]);
    // The shared pages resolve to whole pages (the YAML anchors inside them resolved), no placeholder left.
    expect(JSON.stringify(load('deploy-llm'))).not.toMatch(
      /"\$(yaml|json|text)"/,
    );
    expect(
      pages(load('deploy-llm'))[1].dependencies.topology.oneOf[3].properties
        .decode.properties.nodeCount,
    ).toEqual({
      title: 'Pods per replica',
      type: 'integer',
      minimum: 1,
      maximum: 64,
      default: 2,
    });
  });

  it('the review step carries the FusionInferPreview field', () => {
    const review = load('deploy-llm').spec.parameters.find(
      (p: any) => p.title === 'Review',
    );
    expect(review.properties.preview['ui:field']).toBe('FusionInferPreview');
  });

  it.each(['deploy-llm', 'publish-gitops'])(
    '%s: the preview builds from the same parameters as the render step',
    name => {
      const template = load(name);
      const preview = [template.spec.parameters]
        .flat()
        .map((p: any) => p.properties?.preview)
        .find(Boolean);
      expect(preview['ui:field']).toBe('FusionInferPreview');
      expect(preview['ui:options'].source).toBe('parameters');
      const render = template.spec.steps.find(
        (s: any) => s.action === 'fusioninfer:service:render',
      );
      // The field always leaves itself (`preview`) out; everything else the render step drops, it drops too.
      expect([...preview['ui:options'].ignore, 'preview'].sort()).toEqual(
        [...render.input.ignore].sort(),
      );
    },
  );

  it.each(Object.keys(UPSTREAM_EXAMPLE_PARAMETERS))(
    'the deploy form accepts the parameters of %s',
    file => {
      const values = { ...UPSTREAM_EXAMPLE_PARAMETERS[file], ...placement };
      expect(formErrors(load('deploy-llm'), values)).toEqual([]);
      expect(
        formErrors(load('publish-gitops'), {
          ...values,
          repoUrl: 'github.com?owner=acme&repo=gitops',
        }),
      ).toEqual([]);
    },
  );

  const hostileBase = {
    name: 'qwen',
    model: 'Qwen/Qwen3-8B',
    image: 'vllm/vllm-openai:v0.27.1',
    topology: 'monolithic',
    worker: { replicas: 1, extraArgs: ['--max-model-len', '4096'] },
    routing: 'none',
    ...placement,
  };
  it.each([
    [
      'replicas as a string',
      { worker: { replicas: '3' } },
      /replicas is not of a type|dependency required by instance.topology/,
    ],
    [
      'a billion replicas',
      { worker: { replicas: 1e9 } },
      /replicas must be less than or equal to 100|dependency required by instance.topology/,
    ],
    [
      'shell syntax in the model',
      { model: 'Qwen; rm -rf /' },
      /model does not match pattern/,
    ],
    [
      'command substitution in an argument',
      { worker: { replicas: 1, extraArgs: ['$(id)'] } },
      /extraArgs\[0\] does not match pattern|dependency required by instance.topology/,
    ],
    [
      'a newline in an argument',
      { worker: { replicas: 1, extraArgs: ['--a\n--b'] } },
      /extraArgs\[0\] does not match pattern|dependency required by instance.topology/,
    ],
    [
      'a name too long for Kubernetes children',
      { name: 'n'.repeat(41) },
      /name does not meet maximum length of 40/,
    ],
    [
      'an unknown topology',
      { topology: 'quantum' },
      /topology is not one of enum values/,
    ],
  ])('the deploy form rejects %s', (_, patch, message) => {
    // Without the hostile patch the same values pass, so the rejection is the patch's.
    expect(formErrors(load('deploy-llm'), hostileBase)).toEqual([]);
    const values = {
      name: 'qwen',
      model: 'Qwen/Qwen3-8B',
      image: 'vllm/vllm-openai:v0.27.1',
      topology: 'monolithic',
      worker: { replicas: 1 },
      routing: 'none',
      ...placement,
      ...(patch as object),
    };
    expect(formErrors(load('deploy-llm'), values).join('\n')).toMatch(
      message as RegExp,
    );
  });

  it('the render step of "Publish to GitOps" writes the files publish:* commits', async () => {
    const template = load('publish-gitops');
    const step = template.spec.steps.find((s: any) => s.id === 'render');
    const values = {
      ...UPSTREAM_EXAMPLE_PARAMETERS['pd-multi-node-deepseek-no-router.yaml'],
      ...placement,
      namespace: 'ml',
      repoUrl: 'github.com?owner=acme&repo=gitops',
      directory: 'clusters',
      includeChildren: true,
      preview: {},
    };
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-gitops-'));
    try {
      // The step input as the scaffolder renders it for these values.
      const input = {
        parameters: values,
        ignore: step.input.ignore,
        targetPath: `clusters/dev/ml/${values.name}`,
        files: 'service-and-children',
      };
      const c = context(input, { workspacePath: workspace });
      await createRenderAction().handler(c.ctx as any);
      expect(c.logs().filter(l => l.startsWith('warn'))).toEqual([]);
      expect(c.outputs().files).toEqual([
        'clusters/dev/ml/deepseek-r1-disagg/inferenceservice.yaml',
        'clusters/dev/ml/deepseek-r1-disagg/kustomization.yaml',
        'clusters/dev/ml/deepseek-r1-disagg/rendered/children.yaml',
      ]);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });
});
