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
import { InferenceService } from './types';
import { formatIssue, validateInferenceService } from './validate';

const base = (): InferenceService =>
  JSON.parse(JSON.stringify(loadExample('monolithic-router-qwen')));
const errorsOf = (obj: unknown) =>
  validateInferenceService(obj).errors.map(formatIssue);
const warningsOf = (obj: unknown) =>
  validateInferenceService(obj).warnings.map(formatIssue);

describe('validateInferenceService', () => {
  it('accepts every upstream example without errors', () => {
    for (const [name, isvc] of Object.entries(loadExamples())) {
      expect({ name, errors: errorsOf(isvc) }).toEqual({ name, errors: [] });
    }
  });

  it('rejects what is not an InferenceService, naming the field', () => {
    expect(errorsOf(null)[0]).toMatch(
      /^must be an InferenceService object .* got null$/,
    );
    expect(errorsOf([1, 2])[0]).toMatch(/got a list/);
    expect(errorsOf('text')[0]).toMatch(/got "text"/);
    const wrong = {
      ...base(),
      apiVersion: 'fusioninfer.io/v1',
      kind: 'Deployment',
    };
    expect(errorsOf(wrong)).toEqual(
      expect.arrayContaining([
        'apiVersion: must be "fusioninfer.io/v1alpha1", got "fusioninfer.io/v1"',
        'kind: must be "InferenceService", got "Deployment"',
      ]),
    );
  });

  it('requires a DNS-1035 name and a valid namespace', () => {
    const x = base();
    x.metadata.name = 'Qwen_Inference';
    x.metadata.namespace = 'Bad NS';
    const errs = errorsOf(x);
    expect(
      errs.some(e =>
        e.startsWith('metadata.name: Invalid value: "Qwen_Inference"'),
      ),
    ).toBe(true);
    expect(
      errs.some(e =>
        e.startsWith('metadata.namespace: Invalid value: "Bad NS"'),
      ),
    ).toBe(true);
    const y = base();
    y.metadata.name = '1abc';
    expect(
      errorsOf(y).some(e =>
        e.startsWith('metadata.name: Invalid value: "1abc": a DNS-1035 label'),
      ),
    ).toBe(true);
    const z = base();
    delete z.metadata.name;
    expect(errorsOf(z)).toContain(
      'metadata.name: Required value: name is required',
    );
  });

  it('reports schema errors with Kubernetes-style messages (required, enum, type, minimum)', () => {
    const x = base() as any;
    x.spec.roles[1].componentType = 'gpu';
    x.spec.roles[1].replicas = 'two';
    x.spec.roles[1].multinode = { nodeCount: 0 };
    delete x.spec.roles[0].name;
    const errs = errorsOf(x);
    expect(
      errs.some(
        e =>
          e.startsWith('spec.roles[1].componentType: ') &&
          e.includes('Unsupported value'),
      ),
    ).toBe(true);
    expect(errs.some(e => e.startsWith('spec.roles[1].replicas: '))).toBe(true);
    expect(
      errs.some(e => e.startsWith('spec.roles[1].multinode.nodeCount: ')),
    ).toBe(true);
    expect(
      errs.some(
        e => e.startsWith('spec.roles[0].name: ') && /Required/.test(e),
      ),
    ).toBe(true);
    expect(
      errorsOf({ ...base(), spec: { roles: [] } }).some(e =>
        e.startsWith('spec.roles: '),
      ),
    ).toBe(true);
    expect(
      errorsOf({ ...base(), spec: undefined }).some(
        e => e.startsWith('spec: ') && /Required/.test(e),
      ),
    ).toBe(true);
  });

  it('reports fields the API server would silently prune', () => {
    const x = base() as any;
    x.spec.roles[1].replica = 3;
    x.spec.extra = true;
    const errs = errorsOf(x);
    expect(errs).toContain(
      'spec.roles[1].replica: unknown field: the InferenceService schema has no such field, so the API server would drop it (check the spelling)',
    );
    expect(errs.some(e => e.startsWith('spec.extra: unknown field'))).toBe(
      true,
    );
  });

  it('enforces role rules upstream forgot: DNS-1123 names, uniqueness, one router, a workload role', () => {
    const x = base();
    x.spec.roles[1].name = 'Inference';
    expect(
      errorsOf(x).some(e =>
        e.startsWith('spec.roles[1].name: Invalid value: "Inference"'),
      ),
    ).toBe(true);

    const dup = base();
    dup.spec.roles[0].name = 'inference';
    expect(
      errorsOf(dup).some(e =>
        e.startsWith('spec.roles[1].name: Duplicate value: "inference"'),
      ),
    ).toBe(true);

    const two = base();
    two.spec.roles.push({ ...two.spec.roles[0], name: 'router2' });
    expect(
      errorsOf(two).some(e =>
        e.startsWith(
          'spec.roles[2].componentType: at most one role may be a router',
        ),
      ),
    ).toBe(true);

    const onlyRouter = base();
    onlyRouter.spec.roles = [onlyRouter.spec.roles[0]];
    expect(errorsOf(onlyRouter)).toContain(
      'spec.roles: a router needs at least one worker, prefiller or decoder role to route to',
    );
  });

  it('rejects negative replicas and absurd counts', () => {
    const x = base();
    x.spec.roles[1].replicas = -1;
    expect(
      errorsOf(x).some(e => e.startsWith('spec.roles[1].replicas: ')),
    ).toBe(true);
    x.spec.roles[1].replicas = 20000;
    expect(
      errorsOf(x).some(e =>
        e.startsWith(
          'spec.roles[1].replicas: Invalid value: 20000: must be at most 10000',
        ),
      ),
    ).toBe(true);
    x.spec.roles[1].replicas = 0;
    expect(errorsOf(x)).toEqual([]);
  });

  it('requires a container with a name and image in every workload template', () => {
    const x = base() as any;
    delete x.spec.roles[1].template;
    expect(errorsOf(x)).toContain(
      'spec.roles[1].template: Required value: a worker, prefiller or decoder role needs a pod template with at least one container',
    );
    x.spec.roles[1].template = { spec: { containers: [] } };
    expect(errorsOf(x)).toContain(
      'spec.roles[1].template.spec.containers: Required value: at least one container is required',
    );
    x.spec.roles[1].template = {
      spec: {
        containers: [
          { args: 'x', resources: { limits: { 'nvidia.com/gpu': 'lots' } } },
        ],
      },
    };
    const errs = errorsOf(x);
    expect(errs).toContain(
      'spec.roles[1].template.spec.containers[0].name: Required value: every container needs a name',
    );
    expect(errs).toContain(
      'spec.roles[1].template.spec.containers[0].image: Required value: every container needs an image',
    );
    expect(errs).toContain(
      'spec.roles[1].template.spec.containers[0].args: must be a list of strings',
    );
    expect(
      errs.some(e =>
        e.startsWith(
          'spec.roles[1].template.spec.containers[0].resources.limits["nvidia.com/gpu"]: Invalid value: "lots"',
        ),
      ),
    ).toBe(true);
  });

  it('checks container ports as the kubelet and the LeaderWorkerSet schema do, the Ray head port included', () => {
    const x = base() as any;
    const c = x.spec.roles[1].template.spec.containers[0];
    const at = 'spec.roles[1].template.spec.containers[0].ports';
    // A property-test counterexample (CI): a multi-node leader that declares 6379 itself got the Ray head port
    // appended a second time, and the LeaderWorkerSet was refused for a duplicate list-map key.
    c.ports = [{ containerPort: 6379, name: 'http' }];
    expect(errorsOf(x)).toEqual([]); // single node: nothing appended
    x.spec.roles[1].multinode = { nodeCount: 2 };
    expect(errorsOf(x)).toEqual([
      `${at}[0].containerPort: Invalid value: 6379: a multi-node role's leader gets the Ray head port 6379/TCP from the controller; choose another port`,
    ]);
    c.ports = [{ containerPort: 6379, protocol: 'UDP', name: 'ok' }];
    expect(errorsOf(x)).toEqual([]); // another protocol is another port
    c.ports = [{ containerPort: 8000, name: 'ray-head' }];
    expect(errorsOf(x)).toEqual([
      `${at}[0].name: Invalid value: "ray-head": a multi-node role's leader gets a port of this name from the controller; choose another name`,
    ]);
    delete x.spec.roles[1].multinode;
    expect(errorsOf(x)).toEqual([]);
    c.ports = [
      { containerPort: 8000, name: 'http' },
      { containerPort: 8000, protocol: 'TCP', name: 'http2' },
      { containerPort: 8001, name: 'http' },
      { containerPort: 8002, name: 'Metrics_Port' },
      { containerPort: 8003, name: 'a-very-long-port-name' },
      { containerPort: 8004, name: '8004' },
      { containerPort: 8005, protocol: 'HTTP' },
      { containerPort: 8006, hostPort: 70000 },
    ];
    expect(errorsOf(x)).toEqual(
      expect.arrayContaining([
        `${at}[1]: Duplicate value: containerPort 8000 with protocol TCP is already listed`,
        `${at}[2].name: Duplicate value: "http"`,
        `${at}[3].name: Invalid value: "Metrics_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
        `${at}[4].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters`,
        `${at}[5].name: Invalid value: "8004": must contain at least one letter (a-z)`,
        `${at}[6].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"`,
        `${at}[7].hostPort: Invalid value: an integer between 1 and 65535`,
      ]),
    );
  });

  it('checks that child and pod names fit Kubernetes limits', () => {
    const x = base();
    x.metadata.name = 'a'.repeat(40);
    x.spec.roles[1].name = 'inference-engine';
    const errs = errorsOf(x);
    expect(
      errs.some(
        e =>
          e.startsWith('spec.roles[1].name: the LeaderWorkerSet name') &&
          e.includes('longer than 50'),
      ),
    ).toBe(true);
    const y = base();
    y.metadata.name = 'b'.repeat(60);
    expect(
      errorsOf(y).some(e =>
        e.startsWith(
          'metadata.name: must be at most 59 characters when the service has a router',
        ),
      ),
    ).toBe(true);
  });

  it('accepts pd-disaggregation only with prefillers and decoders', () => {
    const x = base();
    x.spec.roles[0].strategy = 'pd-disaggregation';
    expect(errorsOf(x)).toContain(
      'spec.roles[0].strategy: pd-disaggregation needs both a prefiller role and a decoder role (upstream silently fell back to prefix-cache)',
    );
    expect(errorsOf(loadExample('router-pd-disaggregation-2-decode'))).toEqual(
      [],
    );
  });

  it('parses endpointPickerConfig as an EndpointPickerConfig', () => {
    const x = base();
    x.spec.roles[0].endpointPickerConfig = 'plugins: [oops';
    expect(
      errorsOf(x).some(e =>
        e.startsWith('spec.roles[0].endpointPickerConfig: is not valid YAML'),
      ),
    ).toBe(true);
    x.spec.roles[0].endpointPickerConfig = [
      'apiVersion: inference.networking.x-k8s.io/v1alpha1',
      'kind: EndpointPickerConfig',
      'plugins:',
      '- type: queue-scorer',
      'schedulingProfiles:',
      '- name: default',
      '  plugins:',
      '  - pluginRef: missing-scorer',
      'bogus: 1',
    ].join('\n');
    const errs = errorsOf(x);
    expect(errs).toContain(
      'spec.roles[0].endpointPickerConfig: schedulingProfiles[0].plugins[0].pluginRef: references "missing-scorer", which is not declared under plugins',
    );
    expect(
      errs.some(e =>
        e.startsWith(
          'spec.roles[0].endpointPickerConfig: bogus: unknown field',
        ),
      ),
    ).toBe(true);
    expect(warningsOf(x)).toContain(
      'spec.roles[0].strategy: is ignored: endpointPickerConfig is set and takes precedence',
    );
  });

  it('keeps warnings apart from errors', () => {
    const x = base() as any;
    x.spec.roles[1].strategy = 'queue-size';
    x.spec.roles[0].replicas = 3;
    x.spec.roles[0].gateway = { gatewayClassName: 'x' };
    x.spec.roles[0].httproute = { parentRefs: [], rules: [{}] };
    x.spec.roles[1].template.metadata = { labels: { a: 'b' } };
    const r = validateInferenceService(x);
    expect(r.valid).toBe(true);
    expect(r.warnings.map(w => w.path)).toEqual(
      expect.arrayContaining([
        'spec.roles[1].strategy',
        'spec.roles[0].replicas',
        'spec.roles[0].gateway',
        'spec.roles[0].httproute.rules',
        'spec.roles[0].httproute.parentRefs',
        'spec.roles[1].template.metadata.labels',
      ]),
    );
    expect(r.warnings.every(w => w.severity === 'warning')).toBe(true);
  });

  it('validates httproute contents', () => {
    const x = base() as any;
    x.spec.roles[0].httproute = {
      parentRefs: [{ namespace: 'Bad', port: 0, extra: 1 }],
      hostnames: ['10.0.0.1:80'],
      filters: [],
    };
    const errs = errorsOf(x);
    expect(errs).toEqual(
      expect.arrayContaining([
        'spec.roles[0].httproute.parentRefs[0].name: Required value: the name of the Gateway',
        'spec.roles[0].httproute.parentRefs[0].port: must be an integer between 1 and 65535',
        expect.stringMatching(
          /^spec\.roles\[0\]\.httproute\.parentRefs\[0\]\.namespace: Invalid value: "Bad"/,
        ),
        expect.stringMatching(
          /^spec\.roles\[0\]\.httproute\.parentRefs\[0\]\.extra: unknown field/,
        ),
        expect.stringMatching(
          /^spec\.roles\[0\]\.httproute\.hostnames\[0\]: Invalid value/,
        ),
        expect.stringMatching(
          /^spec\.roles\[0\]\.httproute\.filters: unknown field/,
        ),
      ]),
    );
  });

  it('takes DNS subdomains as hostnames, optionally behind one leading "*." label', () => {
    const label = 'a'.repeat(63);
    // 251 characters: the longest subdomain of 63-character labels that fits 253 with its "*." prefix.
    const long = [label, label, label, 'a'.repeat(59)].join('.');
    const hostnames = [
      'a.example.com',
      '*.example.org',
      `*.${long}`,
      `*.${long}a`, // 254 characters with the prefix
      '*.',
      '**.example.org',
      'a.*.example.org',
      'Example.org',
      'example.org.',
    ];
    const x = base() as any;
    x.spec.roles[0].httproute = { parentRefs: [{ name: 'gw' }], hostnames };
    const bad = errorsOf(x)
      .filter(e => e.includes('.httproute.hostnames['))
      .map(e => Number(/hostnames\[(\d+)\]/.exec(e)![1]));
    expect(bad).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('returns every problem at once', () => {
    const x = base() as any;
    x.metadata.name = 'BAD';
    x.spec.roles[1].replicas = -2;
    delete x.spec.roles[1].template;
    expect(validateInferenceService(x).errors.length).toBeGreaterThanOrEqual(3);
  });

  it('warns about $(VAR) references in the argv of a multi-node leader (review M1)', () => {
    const x = base() as any;
    const c = x.spec.roles[1].template.spec.containers[0];
    c.args = ['--served-model-name', '$(MODEL_NAME)', 'literal $$(NOT_A_REF)'];
    c.command = ['vllm', 'serve'];
    expect(warningsOf(x).filter(w => w.includes('$(VAR)'))).toEqual([]); // single-node: no wrapping
    x.spec.roles[1].multinode = { nodeCount: 2 };
    const warns = warningsOf(x).filter(w => w.includes('$(VAR)'));
    expect(warns).toEqual([
      expect.stringMatching(
        /^spec\.roles\[1\]\.template\.spec\.containers\[0\]\.args\[1\]: contains a \$\(VAR\) reference: the kubelet replaces it/,
      ),
    ]);
    expect(errorsOf(x)).toEqual([]);
  });
});
