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

/* Watches over the store's event window: resume, selectors, and the ADDED/DELETED a selector change looks like. */

import { errors } from '../errors';
import { ResourceType, storageKey } from '../resources';
import { matchesFields, matchesLabels } from '../selectors';
import { ObjectStore } from './store';
import { KObject, LoggedEvent, WatchEvent, WatchOptions } from './types';

/**
 * Watches a resource. Resumes after `resourceVersion` from the event window (410 Gone when it is older), or,
 * with no/zero resourceVersion, starts with synthetic ADDED events for the current state.
 */
export function watch(
  store: ObjectStore,
  t: ResourceType,
  ns: string | undefined,
  opts: WatchOptions,
  send: (e: WatchEvent) => void,
): () => void {
  const key = storageKey(t);
  const matches = (o: KObject | undefined) =>
    !!o &&
    (!t.namespaced || !ns || o.metadata.namespace === ns) &&
    matchesLabels(opts.labelSelector ?? [], o.metadata.labels) &&
    matchesFields(opts.fieldSelector ?? [], o);
  const deliver = (ev: LoggedEvent) => {
    if (ev.key !== key) return;
    const now = ev.type === 'DELETED' ? false : matches(ev.object);
    const before =
      ev.type === 'ADDED'
        ? false
        : matches(ev.prev ?? (ev.type === 'DELETED' ? ev.object : undefined));
    if (ev.type === 'DELETED') {
      if (matches(ev.object))
        send({ type: 'DELETED', object: store.out(t, ev.object) });
      return;
    }
    if (now && before)
      send({ type: 'MODIFIED', object: store.out(t, ev.object) });
    else if (now && !before)
      send({ type: 'ADDED', object: store.out(t, ev.object) });
    else if (!now && before)
      send({ type: 'DELETED', object: store.out(t, ev.object) });
  };
  const rv = opts.resourceVersion;
  if (!rv || rv === '0') {
    for (const o of store.list(t, ns, {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    }).items)
      send({ type: 'ADDED', object: o });
  } else {
    const from = Number(rv);
    if (!Number.isFinite(from))
      throw errors.badRequest(`invalid resource version "${rv}"`);
    if (from < store.oldestWatchableRv)
      throw errors.gone(
        `too old resource version: ${from} (${store.oldestWatchableRv})`,
      );
    for (const ev of store.eventsAfter(from)) deliver(ev);
  }
  return store.listen(deliver);
}

/** A change as in-process controllers receive it: with the storage version's type. */
export interface Change {
  type: LoggedEvent['type'];
  resource: ResourceType;
  object: KObject;
  prev?: KObject;
}

/** Subscribes to every change (in-process controllers). */
export function subscribe(
  store: ObjectStore,
  fn: (e: Change) => void,
): () => void {
  return store.listen(ev => {
    const t = store.storageType(ev.key);
    if (t) fn({ type: ev.type, resource: t, object: ev.object, prev: ev.prev });
  });
}
