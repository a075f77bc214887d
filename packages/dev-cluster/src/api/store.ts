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
 * Storage: the served types (all versions of a resource share one storage), the objects by storage key, the
 * resourceVersion counter and the bounded window of events watches resume from. Reads live here; the rules of
 * writes are in ./write, ./apply and ./gc, which end in `commit` or `remove`.
 */

import { parseCrd } from '@fusioninfer/plugin-fusioninfer-common/schema';
import { ApiError, errors } from '../errors';
import {
  apiVersionOf,
  BUILTIN_TYPES,
  ResourceType,
  ScaleSpec,
  storageKey,
  typeKey,
} from '../resources';
import { matchesFields, matchesLabels } from '../selectors';
import { clone, KObject, ListOptions, ListResult, LoggedEvent } from './types';

export interface StoreHooks {
  /** After every change, once its event has reached the listeners. */
  changed(): void;
  /** After an object left the storage. */
  removed(): void;
}

export class ObjectStore {
  private rv = 1;
  private readonly types = new Map<string, ResourceType>();
  /** The storage version's type of each resource, by storage key (group/plural). */
  private readonly storageTypes = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly log: LoggedEvent[] = [];
  private readonly listeners = new Set<(e: LoggedEvent) => void>();

  constructor(
    private readonly eventWindow: number,
    private readonly hooks: StoreHooks,
  ) {
    for (const t of BUILTIN_TYPES) this.registerType(t);
  }

  // ---------------------------------------------------------------- types

  /** Registers a served version of a resource; all versions of a resource share one storage. */
  registerType(t: ResourceType, storageVersion = true): void {
    this.types.set(typeKey(t), t);
    const sk = storageKey(t);
    if (!this.objects.has(sk)) this.objects.set(sk, new Map());
    if (storageVersion || !this.storageTypes.has(sk))
      this.storageTypes.set(sk, t);
  }

  unregisterType(t: ResourceType): void {
    this.types.delete(typeKey(t));
    const sk = storageKey(t);
    const remaining = this.allTypes().filter(x => storageKey(x) === sk);
    if (remaining.length === 0) {
      this.objects.delete(sk);
      this.storageTypes.delete(sk);
    } else if (this.storageTypes.get(sk) === t)
      this.storageTypes.set(sk, remaining[0]);
  }

  /** One type per storage (its storage version): what garbage collection, namespaces and snapshots walk. */
  storedTypes(): ResourceType[] {
    return [...this.storageTypes.values()];
  }

  /** The storage version's type of a storage key. */
  storageType(key: string): ResourceType | undefined {
    return this.storageTypes.get(key);
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  findType(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  typeForObject(obj: {
    apiVersion?: unknown;
    kind?: unknown;
  }): ResourceType | undefined {
    return this.allTypes().find(
      t => apiVersionOf(t) === obj.apiVersion && t.kind === obj.kind,
    );
  }

  /** Registers (or updates) the resource of a CRD object. */
  private installCrd(crd: KObject): void {
    const info = parseCrd(crd);
    for (const v of info.versions) {
      if (!v.served) continue;
      this.registerType(
        {
          group: info.group,
          version: v.name,
          kind: info.kind,
          listKind: info.listKind,
          plural: info.plural,
          singular: info.singular,
          namespaced: info.scope === 'Namespaced',
          shortNames: info.shortNames,
          categories: info.categories,
          status: !!v.subresources?.status,
          schema: v.schema,
          builtin: false,
          printerColumns: v.additionalPrinterColumns,
          scale: (v.subresources?.scale as ScaleSpec | undefined)
            ?.specReplicasPath
            ? (v.subresources!.scale as ScaleSpec)
            : undefined,
        },
        !!v.storage,
      );
    }
  }

  // ---------------------------------------------------------------- storage

  get resourceVersion(): string {
    return String(this.rv);
  }

  key(t: ResourceType, ns: string | undefined, name: string) {
    return t.namespaced ? `${ns}/${name}` : name;
  }

  bucket(t: ResourceType): Map<string, KObject> {
    let b = this.objects.get(storageKey(t));
    if (!b) {
      b = new Map();
      this.objects.set(storageKey(t), b);
    }
    return b;
  }

  /** A copy of a stored object as the given version serves it (conversion strategy None: only apiVersion). */
  out(t: ResourceType, o: KObject): KObject {
    const c = clone(o);
    c.apiVersion = apiVersionOf(t);
    return c;
  }

  /** Stores an object under the next resourceVersion and tells the watchers. */
  commit(
    t: ResourceType,
    obj: KObject,
    type: 'ADDED' | 'MODIFIED',
    prev?: KObject,
  ): KObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    if (!obj.metadata.managedFields?.length) delete obj.metadata.managedFields;
    this.bucket(t).set(
      this.key(t, obj.metadata.namespace, obj.metadata.name),
      obj,
    );
    if (t.plural === 'customresourcedefinitions') this.installCrd(obj);
    this.emit(t, type, clone(obj), prev);
    return this.out(t, obj);
  }

  /** Removes an object for good (a CRD takes its resource with it) and tells the watchers. */
  remove(t: ResourceType, obj: KObject): void {
    const key = this.key(t, obj.metadata.namespace, obj.metadata.name);
    const stored = this.bucket(t).get(key);
    if (!stored) return;
    this.bucket(t).delete(key);
    this.rv++;
    const gone = clone(stored);
    gone.metadata.resourceVersion = String(this.rv);
    if (t.plural === 'customresourcedefinitions') {
      try {
        const info = parseCrd(stored);
        for (const v of info.versions) {
          const ct = this.findType(info.group, v.name, info.plural);
          if (ct) this.unregisterType(ct);
        }
      } catch {
        // not a valid CRD: nothing was registered
      }
    }
    this.emit(t, 'DELETED', gone);
    this.hooks.removed();
  }

  // ---------------------------------------------------------------- events

  private emit(
    t: ResourceType,
    type: LoggedEvent['type'],
    object: KObject,
    prev?: KObject,
  ) {
    const ev: LoggedEvent = {
      rv: Number(object.metadata.resourceVersion),
      key: storageKey(t),
      type,
      object,
      prev,
    };
    this.log.push(ev);
    if (this.log.length > this.eventWindow)
      this.log.splice(0, this.log.length - this.eventWindow);
    for (const l of [...this.listeners]) l(ev);
    this.hooks.changed();
  }

  /** Oldest resourceVersion from which a watch can still resume. */
  get oldestWatchableRv(): number {
    return this.log.length ? this.log[0].rv - 1 : this.rv;
  }

  /** The events of the window after a resourceVersion, oldest first; live, so it also yields events added meanwhile. */
  *eventsAfter(rv: number): Generator<LoggedEvent> {
    for (const ev of this.log) if (ev.rv > rv) yield ev;
  }

  /** Calls `fn` with every event from now on; returns the function that stops it. */
  listen(fn: (e: LoggedEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  // ---------------------------------------------------------------- reads

  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.bucket(t).get(this.key(t, ns, name));
    if (!o) throw errors.notFound(t.plural, t.group, name);
    return this.out(t, o);
  }

  tryGet(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    const o = this.bucket(t).get(this.key(t, ns, name));
    return o ? this.out(t, o) : undefined;
  }

  /** The stored objects of a type (all namespaces, or one), unsorted and NOT copied. */
  scan(t: ResourceType, ns?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.bucket(t).values())
      if (!ns || !t.namespaced || o.metadata.namespace === ns) out.push(o);
    return out;
  }

  /** The stored object, NOT copied. */
  peek(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    return this.bucket(t).get(this.key(t, ns, name));
  }

  /** Lists objects (sorted by namespace/name) with selectors and paging. */
  list(
    t: ResourceType,
    ns: string | undefined,
    opts: ListOptions = {},
  ): ListResult {
    let start = '';
    let listRv = this.resourceVersion;
    if (opts.continue) {
      try {
        const c = JSON.parse(
          Buffer.from(opts.continue, 'base64url').toString('utf8'),
        );
        start = String(c.start);
        listRv = String(c.rv);
      } catch {
        throw errors.badRequest(
          'continue key is not valid: illegal base64 data',
        );
      }
      if (Number(listRv) < this.oldestWatchableRv) {
        throw new ApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.',
        );
      }
    }
    const all = [...this.bucket(t).entries()]
      .filter(([k]) => !t.namespaced || !ns || k.startsWith(`${ns}/`))
      .filter(([k]) => k > start)
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([, o]) => o)
      .filter(
        o =>
          matchesLabels(opts.labelSelector ?? [], o.metadata.labels) &&
          matchesFields(opts.fieldSelector ?? [], o),
      );
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const page = limit ? all.slice(0, limit) : all;
    const more = limit !== undefined && all.length > limit;
    const last = page[page.length - 1];
    return {
      items: page.map(o => this.out(t, o)),
      resourceVersion: listRv,
      ...(more && last
        ? {
            continue: Buffer.from(
              JSON.stringify({
                rv: listRv,
                start: this.key(t, last.metadata.namespace, last.metadata.name),
              }),
            ).toString('base64url'),
            remainingItemCount: all.length - page.length,
          }
        : {}),
    };
  }

  // ---------------------------------------------------------------- persistence

  snapshot(): { resourceVersion: number; objects: KObject[] } {
    const objects: KObject[] = [];
    const crds = this.bucket(
      this.findType('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!,
    );
    objects.push(...[...crds.values()].map(clone));
    for (const t of this.storedTypes()) {
      if (t.plural === 'customresourcedefinitions') continue;
      for (const o of this.bucket(t).values()) objects.push(clone(o));
    }
    return { resourceVersion: this.rv, objects };
  }

  restore(snap: { resourceVersion: number; objects: KObject[] }): void {
    for (const o of snap.objects) {
      const t =
        o.kind === 'CustomResourceDefinition'
          ? this.findType(
              'apiextensions.k8s.io',
              'v1',
              'customresourcedefinitions',
            )
          : this.typeForObject(o as { apiVersion?: string; kind?: string });
      if (!t) continue;
      this.bucket(t).set(
        this.key(t, o.metadata.namespace, o.metadata.name),
        clone(o),
      );
      if (t.plural === 'customresourcedefinitions') this.installCrd(o);
    }
    this.rv = Math.max(this.rv, snap.resourceVersion);
  }
}
