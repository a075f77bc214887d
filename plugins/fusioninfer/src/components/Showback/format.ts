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

/** Money in a currency: two decimals, more for amounts below 1 (a few minutes of one GPU cost cents). */
export function money(amount: number | undefined, currency: string): string {
  if (amount === undefined || !Number.isFinite(amount)) return '—';
  const small = Math.abs(amount) > 0 && Math.abs(amount) < 1;
  try {
    return amount.toLocaleString('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: small ? 4 : 2,
    });
  } catch {
    // A code Intl does not know: the number and the code.
    return `${amount.toFixed(small ? 4 : 2)} ${currency}`;
  }
}

/** A share (0–1) as a whole percent (capped in words beyond 999 %), or `—`. */
export function percent(share: number | undefined): string {
  if (share === undefined || !Number.isFinite(share)) return '—';
  // A tiny budget against a month's projection gives absurd numbers: beyond ten times, say so.
  if (share > 9.99) return 'more than 999 %';
  return `${Math.round(share * 100)} %`;
}

/** Cost per million tokens: blended, and prompt / generation when both are known. */
export function perMillion(
  s: {
    costPerMillionTokens?: number;
    inputCostPerMillionTokens?: number;
    outputCostPerMillionTokens?: number;
  },
  currency: string,
): string {
  if (s.costPerMillionTokens === undefined) return 'no tokens counted yet';
  const parts = [
    s.inputCostPerMillionTokens !== undefined
      ? `prompt ${money(s.inputCostPerMillionTokens, currency)}`
      : undefined,
    s.outputCostPerMillionTokens !== undefined
      ? `generation ${money(s.outputCostPerMillionTokens, currency)}`
      : undefined,
  ].filter(Boolean);
  return `${money(s.costPerMillionTokens, currency)} per 1M tokens${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
