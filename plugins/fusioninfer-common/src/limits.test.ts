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

import { loadExample, loadExamples } from './__testUtils__/examples';
import { canonicalJson, specHash } from './hash';
import {
  checkInferenceServiceLimits,
  LIMITS,
  measureJson,
  ROUTER_CHILDREN,
} from './limits';
import { renderInferenceService, summarizeInferenceService } from './render';
import { inferenceServiceCrd } from './crd/inferenceServiceCrd';
import { deriveStatus } from './status';
import { formatIssue, validateInferenceService } from './validate';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const worker = (name: string, replicas: number, extra: object = {}) => ({
  name,
  componentType: 'worker',
  replicas,
  template: {
    spec: {
      containers: [
        {
          name: 'c',
          image: 'vllm:ok',
          resources: { limits: { 'nvidia.com/gpu': '8' } },
        },
      ],
    },
  },
  ...extra,
});
const service = (roles: unknown[]) => ({
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'svc', namespace: 'ml' },
  spec: { roles },
});
/** An object nested `depth` levels inside the first worker's pod template. */
function deep(depth: number) {
  const svc = service([worker('w', 1)]) as any;
  let node: any = {};
  svc.spec.roles[0].template.spec.x = node;
  for (let i = 0; i < depth; i++) {
    node.a = {};
    node = node.a;
  }
  return svc;
}
const errorsOf = (obj: unknown) =>
  validateInferenceService(obj).errors.map(formatIssue);

describe('LIMITS', () => {
  it('documents sensible values, consistent with the CRD maxima', () => {
    expect(LIMITS).toEqual({
      manifestBytes: 1048576,
      depth: 100,
      roles: 32,
      replicasPerRole: 10000,
      nodesPerReplica: 1000,
      podsPerService: 10000,
      childrenPerService: 1000,
      endpointPickerConfigBytes: 65536,
      renderedBytes: 8388608,
    });
    expect(Object.isFrozen(LIMITS)).toBe(true);
    const role = (
      inferenceServiceCrd.spec.versions[0].schema!.openAPIV3Schema as any
    ).properties.spec.properties.roles;
    expect(role.maxItems).toBe(LIMITS.roles);
    expect(role.items.properties.replicas.maximum).toBe(LIMITS.replicasPerRole);
    expect(role.items.properties.multinode.properties.nodeCount.maximum).toBe(
      LIMITS.nodesPerReplica,
    );
  });

  it('keeps every example well within the limits', () => {
    for (const [name, isvc] of Object.entries(loadExamples()))
      expect({ name, issues: checkInferenceServiceLimits(isvc) }).toEqual({
        name,
        issues: [],
      });
  });
});

describe('amplification (review H1)', () => {
  // 32 roles × 10,000 replicas: a 7 KB manifest that rendered 320,000 LeaderWorkerSets and crashed the backend.
  const huge = service(
    Array.from({ length: 32 }, (_, i) => worker(`r${i}`, 10000)),
  );

  it('is refused by validate, naming the rule, without rendering', () => {
    const errs = errorsOf(huge);
    expect(errs).toContain(
      'spec.roles: the service would create 320,000 child objects (320,000 LeaderWorkerSets, one per replica, plus PodGroup and router objects); at most 1,000 per service (limit childrenPerService)',
    );
    expect(errs).toContain(
      'spec.roles: the service would run 320,000 pods (Σ replicas × multinode.nodeCount over its roles); at most 10,000 per service (limit podsPerService)',
    );
  });

  it('is never expanded by render: the limit errors come back instead', () => {
    const two = service([worker('a', 10000), worker('b', 10000)]);
    const out = renderInferenceService(two);
    expect(out.children).toEqual([]);
    expect(out.limitErrors?.map(formatIssue)).toEqual([
      expect.stringContaining('would run 20,000 pods'),
      expect.stringContaining('would create 20,000 child objects'),
      expect.stringContaining('limit renderedBytes'),
    ]);
    expect(out.summary.totals).toEqual({
      pods: 20000,
      gpus: 160000,
      accelerators: { 'nvidia.com/gpu': 160000 },
      resourceClaims: 0,
      children: 20000,
    });
    expect(renderInferenceService(huge).children).toEqual([]);
  });

  it('accepts exactly the limit and refuses one more', () => {
    // 992 LWS + 8 router children = 1,000 children.
    const router = { name: 'router', componentType: 'router' };
    const at = service([router, worker('w', 992)]);
    expect(checkInferenceServiceLimits(at)).toEqual([]);
    expect(renderInferenceService(at).children).toHaveLength(1000);
    const over = service([router, worker('w', 993)]);
    expect(checkInferenceServiceLimits(over).map(formatIssue)).toEqual([
      expect.stringMatching(/1,001 child objects.*at most 1,000/),
    ]);
  });

  it('bounds pods per replica and pods per service', () => {
    const wide = service([worker('w', 11, { multinode: { nodeCount: 1000 } })]);
    expect(errorsOf(wide)).toEqual([
      expect.stringMatching(
        /^spec\.roles: the service would run 11,000 pods .*limit podsPerService/,
      ),
    ]);
    const tooWide = service([
      worker('w', 1, { multinode: { nodeCount: 1001 } }),
    ]);
    expect(errorsOf(tooWide)).toEqual([
      'spec.roles[0].multinode.nodeCount: Invalid value: 1001: must be at most 1000 pods per replica (limit nodesPerReplica)',
    ]);
    const manyReplicas = service([worker('w', 2147483647)]);
    expect(errorsOf(manyReplicas)).toContain(
      'spec.roles[0].replicas: Invalid value: 2147483647: must be at most 10000 (limit replicasPerRole: each replica is its own LeaderWorkerSet)',
    );
  });

  it('bounds the rendered size (replicas × template)', () => {
    const big = service([worker('w', 900)]) as any;
    big.spec.roles[0].template.spec.containers[0].env = [
      { name: 'BLOB', value: 'x'.repeat(30000) },
    ];
    expect(errorsOf(big)).toEqual([
      expect.stringMatching(
        /^spec\.roles: the rendered children would take about 26\.\d MiB .*at most 8\.0 MiB \(limit renderedBytes\)/,
      ),
    ]);
    expect(renderInferenceService(big).children).toEqual([]);
    big.spec.roles[0].replicas = 100;
    expect(errorsOf(big)).toEqual([]);
  });

  it('keeps the CRD maximum when a limit is raised above it', () => {
    const svc = service([worker('w', 10001)]);
    expect(
      validateInferenceService(svc, {
        limits: {
          replicasPerRole: 20000,
          childrenPerService: 20000,
          podsPerService: 20000,
          renderedBytes: 1e9,
        },
      }).errors.map(formatIssue),
    ).toEqual([
      'spec.roles[0].replicas: Invalid value: 10001: spec.roles[0].replicas in body should be less than or equal to 10000',
    ]);
    // with the default limits, one message (the limit's) for the field
    expect(
      errorsOf(svc).filter(e => e.startsWith('spec.roles[0].replicas')),
    ).toEqual([
      'spec.roles[0].replicas: Invalid value: 10001: must be at most 10000 (limit replicasPerRole: each replica is its own LeaderWorkerSet)',
    ]);
  });

  it('honours overrides', () => {
    const svc = service([worker('w', 20)]);
    expect(
      validateInferenceService(svc, { limits: { childrenPerService: 10 } })
        .valid,
    ).toBe(false);
    expect(
      renderInferenceService(svc, { limits: { childrenPerService: 10 } })
        .children,
    ).toEqual([]);
    expect(renderInferenceService(svc).children).toHaveLength(20);
  });
});

describe('size and depth (review L4)', () => {
  it('reports deep nesting first, with its path, and nothing else', () => {
    const r = validateInferenceService(deep(10000));
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(formatIssue(r.errors[0])).toMatch(
      /^spec\.roles\[0\]\.template\.spec\.x(\.a)+: nested more than 100 levels deep \(limit depth/,
    );
    // the path names the level where the bound was crossed: 7 levels down to `x`, then 94 × `a` = depth 101
    expect(r.errors[0].path.split('.')).toHaveLength(5 + 94);
  });

  it('render never throws, even at 10,000 and 100,000 levels', () => {
    for (const d of [10000, 100000]) {
      const out = renderInferenceService(deep(d));
      expect(out.children).toEqual([]);
      expect(out.limitErrors).toHaveLength(1);
    }
    // just inside the limit renders
    expect(renderInferenceService(deep(90)).children).toHaveLength(1);
  });

  it('hashes and copies any depth without exhausting the stack', () => {
    const d = deep(20000);
    expect(specHash(d)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    const text = canonicalJson(d);
    expect(text.length).toBeGreaterThan(20000 * 6);
    // streamed hash == hash of the canonical text (also past the recursion hand-over)
    const { fnv1_32, safeEncode } = jest.requireActual('./hash');
    expect(specHash(d)).toBe(safeEncode(String(fnv1_32(text))));
    // render with a raised depth limit copies the deep template iteratively
    const out = renderInferenceService(deep(5000), {
      limits: { depth: 10000 },
    });
    expect(out.children).toHaveLength(1);
    expect(canonicalJson(out.children[0]).length).toBeGreaterThan(5000 * 6);
  });

  it('refuses a manifest over 1 MiB before anything else', () => {
    const big = service([worker('w', 1)]) as any;
    big.spec.roles[0].template.spec.containers[0].env = [
      { name: 'BLOB', value: 'é'.repeat(600 * 1024) }, // 1.2 MB in UTF-8
    ];
    expect(errorsOf(big)).toEqual([
      'the manifest is larger than 1,048,576 bytes as JSON (limit manifestBytes); nothing else was checked',
    ]);
    big.spec.roles[0].template.spec.containers[0].env[0].value = 'e'.repeat(
      600 * 1024,
    );
    expect(errorsOf(big)).toEqual([]);
  });

  it('refuses too many roles before checking each', () => {
    const many = service(
      Array.from({ length: 5000 }, (_, i) => worker(`r${i}`, 0)),
    );
    expect(errorsOf(many)).toEqual([
      'spec.roles: Too many: 5,000: must have at most 32 roles (limit roles); the roles were not checked further',
    ]);
  });
});

describe('measureJson', () => {
  it('counts the bytes of compact JSON exactly for ASCII data', () => {
    for (const isvc of Object.values(loadExamples())) {
      const m = measureJson(isvc, Infinity, Infinity);
      expect(m.bytes).toBe(Buffer.byteLength(JSON.stringify(isvc)));
      expect(m.exceeded).toBeUndefined();
    }
    expect(measureJson({ a: 'é€😀' }).bytes).toBe(
      Buffer.byteLength(JSON.stringify({ a: 'é€😀' })),
    );
  });

  it('stops at cycles, huge sparse lists and long strings without walking them', () => {
    const cyc: any = { a: [] };
    cyc.a.push(cyc);
    expect(measureJson(cyc).exceeded).toBe('depth');
    expect(measureJson(new Array(1e9)).exceeded).toBe('bytes');
    expect(measureJson('x'.repeat(5e6)).exceeded).toBe('bytes');
    const shared = { s: 'x'.repeat(1000) };
    expect(measureJson(Array(2000).fill(shared)).exceeded).toBe('bytes');
    const throwing = {
      get a() {
        throw new Error('boom');
      },
    };
    expect(measureJson(throwing).exceeded).toBe('bytes');
  });
});

describe('summarizeInferenceService', () => {
  it('gives the numbers of render, for every example, without rendering', () => {
    for (const [name, isvc] of Object.entries(loadExamples())) {
      const { summary, children } = renderInferenceService(isvc, {
        namespace: 'ml',
      });
      const { router: _router, ...rest } = summary;
      expect({
        name,
        s: summarizeInferenceService(isvc, { namespace: 'ml' }),
      }).toEqual({ name, s: rest });
      expect(summary.totals.children).toBe(children.length);
    }
  });

  it('counts router children and multi-node gang roles like render', () => {
    const x = clone(loadExample('monolithic-router-qwen')) as any;
    x.spec.roles[1].multinode = { nodeCount: 2 };
    x.spec.roles[1].replicas = 3;
    const s = summarizeInferenceService(x);
    expect(s.totals.children).toBe(3 + 1 + ROUTER_CHILDREN);
    expect(s.totals.children).toBe(renderInferenceService(x).children.length);
    expect(s.gangScheduling).toBe(true);
  });

  it('is arithmetic: any replica count, any input', () => {
    const s = summarizeInferenceService(service([worker('w', 2147483647)]));
    expect(s.totals.pods).toBe(2147483647);
    expect(s.totals.gpus).toBe(2147483647 * 8);
    for (const junk of [null, 1, 'x', [], { spec: { roles: 'no' } }, deep(1e5)])
      expect(() => summarizeInferenceService(junk)).not.toThrow();
  });
});

describe('endpointPickerConfig size', () => {
  it('is bounded before the YAML is parsed', () => {
    const router = (epc: string) =>
      service([
        {
          name: 'r',
          componentType: 'router',
          endpointPickerConfig: epc,
          httproute: { parentRefs: [{ name: 'g' }] },
        },
        worker('w', 1),
      ]);
    const big = `# ${'x'.repeat(70000)}\n${loadExample('router-custom-endpointpickerconfig').spec.roles[0].endpointPickerConfig}`;
    expect(errorsOf(router(big))).toEqual([
      `spec.roles[0].endpointPickerConfig: Too long: ${Buffer.byteLength(big).toLocaleString('en-US')} bytes; at most 65,536 (limit endpointPickerConfigBytes: the YAML is parsed on every validation and render)`,
    ]);
    expect(
      errorsOf(router(big.replace('x'.repeat(70000), 'x'.repeat(60000)))),
    ).toEqual([]);
    expect(renderInferenceService(router(big)).children).toEqual([]);
  });
});

describe('status of a stored service over the limits', () => {
  it('iterates at most replicasPerRole replicas per role', () => {
    const huge = service(
      Array.from({ length: 32 }, (_, i) => worker(`r${i}`, 2147483647)),
    );
    const { status } = deriveStatus(huge);
    const components = Object.values(status.components ?? {}) as Array<{
      desiredReplicas: number;
    }>;
    expect(components).toHaveLength(32);
    // was 100,000 per role (3.2 million replica entries for one stored object)
    expect(components.map(c => c.desiredReplicas)).toEqual(
      Array(32).fill(LIMITS.replicasPerRole),
    );
  });
});
