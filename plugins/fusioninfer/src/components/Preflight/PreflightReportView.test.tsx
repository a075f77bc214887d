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

import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { PreflightReport } from '@fusioninfer/plugin-fusioninfer-common';
import { fixture } from '../../__testUtils__';
import { PreflightReportView } from './PreflightReportView';

// Recorded answers of the backend on the development cluster (4 nodes × 8 NVIDIA-H100-80GB-HBM3).
const running = () => fixture<PreflightReport>('preflight-qwen');
const stuckGang = () => fixture<PreflightReport>('preflight-gang');
const tooLarge = () =>
  fixture('apply-dry-run-does-not-start').preflight as PreflightReport;

const role = (name: RegExp | string) =>
  screen.getByRole('region', { name: name as string });

describe('PreflightReportView', () => {
  it('says a role starts, with its GPU budget, KV cache tokens, requests at once and the placement, in the CLI’s words', async () => {
    await renderInTestApp(<PreflightReportView report={running()} />);
    const section = screen.getByRole('region', { name: 'Pre-flight' });
    expect(
      within(section).getByLabelText('Pre-flight verdict: starts'),
    ).toBeInTheDocument();
    const inference = role('inference (worker, 2 GPUs per replica)');
    expect(
      within(inference).getByRole('status', {
        name: 'inference: vLLM starts',
      }),
    ).toHaveTextContent(
      'vLLM starts850,832 tokens of KV cache per replica: 20.77 requests of 40,960 tokens at once.',
    );
    // The rows say what `fusioninfer preflight` prints for the same report.
    const facts = Object.fromEntries(
      within(inference)
        .getAllByRole('term')
        .map(dt => [dt.textContent, dt.nextElementSibling?.textContent]),
    );
    expect(facts).toEqual({
      Engine:
        'vLLM Qwen/Qwen3-8B, TP 2 × PP 1, gpu-memory-utilization 0.9 · architecture from Qwen/Qwen3-8B config.json, Opens in a new window',
      'GPU memory':
        'NVIDIA-H100-80GB-HBM3 79.2 GiB: vLLM may use 71.28 GiB = weights 7.64 + activations 2.26 + non-torch 2.1 + CUDA graphs 0.86 + KV cache 58.42',
      'KV cache':
        '850,832 tokens (73,728 bytes per token per GPU); 20.77 requests of 40,960 tokens at once',
    });
    expect(
      within(inference).getByRole('link', {
        name: /^Qwen\/Qwen3-8B config\.json/,
      }),
    ).toHaveAttribute(
      'href',
      'https://huggingface.co/Qwen/Qwen3-8B/blob/main/config.json',
    );
    expect(
      screen.getByRole('heading', { name: 'Placement (gang)' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Placement' })).toHaveTextContent(
      'Fits: 2 pods with 2 GPUs, the gang of 2 together (32 of 32 GPUs free on 4 nodes)',
    );
    expect(
      screen.queryByRole('list', { name: /^Findings/ }),
    ).not.toBeInTheDocument();
  });

  it('prints the error vLLM would print and the fix when a role does not start', async () => {
    await renderInTestApp(
      <PreflightReportView report={tooLarge()} caption="On cluster dev" />,
    );
    expect(
      screen.getByLabelText('Pre-flight verdict: does not start'),
    ).toBeInTheDocument();
    expect(screen.getByText('On cluster dev')).toBeInTheDocument();
    const verdict = screen.getByRole('status', {
      name: 'inference: vLLM will not start',
    });
    const error = within(verdict).getByLabelText('The error vLLM would print');
    expect(error.tagName).toBe('PRE');
    expect(error).toHaveTextContent(
      "ValueError: To serve at least one request with the models's max seq len (40960), (10.01 GiB KV cache is needed, which is larger than the available KV cache memory (6.53 GiB). Based on the available memory, the estimated maximum model length is 26752.",
    );
    expect(verdict).toHaveTextContent(
      'Fix: set --max-model-len 26752, or --kv-cache-dtype fp8 (53520 tokens of KV cache), or --tensor-parallel-size 2 with 2 GPUs per replica (288608 tokens of KV cache)',
    );
    // No "requests at once" promise for a role that does not start; the budget still shows why.
    expect(verdict).not.toHaveTextContent('tokens of KV cache per replica');
    const inference = role('inference (worker, 1 GPU per replica)');
    expect(inference).toHaveTextContent(
      'NVIDIA-H100-80GB-HBM3 79.2 GiB: vLLM may use 71.28 GiB = weights 61.09 + activations 2.26 + non-torch 0.25 + CUDA graphs 1.14 + KV cache 6.53',
    );
    expect(inference).toHaveTextContent(
      '26,752 tokens (262,144 bytes per token per GPU); 0.65 requests of 40,960 tokens at once',
    );
    // A single-pod role: no gang.
    expect(
      screen.getByRole('heading', { name: 'Placement' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Placement' })).toHaveTextContent(
      'Fits: 1 pod with 1 GPU (30 of 32 GPUs free on 4 nodes)',
    );
  });

  it('says why a gang does not fit, names the blocking node and lists the findings', async () => {
    await renderInTestApp(<PreflightReportView report={stuckGang()} />);
    const placement = screen.getByRole('status', { name: 'Placement' });
    expect(placement).toHaveTextContent(
      'Does not fit: the gang of 5 pods must start together and only 3 can be placed now — it needs 40 GPUs; 30 of 32 GPUs free on 4 nodes',
    );
    expect(placement).toHaveTextContent(
      'Blocked by: a pod of inference needs 8 free GPUs on one node; the largest free block once the other 3 pods are placed is 6 on gpu-node-0',
    );
    expect(
      screen.getByRole('list', { name: 'Findings of inference' }),
    ).toHaveTextContent(
      'warning: vLLM uses 2 of the 40 GPUs of a replica (TP 2 × PP 1); 38 stay idle',
    );
  });

  it('says "unknown" without figures for a model the catalog does not know, and when the cluster is unknown', async () => {
    const report = running();
    report.verdict = 'unknown';
    const r = report.roles[0];
    r.verdict = 'unknown';
    r.engine.model = 'example/private-model';
    delete r.model;
    delete r.memory;
    r.findings = [
      {
        severity: 'info',
        message:
          'model example/private-model is unknown to the pre-flight: memory and KV cache are not estimated (add it to fusioninfer.preflight.models, or give the CLI --model-config)',
      },
    ];
    report.gang = {
      pods: 2,
      minMember: 2,
      placed: 0,
      message: 'cluster unknown: no snapshot of its nodes',
    };
    await renderInTestApp(<PreflightReportView report={report} />);
    expect(
      screen.getByLabelText('Pre-flight verdict: unknown'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('status', {
        name: 'inference: Unknown whether vLLM starts',
      }),
    ).toBeInTheDocument();
    // Only the engine is known: no budget, no KV cache figures.
    expect(screen.getAllByRole('term').map(dt => dt.textContent)).toEqual([
      'Engine',
    ]);
    expect(screen.getByRole('definition')).toHaveTextContent(
      'vLLM example/private-model, TP 2 × PP 1, gpu-memory-utilization 0.9',
    );
    expect(
      screen.getByText(/is unknown to the pre-flight/),
    ).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Placement' })).toHaveTextContent(
      'Cluster unknown: no snapshot of its nodes',
    );
  });
});
