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

import { parseBody } from './respond';

const APPLY = 'application/apply-patch+yaml';
const body = (text: string) => Buffer.from(text, 'utf8');

describe('parseBody', () => {
  it('reads an apply configuration sent as JSON as the YAML parser would', () => {
    const config = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', labels: { 'x/y': 'on' } },
      data: { n: '1', s: 'yes', e: '' },
    };
    expect(parseBody(body(`  ${JSON.stringify(config)}`), APPLY)).toEqual(
      config,
    );
  });

  it('still reads YAML, flow mappings that are not JSON included', () => {
    expect(parseBody(body('{a: 1, b: [x, y]}'), APPLY)).toEqual({
      a: 1,
      b: ['x', 'y'],
    });
    expect(parseBody(body('kind: ConfigMap\ndata:\n  k: v\n'), APPLY)).toEqual({
      kind: 'ConfigMap',
      data: { k: 'v' },
    });
  });

  it('refuses what neither parser reads as a bad request', () => {
    expect(() => parseBody(body('{a: [1, }'), APPLY)).toThrow(
      /could not be decoded/,
    );
  });
});
