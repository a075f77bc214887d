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

/* Injected latency, errors and conflicts, and the request counts benchmarks and controller tests read. */

import { errors } from '../errors';
import { ResourceType } from '../resources';
import { FaultConfig, Verb } from './types';

/** Mulberry32: small seeded RNG for reproducible fault injection. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  config: FaultConfig = {};
  /** Requests served over HTTP, by verb and by verb and resource. */
  readonly requestCounts: Record<string, number> = {};
  private random = rng(1);

  /** Replaces the settings and reseeds the RNG. */
  set(f: FaultConfig): void {
    this.config = f;
    this.random = rng(f.seed ?? 1);
  }

  /** Counts a request, then applies latency and injected errors for its verb. */
  async fault(verb: Verb, plural: string): Promise<void> {
    this.requestCounts[verb] = (this.requestCounts[verb] ?? 0) + 1;
    this.requestCounts[`${verb} ${plural}`] =
      (this.requestCounts[`${verb} ${plural}`] ?? 0) + 1;
    const f = this.config;
    const lat = f.latencyMs?.[verb];
    if (lat) await new Promise(r => setTimeout(r, lat));
    const rate = f.errorRate?.[verb] ?? 0;
    if (rate > 0 && this.random() < rate) {
      throw f.throttle
        ? errors.tooManyRequests(1)
        : errors.internal(`injected fault for ${verb} ${plural}`);
    }
  }

  /** Whether this write must fail with a forced 409 (and uses one up). */
  takeForcedConflict(t: ResourceType): boolean {
    const fc = this.config.forcedConflicts;
    if (fc && fc.count > 0 && (!fc.plural || fc.plural === t.plural)) {
      fc.count--;
      return true;
    }
    return false;
  }
}
