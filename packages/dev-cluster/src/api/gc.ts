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
 * Deletion and garbage collection: DELETE with preconditions, propagation (Background, Foreground, Orphan) and
 * finalizers; the collector that deletes dependents of vanished owners and drives the foregroundDeletion and orphan
 * finalizers; namespace termination, retried until the namespace is empty.
 */

import { ApiError, errors } from '../errors';
import { ResourceType } from '../resources';
import { ObjectStore } from './store';
import { clone, DeleteOptions, KObject, nowIso } from './types';
import { Writer } from './write';

export class GarbageCollector {
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: ObjectStore,
    private readonly writer: Writer,
  ) {}

  /** Stops the namespace finalization retries. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** DELETE with propagation (Background default, Foreground, Orphan) and finalizers. */
  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): KObject {
    const obj = this.store.peek(t, ns, name);
    if (!obj) throw errors.notFound(t.plural, t.group, name);
    if (
      opts.preconditions?.uid &&
      opts.preconditions.uid !== obj.metadata.uid
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`,
      );
    }
    if (
      opts.preconditions?.resourceVersion &&
      opts.preconditions.resourceVersion !== obj.metadata.resourceVersion
    )
      throw errors.conflict(t.plural, t.group, name);
    if (opts.dryRun) return clone(obj);
    const policy =
      opts.propagationPolicy ??
      (t.plural === 'namespaces' ? 'Foreground' : 'Background');
    const finalizers: string[] = [...(obj.metadata.finalizers ?? [])];
    if (
      policy === 'Foreground' &&
      t.plural !== 'namespaces' &&
      !finalizers.includes('foregroundDeletion') &&
      this.dependentsOf(obj.metadata.uid).length > 0
    )
      finalizers.push('foregroundDeletion');
    if (
      policy === 'Orphan' &&
      this.dependentsOf(obj.metadata.uid).length > 0 &&
      !finalizers.includes('orphan')
    )
      finalizers.push('orphan');
    if (t.plural === 'namespaces') {
      // Namespace deletion: Terminating, contents deleted, then the namespace goes.
      const next = {
        ...clone(obj),
        metadata: {
          ...clone(obj.metadata),
          deletionTimestamp: obj.metadata.deletionTimestamp ?? nowIso(),
        },
        status: { phase: 'Terminating' },
      };
      const stored = obj.metadata.deletionTimestamp
        ? clone(obj)
        : this.store.commit(t, next, 'MODIFIED', clone(obj));
      queueMicrotask(() => this.finishNamespace(name));
      return stored;
    }
    if (finalizers.length > 0) {
      if (obj.metadata.deletionTimestamp) return clone(obj);
      const next = {
        ...clone(obj),
        metadata: {
          ...clone(obj.metadata),
          deletionTimestamp: nowIso(),
          deletionGracePeriodSeconds: 0,
          finalizers,
        },
      };
      const stored = this.store.commit(t, next, 'MODIFIED', clone(obj));
      queueMicrotask(() => this.collect());
      return stored;
    }
    this.store.remove(t, obj);
    return clone(obj);
  }

  private dependentsOf(uid: string): Array<{ t: ResourceType; o: KObject }> {
    const out: Array<{ t: ResourceType; o: KObject }> = [];
    for (const t of this.store.storedTypes()) {
      for (const o of this.store.bucket(t).values()) {
        if ((o.metadata.ownerReferences ?? []).some((r: any) => r.uid === uid))
          out.push({ t, o });
      }
    }
    return out;
  }

  private allUids(): Set<string> {
    const s = new Set<string>();
    for (const t of this.store.storedTypes())
      for (const o of this.store.bucket(t).values()) s.add(o.metadata.uid);
    return s;
  }

  /** Rewrites a stored object's metadata as the garbage collector. */
  private rewriteMetadata(
    t: ResourceType,
    o: KObject,
    metadata: Record<string, unknown>,
  ): void {
    this.writer.commitUpdate(
      t,
      o,
      { ...clone(o), metadata: { ...clone(o.metadata), ...metadata } },
      { fieldManager: 'garbage-collector' },
    );
  }

  /** Deletes dependents of vanished owners, drives foreground and orphan finalizers, until nothing changes. */
  collect(): void {
    for (let round = 0; round < 50; round++) {
      let changed = false;
      const uids = this.allUids();
      const owners = new Map<string, KObject>();
      for (const t of this.store.storedTypes())
        for (const o of this.store.bucket(t).values())
          owners.set(o.metadata.uid, o);
      for (const t of this.store.storedTypes()) {
        for (const o of [...this.store.bucket(t).values()]) {
          const refs: any[] = o.metadata.ownerReferences ?? [];
          if (refs.length > 0) {
            const live = refs.filter(r => uids.has(r.uid));
            const owner = live
              .map(r => owners.get(r.uid))
              .find(
                x =>
                  x &&
                  x.metadata.deletionTimestamp &&
                  (x.metadata.finalizers ?? []).includes('foregroundDeletion'),
              );
            if (live.length === 0 || owner) {
              if (!o.metadata.deletionTimestamp) {
                this.delete(t, o.metadata.namespace, o.metadata.name, {
                  propagationPolicy: owner ? 'Foreground' : 'Background',
                });
                changed = true;
              }
              continue;
            }
          }
          const fin: string[] = o.metadata.finalizers ?? [];
          if (
            o.metadata.deletionTimestamp &&
            fin.includes('foregroundDeletion') &&
            this.dependentsOf(o.metadata.uid).length === 0
          ) {
            this.rewriteMetadata(t, o, {
              finalizers: fin.filter(f => f !== 'foregroundDeletion'),
            });
            changed = true;
          } else if (o.metadata.deletionTimestamp && fin.includes('orphan')) {
            for (const d of this.dependentsOf(o.metadata.uid)) {
              this.rewriteMetadata(d.t, d.o, {
                ownerReferences: (d.o.metadata.ownerReferences ?? []).filter(
                  (r: any) => r.uid !== o.metadata.uid,
                ),
              });
            }
            this.rewriteMetadata(t, o, {
              finalizers: fin.filter(f => f !== 'orphan'),
            });
            changed = true;
          }
        }
      }
      if (!changed) return;
    }
  }

  private finishNamespace(name: string): void {
    for (const t of this.store.storedTypes()) {
      if (!t.namespaced) continue;
      for (const o of [...this.store.bucket(t).values()]) {
        if (o.metadata.namespace === name && !o.metadata.deletionTimestamp)
          this.delete(t, name, o.metadata.name, {
            propagationPolicy: 'Background',
          });
      }
    }
    const nsType = this.store.findType('', 'v1', 'namespaces')!;
    const remaining = this.store
      .storedTypes()
      .some(
        t =>
          t.namespaced &&
          [...this.store.bucket(t).values()].some(
            o => o.metadata.namespace === name,
          ),
      );
    const ns = this.store.bucket(nsType).get(name);
    if (!ns) return;
    if (remaining) {
      // retried until its content is gone (objects held by finalizers keep the namespace Terminating)
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.finishNamespace(name);
      }, 20);
      this.timers.add(timer);
      return;
    }
    this.store.remove(nsType, ns);
  }
}
