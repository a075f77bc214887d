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

import { screen, waitFor } from '@testing-library/react';
// The templates as the catalog serves them (shared form pages resolved); test code only, run by Jest in Node.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { loadTemplate } from '@fusioninfer/test-utils';
import {
  buildInferenceService,
  UPSTREAM_EXAMPLE_PARAMETERS,
} from '@fusioninfer/plugin-fusioninfer-common/builder';
import {
  BASE,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { FusionInferPreview } from './PreviewField';

// The field as the repository's templates configure it: ui:options read from templates/*/template.yaml, the form
// data shaped like the whole form the scaffolder's Stepper passes in formContext.formData (every step's values,
// the form-only fields and the preview field's own value included).
const server = setupMsw();

function previewOf(template: string) {
  const doc = loadTemplate(template);
  const preview = [doc.spec.parameters]
    .flat()
    .map((p: any) => p.properties?.preview)
    .find(Boolean);
  const render = doc.spec.steps.find(
    (s: any) => s.action === 'fusioninfer:service:render',
  );
  return { preview, render };
}

function renderPreview(template: string, formData: Record<string, unknown>) {
  const { preview } = previewOf(template);
  expect(preview['ui:field']).toBe('FusionInferPreview');
  const onChange = jest.fn();
  const props: any = {
    name: 'preview',
    uiSchema: { 'ui:options': { ...preview['ui:options'], debounceMs: 0 } },
    formContext: { formData },
    onChange,
    rawErrors: [],
    schema: { title: preview.title, description: preview.description },
  };
  return renderWithApis(<FusionInferPreview {...props} />).then(() => ({
    onChange,
  }));
}

const pdMultiNode = {
  ...UPSTREAM_EXAMPLE_PARAMETERS['pd-multi-node-deepseek-no-router.yaml'],
  cluster: 'dev',
  namespace: 'demo',
};

describe('FusionInferPreview in the Deploy an LLM template', () => {
  it('sends the backend the manifest the render step would build and shows the verdict', async () => {
    const bodies: Record<string, any> = {};
    server.use(
      http.post(`${BASE}/approvals/check`, async ({ request }) => {
        bodies.check = await request.json();
        return HttpResponse.json(fixture('approval-check-required'));
      }),
      http.post(`${BASE}/apply`, async ({ request }) => {
        bodies.apply = await request.json();
        return HttpResponse.json(fixture('apply-dry-run-required'));
      }),
    );
    const { onChange } = await renderPreview('deploy-llm', {
      ...pdMultiNode,
      waitUntilReady: true,
      waitForApproval: false,
      preview: { valid: true },
    });
    // What fusioninfer:service:render builds from the same form (its `ignore` drops the form-only fields).
    const { render } = previewOf('deploy-llm');
    const form: Record<string, unknown> = {
      ...pdMultiNode,
      waitUntilReady: true,
      waitForApproval: false,
      preview: { valid: true },
    };
    for (const key of render.input.ignore) delete form[key];
    const built = buildInferenceService(form);
    if (!built.ok) throw new Error(JSON.stringify(built.errors));

    expect(screen.getByText('What will be deployed')).toBeInTheDocument();
    expect(screen.getByText(/children rendered/)).toBeInTheDocument();
    expect(
      screen.getByText(/gang scheduling \(Volcano PodGroup\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('prefill/decode disaggregated'),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Pods and GPUs per role' });
    expect(table).toHaveTextContent('prefill');
    expect(table).toHaveTextContent('decode');
    expect(
      await screen.findByText('Approval will be needed'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/16 GPUs requested; more than 8 need approval/),
    ).toBeInTheDocument();
    expect(bodies.apply).toEqual({
      cluster: 'dev',
      namespace: 'demo',
      manifest: built.manifest,
      dryRun: true,
    });
    expect(bodies.check).toEqual({
      cluster: 'dev',
      namespace: 'demo',
      manifest: built.manifest,
    });
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith(
        expect.objectContaining({ valid: true, approvalRequired: true }),
      ),
    );
  });

  it('shows hostile form values by field, blocks the step and asks the backend nothing', async () => {
    const calls: string[] = [];
    server.use(
      http.post(`${BASE}/*`, ({ request }) => {
        calls.push(request.url);
        return HttpResponse.json({}, { status: 500 });
      }),
    );
    const { onChange } = await renderPreview('deploy-llm', {
      ...pdMultiNode,
      name: 'Qwen; rm -rf /',
      decode: { ...(pdMultiNode as any).decode, replicas: 100000 },
      waitUntilReady: true,
      waitForApproval: false,
    });
    expect(
      screen.getByText(
        'The form does not describe a valid InferenceService yet.',
      ),
    ).toBeInTheDocument();
    const list = screen.getByRole('alert');
    expect(list).toHaveTextContent('decode.replicas');
    expect(list).not.toHaveTextContent('waitUntilReady');
    expect(list).toHaveTextContent('name');
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ valid: false }),
    );
    await new Promise(r => setTimeout(r, 50));
    expect(calls).toEqual([]);
  });
});

describe('FusionInferPreview in the Publish to GitOps template', () => {
  it('leaves the GitOps fields out of the parameters it builds from', async () => {
    let sent: any;
    server.use(
      http.post(`${BASE}/approvals/check`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(fixture('approval-check-free'));
      }),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-free')),
      ),
    );
    const form = {
      ...UPSTREAM_EXAMPLE_PARAMETERS['monolithic-router-qwen.yaml'],
      cluster: 'dev',
      namespace: 'demo',
      repoUrl: 'github.com?owner=acme&repo=deployments',
      directory: 'clusters',
      includeChildren: true,
    };
    await renderPreview('publish-gitops', form);
    expect(screen.getByText(/children rendered/)).toBeInTheDocument();
    expect(await screen.findByText('No approval needed')).toBeInTheDocument();
    const { render } = previewOf('publish-gitops');
    const rest: Record<string, unknown> = { ...form };
    for (const key of render.input.ignore) delete rest[key];
    const built = buildInferenceService(rest);
    if (!built.ok) throw new Error(JSON.stringify(built.errors));
    expect(built.warnings).toEqual([]);
    expect(sent.manifest).toEqual(built.manifest);
  });
});
