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
 * The semantic core of the development API server: storage with resourceVersions (./store), the rules of create /
 * update / patch (./write), server-side apply (./apply), delete and garbage collection (./gc), what admission checks
 * and fills in — the status subresource, generation, validation/pruning/defaulting of custom resources, built-in
 * defaults — (./admission), and watch with a bounded event window (./watch). The HTTP layer and the in-process
 * simulation both use it through `KubeApi`.
 */

import { ResourceType } from '../resources';
import { FaultInjector } from './faults';
import { GarbageCollector } from './gc';
import { ObjectStore } from './store';
import {
  DeleteOptions,
  FaultConfig,
  KObject,
  ListOptions,
  ListResult,
  Verb,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types';
import { Change, subscribe, watch } from './watch';
import { Writer } from './write';

export type {
  FaultConfig,
  KObject,
  Verb,
  WatchEvent,
  WriteOptions,
} from './types';

/** The API: typed storage plus Kubernetes semantics. */
export class KubeApi {
  private readonly injector = new FaultInjector();
  private readonly store: ObjectStore;
  private readonly writer: Writer;
  private readonly gc: GarbageCollector;
  /** Called after any change (persistence hooks in). */
  onChange?: () => void;

  constructor(options: { eventWindow?: number } = {}) {
    this.store = new ObjectStore(options.eventWindow ?? 20000, {
      changed: () => this.onChange?.(),
      removed: () => queueMicrotask(() => this.gc.collect()),
    });
    this.writer = new Writer(this.store, t =>
      this.injector.takeForcedConflict(t),
    );
    this.gc = new GarbageCollector(this.store, this.writer);
  }

  /** Stops the API's own timers (namespace finalization retries); the objects stay readable. */
  close(): void {
    this.gc.close();
  }

  // ---------------------------------------------------------------- faults

  /** The fault injection settings in force (mutable at run time). */
  get faults(): FaultConfig {
    return this.injector.config;
  }

  set faults(f: FaultConfig) {
    this.injector.config = f;
  }

  /** Requests served over HTTP, by verb and resource (for benchmarks and tests of controllers). */
  get requestCounts(): Record<string, number> {
    return this.injector.requestCounts;
  }

  /** Replaces the fault settings and reseeds their RNG. */
  setFaults(f: FaultConfig) {
    this.injector.set(f);
  }

  /** Applies latency and injected errors for a verb. */
  fault(verb: Verb, plural: string): Promise<void> {
    return this.injector.fault(verb, plural);
  }

  // ---------------------------------------------------------------- types

  /** Registers a served version of a resource; all versions of a resource share one storage. */
  registerType(t: ResourceType, storageVersion = true): void {
    this.store.registerType(t, storageVersion);
  }

  unregisterType(t: ResourceType): void {
    this.store.unregisterType(t);
  }

  allTypes(): ResourceType[] {
    return this.store.allTypes();
  }

  findType(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.store.findType(group, version, plural);
  }

  typeForObject(obj: {
    apiVersion?: unknown;
    kind?: unknown;
  }): ResourceType | undefined {
    return this.store.typeForObject(obj);
  }

  get resourceVersion(): string {
    return this.store.resourceVersion;
  }

  /** Oldest resourceVersion from which a watch can still resume. */
  get oldestWatchableRv(): number {
    return this.store.oldestWatchableRv;
  }

  // ---------------------------------------------------------------- reads

  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    return this.store.get(t, ns, name);
  }

  tryGet(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    return this.store.tryGet(t, ns, name);
  }

  /**
   * The stored objects of a type (all namespaces, or one), unsorted and NOT copied: for in-process controllers that
   * only read them (a write replaces the stored object, so a reference held stays the version that was read).
   */
  scan(t: ResourceType, ns?: string): KObject[] {
    return this.store.scan(t, ns);
  }

  /** The stored object, NOT copied (see {@link KubeApi.scan}). */
  peek(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    return this.store.peek(t, ns, name);
  }

  /** Lists objects (sorted by namespace/name) with selectors and paging. */
  list(
    t: ResourceType,
    ns: string | undefined,
    opts: ListOptions = {},
  ): ListResult {
    return this.store.list(t, ns, opts);
  }

  /**
   * Watches a resource. Resumes after `resourceVersion` from the event window (410 Gone when it is older), or,
   * with no/zero resourceVersion, starts with synthetic ADDED events for the current state.
   */
  watch(
    t: ResourceType,
    ns: string | undefined,
    opts: WatchOptions,
    send: (e: WatchEvent) => void,
  ): () => void {
    return watch(this.store, t, ns, opts, send);
  }

  /** Subscribes to every change (in-process controllers). */
  subscribe(fn: (e: Change) => void): () => void {
    return subscribe(this.store, fn);
  }

  // ---------------------------------------------------------------- writes

  create(
    t: ResourceType,
    ns: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    return this.writer.create(t, ns, body, opts);
  }

  /** PUT (main resource or status subresource). */
  update(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    return this.writer.update(t, ns, name, body, opts);
  }

  /** PATCH with merge, JSON, strategic-merge or apply (server-side apply) semantics. */
  patch(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    opts: WriteOptions & { force?: boolean } = {},
  ): KObject {
    return this.writer.patch(t, ns, name, contentType, patchBody, opts);
  }

  /** DELETE with propagation (Background default, Foreground, Orphan) and finalizers. */
  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): KObject {
    return this.gc.delete(t, ns, name, opts);
  }

  /** Garbage collector: deletes dependents of vanished owners, drives foreground and orphan finalizers. */
  collectGarbage(): void {
    this.gc.collect();
  }

  // ---------------------------------------------------------------- persistence

  snapshot(): { resourceVersion: number; objects: KObject[] } {
    return this.store.snapshot();
  }

  restore(snap: { resourceVersion: number; objects: KObject[] }): void {
    this.store.restore(snap);
  }
}
