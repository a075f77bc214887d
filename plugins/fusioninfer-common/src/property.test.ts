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

import fc from 'fast-check';
import { childProblems, loadCustomSchemas } from './__testUtils__/childSchemas';
import { renderInferenceService, summarizeInferenceService } from './render';
import { deriveStatus } from './status';
import { validateInferenceService } from './validate';

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?$/);
const quantity = fc.oneof(
  fc.integer({ min: 0, max: 16 }).map(String),
  fc.constantFrom('500m', '1.5', '16Gi', '1e3', '250Mi', '2k'),
  fc.integer({ min: 0, max: 8 }),
);
const container = fc.record(
  {
    name: dnsLabel,
    image: fc.constantFrom('vllm/vllm-openai:v0.27.1', 'sglang:latest'),
    command: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
    args: fc.array(
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('--model', '{"kv_role":"kv_both"}', "it's", ''),
      ),
      { maxLength: 5 },
    ),
    // Ports the controller also uses (8000, the Ray head's 6379/TCP and its name) come up often, so collisions are
    // tried on every run, not once in 65,535; rarely enough that most services stay valid.
    ports: fc.uniqueArray(
      fc.record(
        {
          containerPort: fc.oneof(
            { arbitrary: fc.integer({ min: 1, max: 65535 }), weight: 4 },
            { arbitrary: fc.constantFrom(8000, 6379), weight: 1 },
          ),
          name: fc.oneof(
            { arbitrary: fc.constantFrom('http', 'metrics'), weight: 4 },
            { arbitrary: fc.constant('ray-head'), weight: 1 },
          ),
          protocol: fc.constantFrom('TCP', 'UDP'),
        },
        { requiredKeys: ['containerPort'] },
      ),
      {
        maxLength: 2,
        // mostly distinct ports and names (validate refuses duplicates), sometimes not
        comparator: (a, b) =>
          (a.containerPort === b.containerPort && a.containerPort !== 8000) ||
          (a.name !== undefined && a.name === b.name && a.name !== 'http'),
      },
    ),
    resources: fc.record(
      {
        limits: fc.dictionary(
          fc.constantFrom('nvidia.com/gpu', 'cpu', 'memory'),
          quantity,
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['name', 'image'] },
);
const workload = fc.record(
  {
    name: dnsLabel,
    componentType: fc.constantFrom('worker', 'prefiller', 'decoder'),
    replicas: fc.integer({ min: 0, max: 4 }),
    multinode: fc.record({ nodeCount: fc.integer({ min: 1, max: 4 }) }),
    template: fc.record({
      spec: fc.record({
        containers: fc.array(container, { minLength: 1, maxLength: 2 }),
      }),
    }),
  },
  { requiredKeys: ['name', 'componentType', 'template'] },
);
const router = fc.record(
  {
    name: dnsLabel,
    componentType: fc.constant('router'),
    strategy: fc.constantFrom(
      'prefix-cache',
      'kv-cache-utilization',
      'queue-size',
      'lora-affinity',
      'pd-disaggregation',
    ),
    httproute: fc.record(
      {
        parentRefs: fc.array(
          fc.record(
            { name: dnsLabel, namespace: dnsLabel, sectionName: dnsLabel },
            { requiredKeys: ['name'] },
          ),
          { maxLength: 2 },
        ),
        hostnames: fc.array(fc.constantFrom('a.example.com', '*.example.org'), {
          maxLength: 2,
        }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['name', 'componentType'] },
);
const service = fc
  .record({
    name: dnsLabel,
    namespace: fc.option(dnsLabel, { nil: undefined }),
    roles: fc.tuple(
      fc.option(router, { nil: undefined }),
      fc.array(workload, { minLength: 1, maxLength: 3 }),
    ),
  })
  .map(({ name, namespace, roles: [r, ws] }) => ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, ...(namespace ? { namespace } : {}), uid: 'uid-1' },
    spec: { roles: [...(r ? [r] : []), ...ws] },
  }));

describe('properties', () => {
  it('validate, render and deriveStatus never throw on arbitrary JSON', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), value => {
        runs++;
        expect(validateInferenceService(value).valid).toBe(false);
        renderInferenceService(value);
        deriveStatus(value);
      }),
      { numRuns: 400 },
    );
    expect(runs).toBe(400);
  });

  it('never throw on arbitrary values placed inside an otherwise plausible service', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        service,
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat(),
        (svc, junk, pick) => {
          const role = svc.spec.roles[pick % svc.spec.roles.length] as Record<
            string,
            unknown
          >;
          const keys = [
            'replicas',
            'multinode',
            'template',
            'httproute',
            'endpointPickerConfig',
            'strategy',
            'name',
            'componentType',
          ];
          role[keys[pick % keys.length]] = junk;
          runs++;
          const result = validateInferenceService(svc);
          expect(
            result.errors.every(
              e => typeof e.path === 'string' && e.message.length > 0,
            ),
          ).toBe(true);
          expect(Array.isArray(renderInferenceService(svc).children)).toBe(
            true,
          );
          deriveStatus(svc, {
            leaderWorkerSets: [junk as any],
            pods: [junk as any],
          });
        },
      ),
      { numRuns: 300 },
    );
    expect(runs).toBe(300);
  });

  it('whatever validate accepts, render turns into children that pass the upstream schemas', () => {
    const schemas = loadCustomSchemas();
    let accepted = 0;
    fc.assert(
      fc.property(service, svc => {
        if (!validateInferenceService(svc).valid) return;
        accepted++;
        const { children } = renderInferenceService(svc);
        expect(children.flatMap(c => childProblems(c, schemas))).toEqual([]);
      }),
      { numRuns: 150 },
    );
    // The generator must mostly produce valid services, or the property proves little.
    expect(accepted).toBeGreaterThan(50);
  });

  it('summarizeInferenceService gives the numbers of render, for any service (valid or not)', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        service,
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat(),
        (svc, junk, pick) => {
          if (pick % 3 === 0) {
            const role = svc.spec.roles[pick % svc.spec.roles.length] as Record<
              string,
              unknown
            >;
            role[
              ['replicas', 'multinode', 'template', 'componentType'][pick % 4]
            ] = junk;
          }
          runs++;
          const { summary, children, limitErrors } =
            renderInferenceService(svc);
          const { router: _router, ...numbers } = summary;
          expect(summarizeInferenceService(svc)).toEqual(numbers);
          // Over a limit nothing is rendered; otherwise the arithmetic count is the rendered one.
          expect(limitErrors ? children.length : summary.totals.children).toBe(
            children.length,
          );
        },
      ),
      { numRuns: 300 },
    );
    expect(runs).toBe(300);
  });
});
