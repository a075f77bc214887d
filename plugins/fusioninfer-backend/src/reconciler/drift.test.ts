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

import { KubeObject } from '@fusioninfer/plugin-fusioninfer-common';
import { driftSignature, liveMatchesRendered } from './drift';

const rendered = {
  apiVersion: 'leaderworkerset.x-k8s.io/v1',
  kind: 'LeaderWorkerSet',
  metadata: {
    name: 's-w-0',
    namespace: 'ns',
    labels: { 'fusioninfer.io/service': 's' },
    ownerReferences: [{ kind: 'InferenceService', name: 's', uid: 'u' }],
  },
  spec: {
    replicas: 1,
    leaderWorkerTemplate: {
      size: 2,
      workerTemplate: {
        spec: {
          containers: [
            {
              name: 'vllm',
              image: 'vllm:1',
              resources: { limits: { 'nvidia.com/gpu': 1 } },
            },
          ],
        },
      },
    },
  },
} as unknown as KubeObject;

const live = (patch: (o: any) => void) => {
  const o = JSON.parse(JSON.stringify(rendered));
  // what the API server and controllers add
  o.metadata.uid = 'x';
  o.metadata.resourceVersion = '7';
  o.metadata.labels['leaderworkerset.sigs.k8s.io/x'] = 'y';
  o.metadata.annotations = { 'other/annotation': '1' };
  o.spec.startupPolicy = 'LeaderCreated';
  o.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].imagePullPolicy =
    'IfNotPresent';
  o.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].resources.limits[
    'nvidia.com/gpu'
  ] = '1';
  o.status = { readyReplicas: 1 };
  patch(o);
  return o as KubeObject;
};

describe('drift of a child against its rendered form', () => {
  it('ignores defaults, status, foreign labels/annotations and number-vs-string quantities', () => {
    expect(
      liveMatchesRendered(
        rendered,
        live(() => undefined),
      ),
    ).toBe(true);
  });

  it('sees a changed managed field (kubectl scale), a changed image and a removed label', () => {
    expect(
      liveMatchesRendered(
        rendered,
        live(o => {
          o.spec.replicas = 3;
        }),
      ),
    ).toBe(false);
    expect(
      liveMatchesRendered(
        rendered,
        live(o => {
          o.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].image =
            'evil:1';
        }),
      ),
    ).toBe(false);
    expect(
      liveMatchesRendered(
        rendered,
        live(o => {
          delete o.metadata.labels['fusioninfer.io/service'];
        }),
      ),
    ).toBe(false);
    expect(
      liveMatchesRendered(
        rendered,
        live(o => {
          o.spec.leaderWorkerTemplate.workerTemplate.spec.containers.push({
            name: 'sidecar',
            image: 'x',
          });
        }),
      ),
    ).toBe(false);
  });

  it('gives the same signature while nobody changes a managed field, another one when somebody does', () => {
    const a = driftSignature(
      rendered,
      live(() => undefined),
    );
    const b = driftSignature(
      rendered,
      live(o => {
        o.status = { readyReplicas: 0 };
        o.metadata.resourceVersion = '8';
      }),
    );
    const c = driftSignature(
      rendered,
      live(o => {
        o.spec.replicas = 2;
      }),
    );
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
