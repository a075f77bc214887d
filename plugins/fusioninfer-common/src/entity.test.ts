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

import { loadExample } from './__testUtils__/examples';
import { diffChildren } from './diff';
import {
  entityRefOfService,
  MAX_SERVICE_ANNOTATION_REFS,
  modelServiceEntity,
  modelServiceEntityName,
  normalizeEntityRef,
  parseServiceAnnotation,
} from './entity';
import { renderInferenceService } from './render';

describe('catalog links', () => {
  it('parses fusioninfer.io/service annotations and names every malformed item', () => {
    expect(
      parseServiceAnnotation('dev/demo/qwen, prod/llm/qwen\ndev/demo/qwen'),
    ).toEqual({
      refs: [
        { cluster: 'dev', namespace: 'demo', name: 'qwen' },
        { cluster: 'prod', namespace: 'llm', name: 'qwen' },
      ],
      errors: [],
    });
    expect(parseServiceAnnotation('demo/qwen', 'dev').refs).toEqual([
      { cluster: 'dev', namespace: 'demo', name: 'qwen' },
    ]);
    const bad = parseServiceAnnotation('demo/qwen, dev/Demo/x, a/b/c/d');
    expect(bad.refs).toEqual([]);
    expect(bad.errors).toHaveLength(3);
    expect(bad.errors[1]).toMatch(
      /"dev\/Demo\/x" is not <cluster>\/<namespace>\/<name>/,
    );
    expect(parseServiceAnnotation(42).errors).toEqual([
      'fusioninfer.io/service: must be a string',
    ]);
  });

  it('reads at most MAX_SERVICE_ANNOTATION_REFS references and a bounded number of messages, naming the rule', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `dev/ns/svc-${i}`);
    const parsed = parseServiceAnnotation(many.join(','));
    expect(parsed.refs).toHaveLength(MAX_SERVICE_ANNOTATION_REFS);
    expect(parsed.refs[0]).toEqual({
      cluster: 'dev',
      namespace: 'ns',
      name: 'svc-0',
    });
    expect(parsed.errors).toEqual([
      `fusioninfer.io/service: names 5000 services; at most ${MAX_SERVICE_ANNOTATION_REFS} are read (the first ${MAX_SERVICE_ANNOTATION_REFS})`,
    ]);
    // Duplicates do not count towards the limit.
    expect(
      parseServiceAnnotation(
        Array.from({ length: 200 }, () => 'dev/ns/a').join(','),
      ),
    ).toEqual({
      refs: [{ cluster: 'dev', namespace: 'ns', name: 'a' }],
      errors: [],
    });
    const junk = parseServiceAnnotation(
      Array.from({ length: 5000 }, (_, i) => `BAD-${i}`).join(','),
    );
    expect(junk.refs).toEqual([]);
    expect(junk.errors).toHaveLength(MAX_SERVICE_ANNOTATION_REFS + 1);
    expect(junk.errors[MAX_SERVICE_ANNOTATION_REFS]).toBe(
      `fusioninfer.io/service: ${5000 - MAX_SERVICE_ANNOTATION_REFS} more malformed items`,
    );
  });

  it('normalizes entity refs', () => {
    expect(normalizeEntityRef('Component:Default/My-Model')).toBe(
      'component:default/my-model',
    );
    expect(normalizeEntityRef('qwen')).toBe('component:default/qwen');
    expect(normalizeEntityRef('team-a', 'group')).toBe('group:default/team-a');
    expect(normalizeEntityRef('a:b:c')).toBeUndefined();
    expect(normalizeEntityRef(undefined)).toBeUndefined();
  });

  it('generates a model-service Component with owner, links and the kubernetes plugin annotations', () => {
    const isvc = loadExample('router-pd-disaggregation-2-decode');
    isvc.metadata = {
      ...isvc.metadata,
      namespace: 'llm',
      labels: { 'fusioninfer.io/owner': 'team-a' },
    };
    const e = modelServiceEntity(isvc, 'prod', 'fusioninfer-provider:prod', {
      defaultOwner: 'group:default/platform',
    });
    expect(e.kind).toBe('Component');
    expect(e.spec).toEqual({
      type: 'model-service',
      lifecycle: 'production',
      owner: 'group:default/team-a',
    });
    expect(e.metadata.name).toBe(`${isvc.metadata.name}.llm.prod`);
    expect(e.metadata.annotations).toMatchObject({
      'fusioninfer.io/service': `prod/llm/${isvc.metadata.name}`,
      'backstage.io/managed-by-location': 'fusioninfer-provider:prod',
      'backstage.io/kubernetes-namespace': 'llm',
      'backstage.io/kubernetes-label-selector': `fusioninfer.io/service=${isvc.metadata.name}`,
    });
    expect(e.metadata.tags).toEqual(
      expect.arrayContaining(['fusioninfer', 'pd-disaggregation']),
    );
    const unowned = modelServiceEntity(
      { ...isvc, metadata: { name: 'x', namespace: 'y' } },
      'c',
      'l',
      { defaultOwner: 'group:default/platform' },
    );
    expect(unowned.spec.owner).toBe('group:default/platform');
  });

  it('keeps generated names valid and unique within 63 characters', () => {
    const long = modelServiceEntityName({
      cluster: 'a-very-long-cluster-name',
      namespace: 'a-very-long-namespace-name',
      name: 'a-very-long-inference-service-name',
    });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$/);
    expect(
      modelServiceEntityName({
        cluster: 'a-very-long-cluster-name',
        namespace: 'a-very-long-namespace-name',
        name: 'a-very-long-inference-service-nam2',
      }),
    ).not.toBe(long);
  });

  it('reads the entity an InferenceService points at', () => {
    expect(
      entityRefOfService({
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: {
          name: 'x',
          annotations: { 'backstage.io/entity-ref': 'Component:default/Qwen' },
        },
        spec: { roles: [] },
      }),
    ).toBe('component:default/qwen');
  });
});

describe('diffChildren', () => {
  const isvc = {
    ...loadExample('router-prefix-cache-simple'),
    metadata: {
      ...loadExample('router-prefix-cache-simple').metadata,
      namespace: 'default',
    },
  };
  const { children } = renderInferenceService(isvc, { namespace: 'default' });

  it('is in sync when live objects carry the rendered fields plus server defaults and status', () => {
    const live = children.map(c => ({
      ...JSON.parse(JSON.stringify(c)),
      metadata: { ...c.metadata, uid: 'u', resourceVersion: '7' },
      status: { ready: true },
    }));
    (live[0] as any).spec = { ...(live[0] as any).spec, someDefault: 1 };
    const d = diffChildren(children, live);
    expect(d.inSync).toBe(true);
    expect(d.counts['in-sync']).toBe(children.length);
  });

  it('reports missing children, drifted fields with their path, and orphans', () => {
    const live = JSON.parse(JSON.stringify(children.slice(1)));
    const lws = live.find((c: any) => c.kind === 'LeaderWorkerSet');
    lws.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].image =
      'vllm/vllm-openai:old';
    live.push({
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: { name: 'scaled-away', namespace: 'default', labels: {} },
      spec: {},
    });
    const d = diffChildren(children, live);
    expect(d.inSync).toBe(false);
    expect(d.counts).toEqual({
      'in-sync': children.length - 2,
      drifted: 1,
      missing: 1,
      orphan: 1,
    });
    const drift = d.children.find(c => c.state === 'drifted')!;
    expect(drift.changes).toEqual([
      {
        path: expect.stringMatching(
          /^\.spec\.leaderWorkerTemplate\.workerTemplate\.spec\.containers\[name=[^\]]+\]\.image$/,
        ),
        desired: expect.any(String),
        live: 'vllm/vllm-openai:old',
      },
    ]);
    expect(d.children.find(c => c.state === 'orphan')!.name).toBe(
      'scaled-away',
    );
  });
});
