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

/**
 * Walks a value in canonical-JSON order and hands each lexical piece to `emit`. Iterative (an explicit stack), so any
 * nesting depth works; cycles are not supported (as with JSON.stringify, callers pass JSON data).
 */
function walkCanonical(value: unknown, emit: (piece: string) => void): void {
  // Stack of pending work: a value to emit, or a literal piece (wrapped so strings are not mistaken for values).
  type Work = { v: unknown } | { p: string };
  const stack: Work[] = [{ v: value }];
  while (stack.length > 0) {
    const w = stack.pop()!;
    if ('p' in w) {
      emit(w.p);
      continue;
    }
    const v = w.v;
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'string') emit(JSON.stringify(v));
      else if (typeof v === 'number')
        emit(Number.isFinite(v) ? String(v) : 'null');
      else if (typeof v === 'boolean') emit(v ? 'true' : 'false');
      else if (typeof v === 'bigint') emit(v.toString());
      else emit('null');
      continue;
    }
    if (Array.isArray(v)) {
      emit('[');
      stack.push({ p: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ v: v[i] });
        if (i > 0) stack.push({ p: ',' });
      }
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter(k => obj[k] !== undefined)
      .sort();
    emit('{');
    stack.push({ p: '}' });
    for (let i = keys.length - 1; i >= 0; i--) {
      stack.push({ v: obj[keys[i]] });
      stack.push({ p: `${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:` });
    }
  }
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order, \`undefined\` members dropped, no whitespace.
 * Two structurally equal values always serialise to the same string, whatever their key order.
 * @public
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  walkCanonical(value, p => parts.push(p));
  return parts.join('');
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Feeds the UTF-8 bytes of a string into an FNV-1 32-bit state (kept as int32 inside, unsigned outside). */
function fnv1Update(state: number, s: string): number {
  let h = state | 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h, FNV_PRIME) ^ c;
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c < 0x800) {
        h = Math.imul(h, FNV_PRIME) ^ (0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        h = Math.imul(h, FNV_PRIME) ^ (0xe0 | (c >> 12));
        h = Math.imul(h, FNV_PRIME) ^ (0x80 | ((c >> 6) & 63));
      } else {
        h = Math.imul(h, FNV_PRIME) ^ (0xf0 | (c >> 18));
        h = Math.imul(h, FNV_PRIME) ^ (0x80 | ((c >> 12) & 63));
        h = Math.imul(h, FNV_PRIME) ^ (0x80 | ((c >> 6) & 63));
      }
      h = Math.imul(h, FNV_PRIME) ^ (0x80 | (c & 63));
    }
  }
  return h >>> 0;
}

/** FNV-1 (not 1a) 32-bit hash of the UTF-8 bytes of a string, as Go's \`hash/fnv.New32\`. @public */
export function fnv1_32(s: string): number {
  return fnv1Update(FNV_OFFSET, s);
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Kubernetes `rand.SafeEncodeString`: maps each character through a vowel-free alphabet so the result can never spell
 * words and is a valid label value.
 * @public
 */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++)
    out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The `fusioninfer.io/spec-hash` of a value: FNV-1 32-bit over its canonical JSON, printed in decimal, safe-encoded
 * (spec §3.12; deterministic across processes and implementations of this suite).
 * @public
 */
export function specHash(value: unknown): string {
  return safeEncode(String(hashCanonical(FNV_OFFSET, value) >>> 0));
}

/** One byte into an FNV-1 state. */
const step = (h: number, byte: number) => Math.imul(h, FNV_PRIME) ^ byte;

/**
 * A string as JSON.stringify quotes it, into an FNV-1 state: printable ASCII is hashed in one pass; anything else
 * (escapes, non-ASCII, surrogates) falls back to hashing JSON.stringify's output from the state before the string.
 */
function hashJsonString(state: number, s: string): number {
  let h = step(state, 0x22);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c)
      return fnv1Update(state, JSON.stringify(s));
    h = step(h, c);
  }
  return step(h, 0x22);
}

/** Nesting beyond which the recursive hash hands over to the iterative walk (stack safety). */
const MAX_RECURSION = 200;

/**
 * FNV-1 over the canonical JSON of a value, streamed: same result as \`fnv1_32(canonicalJson(value))\` without
 * building the string (this is the hot path of rendering). Returns the state as a signed int32. Recursive for speed
 * up to {@link MAX_RECURSION} levels, iterative below that, so no input depth can exhaust the stack.
 */
function hashCanonical(state: number, value: unknown, depth = 0): number {
  let h = state;
  if (depth > MAX_RECURSION && value !== null && typeof value === 'object') {
    walkCanonical(value, piece => {
      h = fnv1Update(h, piece);
    });
    return h;
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string') return hashJsonString(h, value);
    if (typeof value === 'number')
      return fnv1Update(h, Number.isFinite(value) ? String(value) : 'null');
    if (typeof value === 'boolean')
      return fnv1Update(h, value ? 'true' : 'false');
    if (typeof value === 'bigint') return fnv1Update(h, value.toString());
    return fnv1Update(h, 'null');
  }
  if (Array.isArray(value)) {
    h = step(h, 0x5b); // [
    for (let i = 0; i < value.length; i++) {
      if (i > 0) h = step(h, 0x2c); // ,
      h = hashCanonical(h, value[i], depth + 1);
    }
    return step(h, 0x5d); // ]
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  h = step(h, 0x7b); // {
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) h = step(h, 0x2c);
    first = false;
    h = hashJsonString(h, k);
    h = step(h, 0x3a); // :
    h = hashCanonical(h, v, depth + 1);
  }
  return step(h, 0x7d); // }
}
