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
import { canonicalJson, fnv1_32, safeEncode, specHash } from './hash';
import { loadExamples } from './__testUtils__/examples';
import { renderInferenceService } from './render';

describe('fnv1_32', () => {
  it('matches the published FNV-1 32-bit test vectors', () => {
    expect(fnv1_32('')).toBe(0x811c9dc5);
    expect(fnv1_32('a')).toBe(0x050c5d7e);
    expect(fnv1_32('foobar')).toBe(0x31f0b262);
  });
  it('hashes UTF-8 bytes', () => {
    // "é" is 0xc3 0xa9 in UTF-8; hashing the two bytes by hand must agree.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9])
      h = ((Math.imul(h, 0x01000193) >>> 0) ^ b) >>> 0;
    expect(fnv1_32('é')).toBe(h);
  });
});

describe('safeEncode', () => {
  it('maps digits as Kubernetes rand.SafeEncodeString does', () => {
    expect(safeEncode('0123456789')).toBe('456789bcdf');
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined members', () => {
    expect(
      canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: 'x' } }),
    ).toBe('{"a":{"c":"x","d":[1,{"z":1}]},"b":1}');
  });
  it('is independent of key order', () => {
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('specHash', () => {
  it('is deterministic, label-safe and sensitive to any change', () => {
    const a = specHash({ replicas: 1, image: 'x' });
    expect(a).toBe(specHash({ image: 'x', replicas: 1 }));
    expect(a).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(specHash({ replicas: 2, image: 'x' })).not.toBe(a);
    expect(specHash({})).not.toBe('');
  });
  it('is stable across releases (a changed value would make every controller update every child)', () => {
    expect(specHash({ replicas: 1 })).toBe(
      safeEncode(String(fnv1_32('{"replicas":1}'))),
    );
    expect(fnv1_32('{"replicas":1}')).toBe(422096267);
    expect(specHash({ replicas: 1 })).toBe('8664fb6bc');
  });
});

describe('specHash streaming', () => {
  it('equals FNV-1 over the canonical JSON string for any JSON value (escapes, non-ASCII, surrogates, numbers)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, str) => {
        expect(specHash(v)).toBe(safeEncode(String(fnv1_32(canonicalJson(v)))));
        expect(specHash({ str, v })).toBe(
          safeEncode(String(fnv1_32(canonicalJson({ str, v })))),
        );
      }),
      { numRuns: 500 },
    );
    for (const s of ['\ud800', 'a\u0000b', '"q"', '\\', 'é€😀', '\udc00x'])
      expect(specHash([s])).toBe(
        safeEncode(String(fnv1_32(canonicalJson([s])))),
      );
  });
  it('equals the string hash on every rendered child of every example', () => {
    for (const isvc of Object.values(loadExamples())) {
      for (const child of renderInferenceService(isvc).children) {
        expect(specHash((child as any).spec ?? child)).toBe(
          safeEncode(
            String(fnv1_32(canonicalJson((child as any).spec ?? child))),
          ),
        );
      }
    }
  });
});
