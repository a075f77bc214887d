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
  exampleNames,
  exampleText,
  kindNames,
  loadExample,
  loadExamples,
  minimalInferenceService,
  MONOLITHIC_ROUTER_QWEN_CHILDREN,
  waitFor,
} from '.';
import { validateInferenceService } from '@fusioninfer/plugin-fusioninfer-common';

describe('waitFor', () => {
  it('returns the first truthy value, retrying falsy values and errors', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return calls >= 3 ? { calls } : undefined;
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it('accepts synchronous predicates', async () => {
    let n = 0;
    await expect(waitFor(() => ++n > 2, { intervalMs: 1 })).resolves.toBe(true);
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the LeaderWorkerSet' },
      ),
    ).rejects.toThrow(
      'timed out after 30 ms waiting for the LeaderWorkerSet: connection refused',
    );
    await expect(waitFor(() => false, 20)).rejects.toThrow(
      /^timed out after 20 ms waiting$/,
    );
  });
});

describe('examples', () => {
  it('loads the 13 upstream examples by name, with or without .yaml, as fresh copies', () => {
    expect(exampleNames()).toHaveLength(13);
    const a = loadExample('monolithic-router-qwen');
    const b = loadExample('monolithic-router-qwen.yaml');
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.kind).toBe('InferenceService');
    expect(Object.keys(loadExamples())).toEqual(exampleNames());
    expect(exampleText('monolithic-router-qwen')).toContain(
      'kind: InferenceService',
    );
  });

  it('names the missing file and the examples that exist', () => {
    expect(() => loadExample('nope')).toThrow(
      /no example examples\/nope\.yaml \(have: .*monolithic-router-qwen/,
    );
  });
});

describe('golden child lists', () => {
  it('lists kind/name pairs', () => {
    expect(MONOLITHIC_ROUTER_QWEN_CHILDREN[0]).toBe(
      'LeaderWorkerSet/qwen-inference-inference-0',
    );
    expect(kindNames([{ kind: 'Service', metadata: { name: 'a' } }])).toEqual([
      'Service/a',
    ]);
    expect(Object.isFrozen(MONOLITHIC_ROUTER_QWEN_CHILDREN)).toBe(true);
  });
});

describe('minimalInferenceService', () => {
  it('is valid and takes namespace, replicas and metadata', () => {
    const isvc = minimalInferenceService('qwen', {
      namespace: 'llm',
      replicas: 3,
      metadata: { labels: { team: 'a' } },
    });
    expect(validateInferenceService(isvc)).toMatchObject({
      valid: true,
      errors: [],
    });
    expect(isvc.metadata).toEqual({
      name: 'qwen',
      namespace: 'llm',
      labels: { team: 'a' },
    });
    expect(isvc.spec.roles[0].replicas).toBe(3);
  });
});
