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
  acceleratorMatcher,
  DEFAULT_ACCELERATOR_RESOURCES,
  effectivePodRequests,
  gpuEquivalentPerUnit,
  gpuEquivalents,
  isAcceleratorResource,
  podAccelerators,
  podResourceClaims,
  roundGpus,
} from './accelerators';

type Res = Record<string, string | number>;
const c = (
  name: string,
  limits?: Res,
  extra: Record<string, unknown> = {},
) => ({
  name,
  image: 'img',
  ...(limits ? { resources: { limits } } : {}),
  ...extra,
});
const sidecar = (name: string, limits?: Res) =>
  c(name, limits, { restartPolicy: 'Always' });
const pod = (containers: unknown[], initContainers?: unknown[], more = {}) => ({
  spec: {
    containers,
    ...(initContainers ? { initContainers } : {}),
    ...more,
  },
});
const GPU = 'nvidia.com/gpu';

describe('effectivePodRequests (KEP-753)', () => {
  it('adds sidecars (restartPolicy Always) to the containers', () => {
    const t = pod([c('main', { [GPU]: '1' })], [sidecar('side', { [GPU]: 8 })]);
    expect(effectivePodRequests(t)).toEqual({ [GPU]: 9 });
  });

  it('takes a plain init container larger than the containers', () => {
    const t = pod([c('main', { [GPU]: '2' })], [c('init', { [GPU]: '16' })]);
    expect(effectivePodRequests(t)).toEqual({ [GPU]: 16 });
    // ... and the containers when they are larger
    const u = pod([c('main', { [GPU]: '4' })], [c('init', { [GPU]: '2' })]);
    expect(effectivePodRequests(u)).toEqual({ [GPU]: 4 });
  });

  it('adds to an init container the sidecars declared before it, not after', () => {
    const t = pod(
      [c('main', { [GPU]: '1' })],
      [
        sidecar('s1', { [GPU]: '2' }),
        c('init', { [GPU]: '4' }), // 2 + 4 = 6 while it runs
        sidecar('s2', { [GPU]: '1' }),
      ],
    );
    // running: 1 + 2 + 1 = 4; init phase: 6
    expect(effectivePodRequests(t)).toEqual({ [GPU]: 6 });
    const before = pod(
      [c('main', { [GPU]: '1' })],
      [c('init', { [GPU]: '4' }), sidecar('s1', { [GPU]: '2' })],
    );
    expect(effectivePodRequests(before)).toEqual({ [GPU]: 4 });
  });

  it('computes each resource on its own', () => {
    const t = pod(
      [c('main', { [GPU]: '2', 'amd.com/gpu': '1' })],
      [c('init', { 'amd.com/gpu': '3' })],
    );
    expect(effectivePodRequests(t)).toEqual({ [GPU]: 2, 'amd.com/gpu': 3 });
  });

  it('reads limits, else requests; quantities as Kubernetes writes them', () => {
    const t = pod([
      { name: 'a', resources: { requests: { [GPU]: '2' } } },
      { name: 'b', resources: { limits: { [GPU]: '1k' } } },
      {
        name: 'c',
        resources: { limits: { [GPU]: 'x' }, requests: { [GPU]: 3 } },
      },
      { name: 'd', resources: { limits: { [GPU]: '-8' } } }, // never subtracts
      { name: 'e', resources: { limits: { [GPU]: { a: 1 } } } },
    ]);
    expect(effectivePodRequests(t)).toEqual({ [GPU]: 1005 });
  });

  it('takes a pod spec as well as a template, and filters names', () => {
    const spec = { containers: [c('a', { [GPU]: 1, cpu: '2' })] };
    expect(effectivePodRequests(spec)).toEqual({ [GPU]: 1, cpu: 2 });
    expect(effectivePodRequests(spec, n => n === 'cpu')).toEqual({ cpu: 2 });
  });
});

describe('accelerator names', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_ACCELERATOR_RESOURCES).toEqual(
      expect.arrayContaining([
        'nvidia.com/*',
        'amd.com/gpu',
        'gpu.intel.com/*',
        'google.com/tpu',
        'habana.ai/*',
        'aws.amazon.com/neuron*',
      ]),
    );
    expect(Object.isFrozen(DEFAULT_ACCELERATOR_RESOURCES)).toBe(true);
  });

  it.each([
    'nvidia.com/gpu',
    'nvidia.com/gpu.shared',
    'nvidia.com/mig-3g.40gb',
    'nvidia.com/mig-1g.10gb+me',
    'amd.com/gpu',
    'gpu.intel.com/i915',
    'gpu.intel.com/xe',
    'google.com/tpu',
    'habana.ai/gaudi',
    'aws.amazon.com/neuron',
    'aws.amazon.com/neuroncore',
    'aws.amazon.com/neurondevice',
    // what the earlier pattern matched
    'gpu',
    'example.com/gpu',
    'huawei.com/npu',
    'cambricon.com/mlu',
    'hygon.com/dcu',
    'xilinx.com/xpu',
    'NVIDIA.com/GPU',
  ])('counts %s', name => {
    expect(isAcceleratorResource(name)).toBe(true);
  });

  it.each([
    'cpu',
    'memory',
    'ephemeral-storage',
    'hugepages-2Mi',
    'example.com/gpus',
    'amd.com/cpu',
    'rdma/rdma_shared_device_a',
    'google.com/tpux',
  ])('does not count %s', name => {
    expect(isAcceleratorResource(name)).toBe(false);
  });

  it('takes exact names, prefix and suffix patterns, and * for every extended resource', () => {
    const m = acceleratorMatcher(['example.com/fpga', 'acme.io/*', '*/qpu']);
    expect(m('example.com/fpga')).toBe(true);
    expect(m('example.com/fpga2')).toBe(false);
    expect(m('acme.io/anything')).toBe(true);
    expect(m('lab.org/qpu')).toBe(true);
    expect(m('nvidia.com/gpu')).toBe(false); // the list replaces the defaults
    const all = acceleratorMatcher(['*']);
    expect(all('rdma/hca')).toBe(true);
    for (const n of ['cpu', 'memory', 'ephemeral-storage', 'hugepages-1Gi'])
      expect(all(n)).toBe(false);
    expect(acceleratorMatcher(['a*b*c'])('aXbYc')).toBe(true);
    expect(acceleratorMatcher(['a*b*c'])('abXc')).toBe(true);
    expect(acceleratorMatcher(['ab*bc'])('abc')).toBe(false);
    expect(acceleratorMatcher([])('nvidia.com/gpu')).toBe(false);
    // not a list: the defaults, never "nothing counts"
    expect(acceleratorMatcher('x' as any)('nvidia.com/gpu')).toBe(true);
    expect(acceleratorMatcher([1, null, '', 'a.b/c'] as any)('a.b/c')).toBe(
      true,
    );
  });
});

describe('GPU equivalents', () => {
  it('counts whole devices 1, MIG slices g/7, shared units 1', () => {
    expect(gpuEquivalentPerUnit('nvidia.com/gpu')).toBe(1);
    expect(gpuEquivalentPerUnit('amd.com/gpu')).toBe(1);
    expect(gpuEquivalentPerUnit('nvidia.com/gpu.shared')).toBe(1);
    expect(gpuEquivalentPerUnit('nvidia.com/mig-3g.40gb')).toBeCloseTo(3 / 7);
    expect(gpuEquivalentPerUnit('nvidia.com/mig-1g.10gb+me')).toBeCloseTo(
      1 / 7,
    );
    expect(gpuEquivalentPerUnit('nvidia.com/mig-1c.3g.20gb')).toBeCloseTo(
      3 / 7,
    );
    expect(gpuEquivalentPerUnit('nvidia.com/mig-7g.80gb')).toBe(1);
    expect(gpuEquivalentPerUnit('nvidia.com/mig-9g.80gb')).toBe(1);
    expect(gpuEquivalentPerUnit('nvidia.com/gpumem')).toBe(0);
  });

  it('rounds 2 × 3g.40gb to 0.857', () => {
    expect(roundGpus(gpuEquivalents({ 'nvidia.com/mig-3g.40gb': 2 }))).toBe(
      0.857,
    );
    expect(roundGpus(7 * (1 / 7))).toBe(1);
    expect(roundGpus(2147483647 * 8)).toBe(2147483647 * 8);
  });

  it('counts a device attribute without a device as one GPU, and nothing beside one', () => {
    expect(gpuEquivalents({ 'nvidia.com/gpumem': 40000 })).toBe(1);
    expect(
      gpuEquivalents({ 'nvidia.com/gpumem': 40000, 'nvidia.com/gpu': 2 }),
    ).toBe(2);
    expect(
      gpuEquivalents({
        'gpu.intel.com/millicores': 500,
        'gpu.intel.com/i915': 1,
      }),
    ).toBe(1);
  });
});

describe('podAccelerators', () => {
  it('sees the sidecar of N-H1: 8 GPUs in an init container with restartPolicy Always', () => {
    const t = pod([c('main')], [sidecar('side', { [GPU]: '8' })]);
    expect(podAccelerators(t)).toEqual({
      accelerators: { [GPU]: 8 },
      gpus: 8,
      resourceClaims: 0,
    });
  });

  it('counts AMD, Intel, MIG and shared GPUs', () => {
    const t = pod([
      c('a', { 'amd.com/gpu': '1' }),
      c('b', { 'gpu.intel.com/i915': '1' }),
      c('m', { 'nvidia.com/mig-3g.40gb': '2', 'nvidia.com/gpu.shared': '4' }),
    ]);
    const p = podAccelerators(t);
    expect(p.accelerators).toEqual({
      'amd.com/gpu': 1,
      'gpu.intel.com/i915': 1,
      'nvidia.com/mig-3g.40gb': 2,
      'nvidia.com/gpu.shared': 4,
    });
    expect(roundGpus(p.gpus)).toBe(6.857);
  });

  it('takes a custom list, or a compiled matcher', () => {
    const t = pod([c('a', { [GPU]: '1', 'example.com/fpga': '2' })]);
    expect(
      podAccelerators(t, { acceleratorResources: ['example.com/fpga'] }),
    ).toEqual({
      accelerators: { 'example.com/fpga': 2 },
      gpus: 2,
      resourceClaims: 0,
    });
    expect(
      podAccelerators(t, acceleratorMatcher(['nvidia.com/*'])).accelerators,
    ).toEqual({ [GPU]: 1 });
  });

  it('reports DRA resource claims without guessing their GPUs', () => {
    const t = pod(
      [
        {
          name: 'main',
          image: 'img',
          resources: { claims: [{ name: 'gpus' }, { name: 'nic' }] },
        },
      ],
      [
        {
          name: 'init',
          image: 'img',
          resources: { claims: [{ name: 'gpus' }] },
        },
      ],
      {
        resourceClaims: [
          { name: 'gpus', resourceClaimTemplateName: 'eight-h200' },
          { name: 'spare', resourceClaimName: 'spare' },
        ],
      },
    );
    expect(podResourceClaims(t)).toBe(3); // gpus, spare, nic
    expect(podAccelerators(t)).toEqual({
      accelerators: {},
      gpus: 0,
      resourceClaims: 3,
    });
    expect(podResourceClaims(pod([c('a')]))).toBe(0);
  });
});

describe('hostile input', () => {
  const throwing = (): Record<string, unknown> =>
    Object.defineProperty({}, 'resources', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
  const trap = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
    },
  );

  it('never throws and still counts what it can read', () => {
    const t = pod(
      [1, 'x', null, [], throwing(), c('ok', { [GPU]: '2' }), trap],
      [throwing(), sidecar('s', { [GPU]: '1' }), 7],
    );
    expect(podAccelerators(t).accelerators).toEqual({ [GPU]: 3 });
    for (const junk of [
      undefined,
      null,
      0,
      'spec',
      [],
      trap,
      { spec: trap },
      {
        spec: { containers: trap, initContainers: trap, resourceClaims: trap },
      },
      { spec: { containers: 'no', initContainers: { 0: {} } } },
      pod([{ resources: { limits: trap } }]),
      pod([{ resources: { claims: trap } }]),
      pod([{ resources: { limits: { [GPU]: Symbol('x') } } }]),
      pod([c('big', { [GPU]: '1e40' })]),
    ]) {
      expect(() => podAccelerators(junk)).not.toThrow();
      expect(() => effectivePodRequests(junk)).not.toThrow();
      expect(() => podResourceClaims(junk)).not.toThrow();
    }
    expect(
      podAccelerators(t, () => {
        throw new Error('bad matcher');
      }),
    ).toEqual({ accelerators: {}, gpus: 0, resourceClaims: 0 });
  });

  it('reads a bounded number of containers of huge lists', () => {
    const huge: unknown[] = [];
    huge.length = 2 ** 32 - 1; // sparse: a loop to its length would never end
    huge[0] = c('a', { [GPU]: '1' });
    const many = Array.from({ length: 5000 }, (_, i) =>
      c(`c${i}`, { [GPU]: '1' }),
    );
    const t0 = Date.now();
    expect(podAccelerators(pod(huge, huge)).accelerators).toEqual({ [GPU]: 1 });
    expect(podAccelerators(pod(many)).accelerators).toEqual({ [GPU]: 1000 });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('keeps a resource named __proto__ as data', () => {
    const limits = JSON.parse('{"__proto__": "3"}');
    const p = podAccelerators(pod([{ name: 'a', resources: { limits } }]), {
      acceleratorResources: ['*'],
    });
    expect(Object.getPrototypeOf(p.accelerators)).toBe(Object.prototype);
    expect(Object.keys(p.accelerators)).toEqual(['__proto__']);
    expect(p.gpus).toBe(3);
  });
});
