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

/* The types the API's parts share, and the few value helpers they all use. */

import { FieldSelector, LabelSelector } from '../selectors';

/** A stored object. */
export type KObject = Record<string, any> & { metadata: Record<string, any> };

/** A watch event. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject | Record<string, unknown>;
}

/** A change as the event window keeps it: storage key, the object after and, for updates, before. */
export interface LoggedEvent {
  rv: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  prev?: KObject;
}

/** Fault injection settings (all optional, mutable at run time). */
export interface FaultConfig {
  /** Probability (0..1) that a request of this verb fails with 500 (or 429 when `throttle`). */
  errorRate?: Partial<Record<Verb, number>>;
  /** Answer injected errors with 429 TooManyRequests instead of 500. */
  throttle?: boolean;
  /** Added latency per verb, in ms. */
  latencyMs?: Partial<Record<Verb, number>>;
  /** The next N updates/patches (any resource, or per plural) fail with 409 Conflict. */
  forcedConflicts?: { count: number; plural?: string };
  /** Close watch streams after this many events. */
  dropWatchAfterEvents?: number;
  /** Seed of the fault RNG (deterministic tests). */
  seed?: number;
}

export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** Options of writes. */
export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  subresource?: 'status';
  /** Warnings produced (unknown fields pruned) are pushed here. */
  warnings?: string[];
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

/** Options of deletes. */
export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** Options of lists. */
export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
}

/** A page of a list. */
export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Options of watches. */
export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  sendInitialEvents?: boolean;
}

export const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
/** JSON with sorted keys: equal for objects equal up to key order. */
export const stable = (v: unknown): string => JSON.stringify(sortKeys(v));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map(k => [k, sortKeys(v[k])]),
  );
}
export const nowIso = () => `${new Date().toISOString().slice(0, 19)}Z`;
