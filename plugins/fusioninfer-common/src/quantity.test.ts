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

import { formatQuantity, parseQuantity, quantityValueCeil } from './quantity';

const fmt = (s: string) => formatQuantity(parseQuantity(s)!);

describe('parseQuantity / formatQuantity', () => {
  it.each([
    ['1', '1'],
    ['8', '8'],
    ['80', '80'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['0.5', '500m'],
    ['500m', '500m'],
    ['16Gi', '16Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1e3', '1e3'],
    ['2G', '2G'],
    ['100n', '100n'],
  ])('%s formats canonically as %s', (input, out) => {
    expect(fmt(input)).toBe(out);
  });
  it('keeps the binary format for sums, like Go (16Gi × 2 = 32Gi)', () => {
    const q = parseQuantity('16Gi')!;
    expect(formatQuantity({ nanos: q.nanos * 2n, format: q.format })).toBe(
      '32Gi',
    );
  });
  it('rounds up to whole units like Quantity.Value()', () => {
    expect(quantityValueCeil(parseQuantity('500m')!)).toBe(1);
    expect(quantityValueCeil(parseQuantity('2')!)).toBe(2);
    expect(quantityValueCeil(parseQuantity('1.5Gi')!)).toBe(1610612736);
  });
  it('accepts numbers', () => {
    expect(fmt(8 as unknown as string)).toBe('8');
    expect(parseQuantity(8)!.nanos).toBe(8_000_000_000n);
  });
  it.each(['', 'abc', '1.2.3', '1Kb', '--1', '1 Gi', 'Gi', '1e', 'NaN'])(
    'rejects %p',
    input => {
      expect(parseQuantity(input)).toBeUndefined();
    },
  );
});
