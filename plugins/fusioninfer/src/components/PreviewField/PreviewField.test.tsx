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

import { screen, waitFor, within } from '@testing-library/react';
import { stringify } from 'yaml';
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import {
  FusionInferPreview,
  fusionInferPreviewValidation,
} from './PreviewField';
import { fillSkeleton, manifestFromForm } from './manifest';
import { UPSTREAM_EXAMPLE_PARAMETERS } from '@fusioninfer/plugin-fusioninfer-common/builder';

const server = setupMsw();

// The manifest the recorder sent (apply-approval-required carries it back).
const big = fixture('apply-approval-required').body.approval;

function renderField(
  formData: Record<string, unknown>,
  uiOptions: object = {},
) {
  const onChange = jest.fn();
  const props: any = {
    uiSchema: { 'ui:options': { debounceMs: 0, ...uiOptions } },
    formContext: { formData },
    onChange,
    rawErrors: [],
    schema: { title: 'Preview' },
  };
  return renderWithApis(<FusionInferPreview {...props} />).then(r => ({
    ...r,
    onChange,
  }));
}

describe('FusionInferPreview', () => {
  it('shows children, pods and GPUs per role, gang scheduling and why approval will be needed', async () => {
    const calls: string[] = [];
    server.use(
      http.post(`${BASE}/approvals/check`, () => {
        calls.push('check');
        return HttpResponse.json(fixture('approval-check-required'));
      }),
      http.post(`${BASE}/apply`, async ({ request }) => {
        calls.push(`apply dryRun=${((await request.json()) as any).dryRun}`);
        return HttpResponse.json(fixture('apply-dry-run-required'));
      }),
    );
    const manifest = fixture('approval-pending').manifest;
    const { onChange } = await renderField({
      cluster: 'dev',
      namespace: 'demo',
      manifest: stringify(manifest),
    });
    expect(screen.getByText(/children rendered/)).toBeInTheDocument();
    expect(screen.getByText(`${big.summary.gpus} GPUs`)).toBeInTheDocument();
    expect(
      screen.getByText(/gang scheduling \(Volcano PodGroup\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('table', { name: 'Pods and GPUs per role' }),
    ).toHaveTextContent('2 × 2');
    expect(
      await screen.findByText('Approval will be needed'),
    ).toBeInTheDocument();
    expect(screen.getByText(/more than 8 need approval/)).toBeInTheDocument();
    expect(calls.sort()).toEqual(['apply dryRun=true', 'check']);
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({
        valid: true,
        allowed: true,
        approvalRequired: true,
        gpus: big.summary.gpus,
        pods: big.summary.pods,
      }),
    );
  });

  it("shows the team project's GPU quota before → after and the pod-security level", async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-required')),
      ),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-required')),
      ),
    );
    await renderField({
      cluster: 'dev',
      manifest: fixture('approval-pending').manifest,
    });
    const line = await screen.findByRole('status', {
      name: 'Team project and policy',
    });
    // Recorded: llm-apps holds 42 GPUs in dev, this deployment adds 16, the quota is 64.
    expect(line).toHaveTextContent(
      'Project llm-apps: 42 → 58 of 64 GPUs in dev',
    );
    expect(line).toHaveTextContent('pod security baseline-gpu, no violations');
    expect(
      screen.getByRole('progressbar', { name: 'GPU quota of llm-apps in dev' }),
    ).toHaveAttribute('aria-valuenow', '91');
    expect(screen.getByText('Approval will be needed')).toBeInTheDocument();
    expect(
      screen.queryByText('The policy refuses this deployment'),
    ).not.toBeInTheDocument();
  });

  it('lists why the policy refuses the deployment, offers no approval and blocks the step', async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-refused')),
      ),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-refused')),
      ),
    );
    const manifest = fixture('approval-pending').manifest;
    manifest.metadata.namespace = 'ml-platform';
    manifest.spec.roles[1].replicas = 1;
    const { onChange } = await renderField({
      cluster: 'dev',
      namespace: 'ml-platform',
      manifest,
    });
    const refusal = (
      await screen.findByText('The policy refuses this deployment')
    ).closest('[role="alert"]') as HTMLElement;
    // Recorded: the guest's team (llm-apps) asked for a namespace of ml-platform.
    expect(refusal).toHaveTextContent(
      "metadata.namespace: namespace ml-platform of cluster dev is not one of project llm-apps's (llm-apps, default, demo)",
    );
    expect(refusal).toHaveTextContent(
      'Nothing can be applied, not even after approval',
    );
    expect(screen.queryByText('No approval needed')).not.toBeInTheDocument();
    expect(
      screen.queryByText('Approval will be needed'),
    ).not.toBeInTheDocument();
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith(
        expect.objectContaining({ valid: false, allowed: false }),
      ),
    );
    expect(onChange.mock.lastCall[0]).not.toHaveProperty('approvalRequired');
    const addError = jest.fn();
    fusionInferPreviewValidation(
      onChange.mock.lastCall[0],
      { addError } as any,
      {} as any,
    );
    expect(addError).toHaveBeenCalledTimes(1);
    expect(addError).toHaveBeenCalledWith(
      expect.stringMatching(/^The policy refuses this deployment/),
    );
  });

  it('says when no approval is needed', async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-free')),
      ),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-free')),
      ),
    );
    const manifest = fixture('approval-pending').manifest;
    manifest.spec.roles[1].replicas = 1;
    await renderField({ cluster: 'dev', manifest });
    expect(await screen.findByText('No approval needed')).toBeInTheDocument();
  });

  it('says whether the cluster has room, and when its capacity is unknown', async () => {
    const dry = fixture('apply-dry-run-free');
    dry.capacity = {
      totalGpus: 32,
      freeGpus: 8,
      largestFreeBlockGpus: 8,
      nodes: 4,
    };
    dry.capacityFit = {
      fits: false,
      message: 'does not fit: needs 16 GPUs, 8 of 32 GPUs are free on 4 nodes',
    };
    const check = fixture('approval-check-free');
    check.capacityFit = { message: 'cluster capacity unknown: x' };
    server.use(
      http.post(`${BASE}/approvals/check`, () => HttpResponse.json(check)),
      http.post(`${BASE}/apply`, () => HttpResponse.json(dry)),
    );
    const manifest = fixture('approval-pending').manifest;
    manifest.spec.roles[1].replicas = 1;
    await renderField({ cluster: 'dev', manifest });
    const status = await screen.findByRole('status', {
      name: 'Cluster capacity',
    });
    // The dry run's verdict wins over the check's.
    expect(status).toHaveTextContent('The cluster has no room now');
    expect(status).toHaveTextContent(
      'does not fit: needs 16 GPUs, 8 of 32 GPUs are free on 4 nodes; the pods would wait until GPUs are freed.',
    );
  });

  it("shows the dry run's pre-flight — vLLM would not start, the error it would print and the fix — without blocking the step", async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-free')),
      ),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-does-not-start')),
      ),
    );
    const manifest = fixture('approval-pending').manifest;
    manifest.spec.roles[1].replicas = 1;
    const { onChange } = await renderField({ cluster: 'dev', manifest });
    const preflight = await screen.findByRole('region', { name: 'Pre-flight' });
    expect(preflight).toHaveTextContent('On cluster dev as it is now');
    // The dry run's report wins over the check's (recorded: Qwen3-32B on one H100).
    expect(
      within(preflight).getByLabelText('Pre-flight verdict: does not start'),
    ).toBeInTheDocument();
    const verdict = within(preflight).getByRole('status', {
      name: 'inference: vLLM will not start',
    });
    expect(
      within(verdict).getByLabelText('The error vLLM would print'),
    ).toHaveTextContent(
      "ValueError: To serve at least one request with the models's max seq len (40960)",
    );
    expect(verdict).toHaveTextContent('Fix: set --max-model-len 26752');
    // An estimate: the step goes on (the value says nothing about it).
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith(
        expect.objectContaining({ valid: true, approvalRequired: false }),
      ),
    );
  });

  it("falls back to the approval check's pre-flight when the dry run has none", async () => {
    const dry = fixture('apply-dry-run-free');
    delete dry.preflight;
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-free')),
      ),
      http.post(`${BASE}/apply`, () => HttpResponse.json(dry)),
    );
    const manifest = fixture('approval-pending').manifest;
    manifest.spec.roles[1].replicas = 1;
    await renderField({ cluster: 'dev', manifest });
    const preflight = await screen.findByRole('region', { name: 'Pre-flight' });
    expect(
      within(preflight).getByRole('status', { name: 'inference: vLLM starts' }),
    ).toHaveTextContent(
      '850,832 tokens of KV cache per replica: 20.77 requests of 40,960 tokens at once.',
    );
    expect(
      within(preflight).getByRole('status', { name: 'Placement' }),
    ).toHaveTextContent('Fits: 2 pods with 2 GPUs, the gang of 2 together');
  });

  it('lists validation errors by path, asks nothing of the backend and blocks the step', async () => {
    const manifest = fixture('approval-pending').manifest;
    manifest.spec.roles[1].replicas = -1;
    const { onChange } = await renderField({ cluster: 'dev', manifest });
    expect(
      screen.getByText('The InferenceService is not valid'),
    ).toBeInTheDocument();
    expect(screen.getByText('spec.roles[1].replicas')).toBeInTheDocument();
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ valid: false }),
    );
    const addError = jest.fn();
    fusionInferPreviewValidation(
      { valid: false },
      { addError } as any,
      {} as any,
    );
    expect(addError).toHaveBeenCalledWith(expect.stringMatching(/not valid/));
  });

  it("shows the backend's refusal", async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        errorResponse('apply-dry-run-invalid'),
      ),
      http.post(`${BASE}/apply`, () => errorResponse('apply-dry-run-invalid')),
    );
    await renderField({
      cluster: 'dev',
      manifest: fixture('approval-pending').manifest,
    });
    expect(
      (await screen.findAllByText(/The backend refused the check/)).length,
    ).toBeGreaterThan(0);
  });

  it('waits for the form', async () => {
    await renderField({});
    expect(
      screen.getByText('Fill in the form to see a preview.'),
    ).toBeInTheDocument();
  });
});

describe("FusionInferPreview on the templates' deployment form", () => {
  it('builds the InferenceService from the form parameters, as fusioninfer:service:render does', async () => {
    server.use(
      http.post(`${BASE}/approvals/check`, () =>
        HttpResponse.json(fixture('approval-check-free')),
      ),
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(fixture('apply-dry-run-free')),
      ),
    );
    const form = {
      ...UPSTREAM_EXAMPLE_PARAMETERS['multi-node-router.yaml'],
      cluster: 'dev',
      namespace: 'demo',
      waitUntilReady: true,
    };
    const props: any = {
      name: 'preview',
      uiSchema: { 'ui:options': { debounceMs: 0, ignore: ['waitUntilReady'] } },
      formContext: { formData: { ...form, preview: { valid: true } } },
      onChange: jest.fn(),
      rawErrors: [],
      schema: { title: 'What will be deployed' },
    };
    await renderWithApis(<FusionInferPreview {...props} />);
    expect(screen.getByText(/children rendered/)).toBeInTheDocument();
    expect(
      screen.getByRole('table', { name: 'Pods and GPUs per role' }),
    ).toHaveTextContent('1 × 2');
    expect(
      screen.getByText(/gang scheduling \(Volcano PodGroup\)/),
    ).toBeInTheDocument();
    expect(await screen.findByText('No approval needed')).toBeInTheDocument();
  });

  it.each([
    // One replica of one pod with one GPU, no router (one LeaderWorkerSet): every count is one.
    ['monolithic-no-router.yaml', ['1 child rendered', '1 GPU', '1 pod']],
    // One replica of two pods (one GPU each) and the endpoint picker's pod.
    ['multi-node-router.yaml', ['2 GPUs', '3 pods']],
  ])(
    'counts GPUs and pods of %s in the singular for one, the plural otherwise',
    async (example, counts) => {
      server.use(
        http.post(`${BASE}/approvals/check`, () =>
          HttpResponse.json(fixture('approval-check-free')),
        ),
        http.post(`${BASE}/apply`, () =>
          HttpResponse.json(fixture('apply-dry-run-free')),
        ),
      );
      await renderField({
        ...UPSTREAM_EXAMPLE_PARAMETERS[example],
        cluster: 'dev',
        namespace: 'demo',
      });
      for (const c of counts) expect(screen.getByText(c)).toBeInTheDocument();
      expect(
        screen.getByText(/^\d+ child(ren)? rendered$/),
      ).toBeInTheDocument();
      expect(
        screen.queryByText(/\b1 (GPUs|pods|children)\b/),
      ).not.toBeInTheDocument();
      expect(await screen.findByText('No approval needed')).toBeInTheDocument();
    },
  );

  it('lists what the form still lacks, by field, and blocks the step', async () => {
    const { onChange } = await renderField({ name: 'qwen', cluster: 'dev' });
    expect(
      screen.getByText(
        'The form does not describe a valid InferenceService yet.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('model')).toBeInTheDocument();
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ valid: false }),
    );
  });
});

describe('manifestFromForm', () => {
  it('fills a skeleton from the form, keeping types of whole placeholders', () => {
    expect(
      fillSkeleton(
        {
          a: '${{ parameters.n }}',
          b: 'x-${{ parameters.name }}',
          c: ['${{ parameters.missing }}'],
        },
        { n: 3, name: 'q' },
      ),
    ).toEqual({ a: 3, b: 'x-q', c: [undefined] });
    const r = manifestFromForm(
      { c: 'dev', ns: 'ml', name: 'q' },
      {
        clusterField: 'c',
        namespaceField: 'ns',
        manifest: { metadata: { name: '${{ parameters.name }}' } },
      },
    );
    expect(r).toEqual({
      ok: true,
      cluster: 'dev',
      namespace: 'ml',
      manifest: { metadata: { name: 'q' } },
    });
  });

  it('names an unreadable manifest', () => {
    expect(manifestFromForm({ manifest: 'a: [' })).toEqual({
      ok: false,
      message: expect.stringMatching(/^manifest: not YAML/),
    });
  });
});
