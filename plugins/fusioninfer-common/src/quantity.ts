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

/** Serialisation format of a Kubernetes quantity. @public */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A parsed Kubernetes resource quantity: an exact value in nano-units plus its format. @public */
export interface Quantity {
  /** value × 10^9, exact (values finer than a nano-unit are rounded up, as the API server does). */
  nanos: bigint;
  format: QuantityFormat;
}

const BINARY: Record<string, number> = {
  Ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
};
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const QUANTITY_RE =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const pow10 = (e: number): bigint => 10n ** BigInt(e);
const ceilDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return q * b === a || a < 0n ? q : q + 1n;
};

/**
 * Parses a Kubernetes quantity (`"500m"`, `"16Gi"`, `"1e3"`, `8`). Returns `undefined` when it is not one.
 * @public
 */
export function parseQuantity(input: string | number): Quantity | undefined {
  let s: string;
  if (typeof input === 'number')
    s = Number.isFinite(input) ? String(input) : '';
  else s = typeof input === 'string' ? input.trim() : '';
  if (s.length === 0 || s.length > 128) return undefined;
  const m = QUANTITY_RE.exec(s);
  if (!m) return undefined;
  const [, num, suffix, exp] = m;
  const negative = num.startsWith('-');
  const digits = num.replace(/^[+-]/, '');
  const [intPart, fracPart = ''] = digits.split('.');
  let mantissa = BigInt((intPart || '0') + fracPart);
  if (negative) mantissa = -mantissa;
  const scale = fracPart.length;
  let format: QuantityFormat;
  let nanos: bigint;
  if (suffix && BINARY[suffix] !== undefined) {
    format = 'BinarySI';
    nanos = ceilDiv(
      mantissa * 1024n ** BigInt(BINARY[suffix]) * pow10(9),
      pow10(scale),
    );
  } else {
    let e: number;
    if (exp !== undefined) {
      format = 'DecimalExponent';
      e = Number(exp);
      if (!Number.isSafeInteger(e) || Math.abs(e) > 40) return undefined;
    } else {
      format = 'DecimalSI';
      e = DECIMAL[suffix ?? ''];
    }
    const shift = e + 9 - scale;
    nanos =
      shift >= 0 ? mantissa * pow10(shift) : ceilDiv(mantissa, pow10(-shift));
  }
  return { nanos, format };
}

/**
 * Formats a quantity canonically, as Go's `resource.Quantity.String()` does (`34359738368` BinarySI → `32Gi`,
 * `1000` DecimalSI → `1k`, `0.5` → `500m`).
 * @public
 */
export function formatQuantity(q: Quantity): string {
  let { format } = q;
  const { nanos } = q;
  const abs = nanos < 0n ? -nanos : nanos;
  const sign = nanos < 0n ? '-' : '';
  const NANO = pow10(9);
  if (format === 'BinarySI') {
    if (abs < 1024n * NANO || abs % NANO !== 0n) {
      format = 'DecimalSI';
    } else {
      let units = abs / NANO;
      let power = 0;
      const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
      while (power < 6 && units % 1024n === 0n && units !== 0n) {
        units /= 1024n;
        power++;
      }
      return sign + units.toString() + suffixes[power];
    }
  }
  if (abs === 0n) return '0';
  // Exponent (base 10, multiple of 3) such that mantissa is an integer with as few trailing zero triples as possible.
  let mantissa = abs;
  let exponent = -9;
  while (mantissa % 1000n === 0n && exponent < 18) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (format === 'DecimalExponent') {
    return exponent === 0
      ? sign + mantissa.toString()
      : `${sign}${mantissa}e${exponent}`;
  }
  const suffix = Object.keys(DECIMAL).find(k => DECIMAL[k] === exponent) ?? '';
  return sign + mantissa.toString() + suffix;
}

/** The value of a quantity in whole units, rounded up (Go's `Quantity.Value()`). @public */
export function quantityValueCeil(q: Quantity): number {
  return Number(ceilDiv(q.nanos, pow10(9)));
}

/** The value of a quantity as a JavaScript number (may lose precision for huge values). @public */
export function quantityToNumber(q: Quantity): number {
  return Number(q.nanos) / 1e9;
}
