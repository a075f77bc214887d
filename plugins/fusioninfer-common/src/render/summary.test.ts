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

import { approvalRequired } from '../approval';
import { loadExample, loadExamples } from '../__testUtils__/examples';
import { effectivePodRequests } from '../governance/accelerators';
import { LeaderWorkerSet } from '../types';
import { acceleratorsPerPod } from './summary';
import { renderInferenceService, summarizeInferenceService } from '.';

type Res = Record<string, string | number>;
const c = (name: string, limits?: Res, extra: object = {}) => ({
  name,
  image: 'vllm:ok',
  ...(limits ? { resources: { limits } } : {}),
  ...extra,
});
const sidecar = (name: string, limits?: Res) =>
  c(name, limits, { restartPolicy: 'Always' });
const role = (
  name: string,
  replicas: number,
  spec: Record<string, unknown>,
  extra: object = {},
) => ({
  name,
  componentType: 'worker',
  replicas,
  template: { spec },
  ...extra,
});
const service = (roles: unknown[]) => ({
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'sneaky', namespace: 'default' },
  spec: { roles },
});
const GPU = 'nvidia.com/gpu';

/** The summary, checked against the rendered summary (same numbers but `router`). */
function summarize(isvc: unknown, options = {}) {
  const s = summarizeInferenceService(isvc, options);
  const { router: _router, ...rendered } = renderInferenceService(isvc).summary;
  if (Object.keys(options).length === 0) expect(s).toEqual(rendered);
  return s;
}

describe('summarizeInferenceService counts every accelerator (N-H1)', () => {
  it('counts a sidecar with 8 GPUs in 4 replicas as 32 GPUs', () => {
    const s = summarize(
      service([
        role('inference', 4, {
          initContainers: [sidecar('side', { [GPU]: '8' })],
          containers: [c('main')],
        }),
      ]),
    );
    expect(s.roles[0]).toMatchObject({
      acceleratorsPerPod: { [GPU]: 8 },
      accelerators: { [GPU]: 32 },
      gpusPerPod: 8,
      gpus: 32,
      resourceClaims: 0,
    });
    expect(s.totals).toMatchObject({ pods: 4, gpus: 32, resourceClaims: 0 });
    expect(
      approvalRequired(
        { cluster: 'dev', namespace: 'default', summary: s },
        { maxGpusWithoutApproval: 2 },
      ).required,
    ).toBe(true);
  });

  it('takes a plain init container of 16 GPUs over containers of 2', () => {
    const s = summarize(
      service([
        role('w', 1, {
          initContainers: [c('warmup', { [GPU]: '16' })],
          containers: [c('a', { [GPU]: '1' }), c('b', { [GPU]: '1' })],
        }),
      ]),
    );
    expect(s.totals.gpus).toBe(16);
    expect(s.totals.accelerators).toEqual({ [GPU]: 16 });
  });

  it('adds the sidecars declared before an init container to it', () => {
    const s = summarize(
      service([
        role('w', 2, {
          initContainers: [
            sidecar('proxy', { [GPU]: '2' }),
            c('warmup', { [GPU]: '4' }),
          ],
          containers: [c('main', { [GPU]: '1' })],
        }),
      ]),
    );
    expect(s.roles[0].acceleratorsPerPod).toEqual({ [GPU]: 6 });
    expect(s.totals.gpus).toBe(12);
  });

  it('counts AMD and Intel GPUs', () => {
    const s = summarize(
      service([
        role('amd', 2, { containers: [c('a', { 'amd.com/gpu': '4' })] }),
        role('intel', 3, {
          containers: [c('i', { 'gpu.intel.com/i915': '1' })],
        }),
      ]),
    );
    expect(s.totals.accelerators).toEqual({
      'amd.com/gpu': 8,
      'gpu.intel.com/i915': 3,
    });
    expect(s.totals.gpus).toBe(11);
  });

  it('counts two MIG 3g.40gb slices as 0.857 GPUs', () => {
    const s = summarize(
      service([
        role('mig', 1, {
          containers: [c('m', { 'nvidia.com/mig-3g.40gb': '2' })],
        }),
      ]),
    );
    expect(s.roles[0].accelerators).toEqual({ 'nvidia.com/mig-3g.40gb': 2 });
    expect(s.roles[0].gpus).toBe(0.857);
    expect(s.totals.gpus).toBe(0.857);
    // rounding applies to the total, not to each role
    const seven = summarize(
      service(
        Array.from({ length: 7 }, (_, i) =>
          role(`r${i}`, 1, {
            containers: [c('m', { 'nvidia.com/mig-1g.10gb': '1' })],
          }),
        ),
      ),
    );
    expect(seven.roles[0].gpus).toBe(0.143);
    expect(seven.totals.gpus).toBe(1);
  });

  it('counts 4 nvidia.com/gpu.shared as 4 GPUs', () => {
    const s = summarize(
      service([
        role('shared', 1, {
          containers: [c('s', { 'nvidia.com/gpu.shared': '4' })],
        }),
      ]),
    );
    expect(s.totals.gpus).toBe(4);
    expect(s.totals.accelerators).toEqual({ 'nvidia.com/gpu.shared': 4 });
  });

  it('counts the evidence of N-H1: 32 GPUs, 8 MIG slices, 16 shared GPUs', () => {
    const s = summarize(
      service([
        role('inference', 4, {
          initContainers: [sidecar('side', { [GPU]: '8' })],
          containers: [
            c('main', {
              'nvidia.com/mig-3g.40gb': '2',
              'nvidia.com/gpu.shared': '4',
            }),
          ],
        }),
      ]),
    );
    expect(s.totals.accelerators).toEqual({
      [GPU]: 32,
      'nvidia.com/mig-3g.40gb': 8,
      'nvidia.com/gpu.shared': 16,
    });
    expect(s.totals.gpus).toBe(51.429); // 32 + 16 + 8 × 3/7
  });

  it('reports DRA resource claims per pod and in total, without guessing GPUs', () => {
    const s = summarize(
      service([
        role('dra', 4, {
          resourceClaims: [
            { name: 'gpus', resourceClaimTemplateName: 'eight-h200' },
          ],
          containers: [
            c('main', undefined, { resources: { claims: [{ name: 'gpus' }] } }),
          ],
        }),
        role('plain', 1, { containers: [c('x', { [GPU]: '1' })] }),
      ]),
    );
    expect(s.roles.map(r => r.resourceClaims)).toEqual([1, 0]);
    expect(s.totals.resourceClaims).toBe(4);
    expect(s.totals.gpus).toBe(1);
  });

  it('takes a custom list of accelerator resources', () => {
    const w = role('w', 2, {
      containers: [c('a', { [GPU]: '1', 'example.com/fpga': '3' })],
    });
    const svc = service([w]);
    expect(summarize(svc).totals.accelerators).toEqual({ [GPU]: 2 });
    const custom = summarizeInferenceService(svc, {
      acceleratorResources: ['example.com/*', 'nvidia.com/*'],
    });
    expect(custom.totals.accelerators).toEqual({
      [GPU]: 2,
      'example.com/fpga': 6,
    });
    expect(custom.totals.gpus).toBe(8);
    expect(
      summarizeInferenceService(svc, { acceleratorResources: ['*'] }).totals
        .gpus,
    ).toBe(8);
    expect(acceleratorsPerPod(w.template)).toEqual({
      [GPU]: 1,
    });
    expect(acceleratorsPerPod(w.template, ['example.com/fpga'])).toEqual({
      'example.com/fpga': 3,
    });
  });

  it('means the same as before for plain nvidia.com/gpu (every example)', () => {
    for (const [name, isvc] of Object.entries(loadExamples())) {
      const s = summarize(isvc);
      const sum = Object.values(s.totals.accelerators).reduce(
        (a, b) => a + b,
        0,
      );
      expect({ name, gpus: s.totals.gpus }).toEqual({ name, gpus: sum });
      for (const r of s.roles)
        expect(r.gpus).toBe(
          Object.values(r.accelerators).reduce((a, b) => a + b, 0),
        );
      expect(s.totals.resourceClaims).toBe(0);
    }
  });

  it('gives the router EPP pod no accelerators', () => {
    const x = loadExample('monolithic-router-qwen') as any;
    x.spec.roles[0].template = {
      spec: { containers: [c('epp', { [GPU]: '8' })] },
    };
    expect(x.spec.roles[0].componentType).toBe('router');
    const s = summarize(x);
    expect(s.roles[0]).toMatchObject({
      pods: 1,
      acceleratorsPerPod: {},
      gpus: 0,
      resourceClaims: 0,
    });
  });

  it('counts each pod of a multi-node replica from the template it runs (leader and workers)', () => {
    const svc = service([
      role(
        'mn',
        2,
        {
          initContainers: [sidecar('side', { [GPU]: '2' })],
          containers: [c('main', { [GPU]: '8' })],
          resourceClaims: [{ name: 'nic', resourceClaimName: 'rdma' }],
        },
        { multinode: { nodeCount: 3 } },
      ),
    ]);
    const { summary, children } = renderInferenceService(svc);
    const fromPods: Record<string, number> = {};
    let claims = 0;
    for (const lws of children.filter(
      (o): o is LeaderWorkerSet => o.kind === 'LeaderWorkerSet',
    )) {
      const t = lws.spec.leaderWorkerTemplate;
      const size = t.size ?? 1;
      const pods: [unknown, number][] = [
        [t.leaderTemplate ?? t.workerTemplate, 1],
        [t.workerTemplate, size - 1],
      ];
      for (const [template, n] of pods) {
        for (const [k, v] of Object.entries(effectivePodRequests(template)))
          fromPods[k] = (fromPods[k] ?? 0) + v * n;
        claims +=
          n *
          (((template as any)?.spec?.resourceClaims?.length as number) ?? 0);
      }
    }
    expect(fromPods).toEqual({ [GPU]: 60 });
    expect(summary.totals.accelerators).toEqual(fromPods);
    expect(summary.totals.gpus).toBe(60);
    expect(summary.totals.resourceClaims).toBe(claims);
    expect(claims).toBe(6);
  });

  it('never throws on hostile input', () => {
    const boom = () => {
      throw new Error('boom');
    };
    const getter = (key: string) =>
      Object.defineProperty({}, key, { enumerable: true, get: boom });
    const huge: unknown[] = [];
    huge.length = 2 ** 32 - 1;
    const trap = new Proxy({}, { get: boom, has: boom, ownKeys: boom });
    const templates = [
      { spec: { containers: [1, 'x', null, getter('resources')] } },
      { spec: { containers: huge, initContainers: huge } },
      { spec: { containers: trap, initContainers: [trap] } },
      getter('spec'),
      trap,
      { spec: { containers: [{ resources: { limits: trap } }] } },
      { spec: { containers: [], resourceClaims: [trap, getter('name')] } },
      {
        spec: {
          containers: Array.from({ length: 100_000 }, () => ({
            resources: { limits: { [GPU]: '1' } },
          })),
        },
      },
    ];
    for (const template of templates) {
      const svc = service([role('w', 3, {}, { template })]);
      expect(() => summarizeInferenceService(svc)).not.toThrow();
      expect(() => renderInferenceService(svc)).not.toThrow();
    }
    // a readable sidecar is still counted beside unreadable containers
    const mixed = summarizeInferenceService(
      service([
        role('w', 2, {
          containers: [getter('resources'), trap, 7],
          initContainers: [trap, sidecar('s', { [GPU]: '4' })],
        }),
      ]),
    );
    expect(mixed.totals.gpus).toBe(8);
    for (const junk of [null, 1, 'x', [], trap, { spec: trap }])
      expect(summarizeInferenceService(junk).totals).toEqual({
        pods: 0,
        gpus: 0,
        accelerators: {},
        resourceClaims: 0,
        children: expect.any(Number),
      });
  });
});
