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

import { parsePromNumber, PromExposition, PromSample } from './prometheus';

/** A cumulative histogram: buckets sorted by upper bound, the last one `+Inf`. @public */
export interface HistogramData {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** Latency (or size) percentiles computed from a histogram. @public */
export interface Percentiles {
  p50?: number;
  p95?: number;
  p99?: number;
  mean?: number;
  count: number;
}

/**
 * Collects the histogram `base` from an exposition, summing series that differ in labels other than `le` (engines,
 * models, finish reasons). Returns undefined when there is no bucket series.
 * @public
 */
export function histogramFrom(
  exp: PromExposition,
  base: string,
  filter?: (labels: Record<string, string>) => boolean,
): HistogramData | undefined {
  const bucketSamples = exp.byName.get(`${base}_bucket`);
  if (!bucketSamples?.length) return undefined;
  const keep = (s: PromSample) => !filter || filter(s.labels);
  const byLe = new Map<number, number>();
  for (const s of bucketSamples) {
    if (!keep(s) || s.labels.le === undefined) continue;
    // Bounds come as "1.0" (Python), "1" (Go), "+Inf", and "Inf" in some fixtures.
    const le = parsePromNumber(s.labels.le.trim());
    if (Number.isNaN(le) || !Number.isFinite(s.value)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  if (!byLe.size) return undefined;
  const buckets = [...byLe.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([le, count]) => ({ le, count }));
  const total = (name: string) =>
    (exp.byName.get(name) ?? [])
      .filter(keep)
      .reduce((acc, s) => acc + (Number.isFinite(s.value) ? s.value : 0), 0);
  const count = exp.byName.has(`${base}_count`)
    ? total(`${base}_count`)
    : buckets[buckets.length - 1].count;
  if (buckets[buckets.length - 1].le !== Infinity)
    buckets.push({ le: Infinity, count });
  return { buckets, sum: total(`${base}_sum`), count };
}

/**
 * The observations between two scrapes of the same histogram. A counter reset (a restarted server) or changed bucket
 * boundaries make the current histogram the answer, as Prometheus' rate() does.
 * @public
 */
export function histogramDelta(
  cur: HistogramData | undefined,
  prev: HistogramData | undefined,
): HistogramData | undefined {
  if (!cur) return undefined;
  if (
    !prev ||
    prev.buckets.length !== cur.buckets.length ||
    cur.count < prev.count
  )
    return cur;
  const buckets: HistogramData['buckets'] = [];
  for (let i = 0; i < cur.buckets.length; i++) {
    if (
      cur.buckets[i].le !== prev.buckets[i].le ||
      cur.buckets[i].count < prev.buckets[i].count
    )
      return cur;
    buckets.push({
      le: cur.buckets[i].le,
      count: cur.buckets[i].count - prev.buckets[i].count,
    });
  }
  return {
    buckets,
    sum: Math.max(0, cur.sum - prev.sum),
    count: cur.count - prev.count,
  };
}

/**
 * The q-quantile of a cumulative histogram with Prometheus' histogram_quantile() rules: linear interpolation inside
 * the bucket, the lower bound of the first bucket is 0 (for a positive upper bound), and a rank that falls in the
 * `+Inf` bucket answers the largest finite upper bound. Undefined without observations.
 * @public
 */
export function histogramQuantile(
  q: number,
  h: HistogramData | undefined,
): number | undefined {
  if (!h || h.buckets.length === 0) return undefined;
  const total = h.buckets[h.buckets.length - 1].count;
  if (!(total > 0) || Number.isNaN(q)) return undefined;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (q === 0) return 0;
  const rank = q * total;
  let i = h.buckets.findIndex(b => b.count >= rank);
  if (i < 0) i = h.buckets.length - 1;
  const b = h.buckets[i];
  if (b.le === Infinity) return i > 0 ? h.buckets[i - 1].le : undefined;
  const lowerBound = i > 0 ? h.buckets[i - 1].le : Math.min(0, b.le);
  const lowerCount = i > 0 ? h.buckets[i - 1].count : 0;
  const inBucket = b.count - lowerCount;
  if (inBucket <= 0) return b.le;
  return lowerBound + (b.le - lowerBound) * ((rank - lowerCount) / inBucket);
}

/** p50/p95/p99 and the mean of a histogram. @public */
export function percentiles(
  h: HistogramData | undefined,
): Percentiles | undefined {
  if (!h) return undefined;
  const round = (v: number | undefined) =>
    v === undefined || !Number.isFinite(v)
      ? undefined
      : Math.round(v * 1e6) / 1e6;
  return {
    p50: round(histogramQuantile(0.5, h)),
    p95: round(histogramQuantile(0.95, h)),
    p99: round(histogramQuantile(0.99, h)),
    mean: h.count > 0 ? round(h.sum / h.count) : undefined,
    count: h.count,
  };
}
