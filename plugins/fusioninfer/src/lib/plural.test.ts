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

import { plural } from './plural';

describe('plural', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(plural(1, 'GPU')).toBe('1 GPU');
    expect(plural(2, 'GPU')).toBe('2 GPUs');
    expect(plural(0, 'pod')).toBe('0 pods');
    expect(plural(1, 'replica')).toBe('1 replica');
    expect(plural(3, 'node')).toBe('3 nodes');
    expect(plural(2, 'person', 'people')).toBe('2 people');
  });
});
