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

/*
 * The price sheet of showback (`fusioninfer.showback` in app-config): what one unit of an accelerator costs per hour,
 * by resource name and, when the node says which GPU it has, by product. Read from plain config values (the backend
 * passes `config.getOptional('fusioninfer.showback')`), so the rules and their messages live here, without I/O.
 */

/** One line of the price sheet: a resource (and optionally one product of it) per unit-hour. @public */
export interface ShowbackPrice {
  /** Extended resource name the pods request, e.g. `nvidia.com/gpu` or `nvidia.com/mig-3g.40gb`. */
  resource: string;
  /** The node's GPU product (`nvidia.com/gpu.product`, e.g. `NVIDIA-H100-80GB-HBM3`); absent: any product. */
  product?: string;
  /** Price of one unit of the resource for one hour, in the sheet's currency. */
  perHour: number;
}

/** The price sheet. @public */
export interface PriceSheet {
  /** ISO 4217 code (`USD`, `EUR`): every figure and every budget is in this currency. */
  currency: string;
  prices: ShowbackPrice[];
  /** Per unit-hour of any accelerator no line prices; absent: such accelerators cost nothing (and are reported). */
  defaultPerHour?: number;
  /**
   * How much one generation token weighs against one prompt token when a service's cost is split between them
   * (OpenCost's `multiplier` method; its default is 2.5).
   */
  generationTokenWeight: number;
}

/** Where a price came from: the product line, the resource line, the sheet's default, or nowhere. @public */
export type PriceSource = 'product' | 'resource' | 'default' | 'none';

/** Bounds of the price sheet. @public */
export const PRICE_SHEET_LIMITS = {
  prices: 500,
  /** Largest price per unit-hour accepted. */
  perHour: 1_000_000,
  nameLength: 253,
  /** Largest generation-token weight. */
  generationTokenWeight: 1000,
} as const;

/** Default weight of a generation token against a prompt token (OpenCost's `multiplier` default). @public */
export const DEFAULT_GENERATION_TOKEN_WEIGHT = 2.5;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function price(value: unknown, key: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > PRICE_SHEET_LIMITS.perHour
  )
    throw new Error(
      `${key}: must be a number from 0 to ${PRICE_SHEET_LIMITS.perHour} (currency units per unit-hour), got ${JSON.stringify(value)}`,
    );
  return value;
}

function name(value: unknown, key: string): string {
  if (
    typeof value !== 'string' ||
    !value.trim() ||
    value.length > PRICE_SHEET_LIMITS.nameLength ||
    /\s/.test(value)
  )
    throw new Error(
      `${key}: must be a non-empty name without blanks of at most ${PRICE_SHEET_LIMITS.nameLength} characters, got ${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * Reads the price sheet from the values of `fusioninfer.showback` (a plain object, as config gives it): `currency`
 * (required with any price), `prices` (a list of `{ resource, product?, perHour }`), `defaultPricePerHour` and
 * `generationTokenWeight`. Returns undefined when nothing is priced (no `prices`, no default) and no `opencost` is
 * configured (then the sheet has no prices, and the currency is OpenCost's). A wrong value throws
 * an `Error` whose message starts with its key (`fusioninfer.showback.prices[2].perHour: …`). Two lines for the same
 * resource and product are refused: which one wins would be a guess.
 * @public
 */
export function readPriceSheet(
  value: unknown,
  where = 'fusioninfer.showback',
): PriceSheet | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObj(value)) throw new Error(`${where}: must be an object`);
  const rawPrices = value.prices;
  if (rawPrices !== undefined && !Array.isArray(rawPrices))
    throw new Error(
      `${where}.prices: must be a list of { resource, product?, perHour }`,
    );
  const list = (rawPrices ?? []) as unknown[];
  if (list.length > PRICE_SHEET_LIMITS.prices)
    throw new Error(
      `${where}.prices: at most ${PRICE_SHEET_LIMITS.prices} prices`,
    );
  const seen = new Set<string>();
  const prices = list.map((p, i): ShowbackPrice => {
    const key = `${where}.prices[${i}]`;
    if (!isObj(p))
      throw new Error(
        `${key}: must be an object { resource, product?, perHour }`,
      );
    for (const k of Object.keys(p))
      if (!['resource', 'product', 'perHour'].includes(k))
        throw new Error(
          `${key}.${k}: unknown field (resource, product and perHour are read)`,
        );
    const resource = name(p.resource, `${key}.resource`);
    const product =
      p.product === undefined ? undefined : name(p.product, `${key}.product`);
    const id = `${resource.toLowerCase()}\u0000${product?.toLowerCase() ?? ''}`;
    if (seen.has(id))
      throw new Error(
        `${key}: a second price for ${resource}${product ? ` (${product})` : ''}; keep one`,
      );
    seen.add(id);
    return {
      resource,
      ...(product !== undefined ? { product } : {}),
      perHour: price(p.perHour, `${key}.perHour`),
    };
  });
  const defaultPerHour =
    value.defaultPricePerHour === undefined
      ? undefined
      : price(value.defaultPricePerHour, `${where}.defaultPricePerHour`);
  let generationTokenWeight = DEFAULT_GENERATION_TOKEN_WEIGHT;
  if (value.generationTokenWeight !== undefined) {
    const w = value.generationTokenWeight;
    if (
      typeof w !== 'number' ||
      !Number.isFinite(w) ||
      w <= 0 ||
      w > PRICE_SHEET_LIMITS.generationTokenWeight
    )
      throw new Error(
        `${where}.generationTokenWeight: must be a number above 0 and at most ${PRICE_SHEET_LIMITS.generationTokenWeight}, got ${JSON.stringify(w)}`,
      );
    generationTokenWeight = w;
  }
  // With OpenCost the costs are its own: a sheet of no prices still carries the currency and the token weight.
  const opencost = value.opencost !== undefined && value.opencost !== null;
  if (!prices.length && defaultPerHour === undefined && !opencost) {
    if (value.currency !== undefined)
      throw new Error(
        `${where}: a currency without prices; add prices or defaultPricePerHour`,
      );
    return undefined;
  }
  const currency = value.currency;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
    throw new Error(
      `${where}.currency: must be an ISO 4217 code of three capital letters such as USD, got ${JSON.stringify(currency)}`,
    );
  return {
    currency,
    prices,
    ...(defaultPerHour !== undefined ? { defaultPerHour } : {}),
    generationTokenWeight,
  };
}

/**
 * The price per unit-hour of an accelerator type: the line of its resource and product, else the line of its
 * resource without a product, else the sheet's default, else none (0). Names compare case-insensitively.
 * @public
 */
export function priceFor(
  sheet: PriceSheet,
  resource: string,
  product?: string,
): { perHour: number; source: PriceSource } {
  const r = resource.toLowerCase();
  const p = product?.toLowerCase();
  if (p !== undefined) {
    const exact = sheet.prices.find(
      x => x.resource.toLowerCase() === r && x.product?.toLowerCase() === p,
    );
    if (exact) return { perHour: exact.perHour, source: 'product' };
  }
  const any = sheet.prices.find(
    x => x.resource.toLowerCase() === r && x.product === undefined,
  );
  if (any) return { perHour: any.perHour, source: 'resource' };
  if (sheet.defaultPerHour !== undefined)
    return { perHour: sheet.defaultPerHour, source: 'default' };
  return { perHour: 0, source: 'none' };
}
