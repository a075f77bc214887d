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

import { childProblems, loadCustomSchemas } from './__testUtils__/childSchemas';
import { loadExamples } from './__testUtils__/examples';
import { renderInferenceService } from './render';
import { LeaderWorkerSet } from './types';

describe('generated children against the upstream schemas', () => {
  const schemas = loadCustomSchemas();

  it('loads the vendored CRDs', () => {
    for (const k of [
      'leaderworkerset.x-k8s.io/v1/LeaderWorkerSet',
      'scheduling.volcano.sh/v1beta1/PodGroup',
      'inference.networking.k8s.io/v1/InferencePool',
      'gateway.networking.k8s.io/v1/HTTPRoute',
      'fusioninfer.io/v1alpha1/InferenceService',
    ]) {
      expect(schemas.has(k)).toBe(true);
    }
  });

  it.each(Object.entries(loadExamples()))(
    'every child of %s is valid and loses no field',
    (_name, isvc) => {
      const rendered = renderInferenceService({
        ...isvc,
        metadata: {
          ...isvc.metadata,
          uid: '7b0b7c1e-0000-4000-8000-000000000001',
        },
      });
      expect(rendered.children.length).toBeGreaterThan(0);
      expect(rendered.children.flatMap(c => childProblems(c, schemas))).toEqual(
        [],
      );
    },
  );

  it('detects a broken child (the check can fail)', () => {
    const [lws] = renderInferenceService(
      loadExamples()['multi-node-router'],
    ).children.filter(c => c.kind === 'LeaderWorkerSet') as LeaderWorkerSet[];
    const broken = JSON.parse(JSON.stringify(lws));
    broken.spec.startupPolicy = 'Whenever';
    broken.spec.leaderWorkerTemplate.sizee = 2;
    const problems = childProblems(broken, schemas);
    expect(problems.some(p => p.includes('startupPolicy'))).toBe(true);
    expect(
      problems.some(p => p.includes('sizee') && p.includes('pruned')),
    ).toBe(true);
    const dep = renderInferenceService(
      loadExamples()['monolithic-router-qwen'],
    ).children.find(c => c.kind === 'Deployment')!;
    const badDep = JSON.parse(JSON.stringify(dep));
    badDep.spec.replicas = 'one';
    expect(childProblems(badDep, schemas).length).toBeGreaterThan(0);
  });
});
