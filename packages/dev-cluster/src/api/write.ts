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
 * The rules of create, update (PUT, main resource or status) and merge / JSON / strategic-merge patch: request
 * checks, optimistic concurrency, admission, generation and managedFields, then the store. Server-side apply is in
 * ./apply and builds on `create` and `commitUpdate`.
 */

import { randomBytes, randomUUID } from 'crypto';
import { ApiError, errors } from '../errors';
import { trackUpdate } from '../managedFields';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from '../patch';
import { apiVersionOf, ResourceType } from '../resources';
import {
  admitBuiltin,
  admitCustom,
  defaultBuiltin,
  hasGeneration,
  requireValidName,
  specChanged,
  withInitialStatus,
  withJobSelector,
} from './admission';
import { apply } from './apply';
import { ObjectStore } from './store';
import { clone, isObj, KObject, nowIso, stable, WriteOptions } from './types';

/** Metadata only the API server sets: a create drops what the request sends. */
const SYSTEM_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'generation',
  'managedFields',
  'selfLink',
];

export class Writer {
  constructor(
    readonly store: ObjectStore,
    /** Whether this write must fail with an injected 409 (fault injection). */
    readonly takeForcedConflict: (t: ResourceType) => boolean,
  ) {}

  create(
    t: ResourceType,
    ns: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    if (!isObj(body))
      throw errors.badRequest('the body of the request must be an object');
    const obj = clone(body) as KObject;
    if (obj.kind !== undefined && obj.kind !== t.kind)
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t))
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
    const md = obj.metadata;
    if (t.namespaced) this.placeInNamespace(t, md, ns);
    else delete md.namespace;
    if (!md.name && md.generateName)
      md.name = `${md.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    requireValidName(t, md.name);
    if (this.store.bucket(t).has(this.store.key(t, md.namespace, md.name)))
      throw errors.alreadyExists(t.plural, t.group, md.name);
    if (t.status) delete obj.status;
    for (const f of SYSTEM_METADATA) delete md[f];
    const admitted = withInitialStatus(t, this.admit(t, obj, opts));
    const now = nowIso();
    admitted.metadata = {
      ...admitted.metadata,
      uid: randomUUID(),
      creationTimestamp: now,
      ...(hasGeneration(t) ? { generation: 1 } : {}),
    };
    withJobSelector(t, admitted);
    admitted.metadata.managedFields = trackUpdate({
      before: undefined,
      after: admitted,
      manager: opts.fieldManager ?? 'unknown',
      schema: t.schema,
      builtin: t.builtin,
      apiVersion: apiVersionOf(t),
      now,
    });
    if (opts.dryRun)
      return {
        ...admitted,
        metadata: {
          ...admitted.metadata,
          resourceVersion: this.store.resourceVersion,
        },
      };
    return this.store.commit(t, admitted, 'ADDED');
  }

  /** Sets the namespace of a new object: the request's, which must exist and not be terminating. */
  private placeInNamespace(
    t: ResourceType,
    md: KObject['metadata'],
    ns: string | undefined,
  ): void {
    if (md.namespace && ns && md.namespace !== ns)
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    md.namespace = ns ?? md.namespace;
    if (!md.namespace)
      throw errors.badRequest('the namespace of the object is required');
    const nsType = this.store.findType('', 'v1', 'namespaces')!;
    const namespace = this.store.tryGet(nsType, undefined, md.namespace);
    if (!namespace) throw errors.notFound('namespaces', '', md.namespace);
    if (namespace.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${t.plural} "${md.name ?? md.generateName}" is forbidden: unable to create new content in namespace ${md.namespace} because it is being terminated`,
      );
    }
  }

  /** Custom-resource schema pipeline, built-in defaults and allocations, built-in validations. */
  private admit(
    t: ResourceType,
    obj: KObject,
    opts: WriteOptions,
    old?: KObject,
  ): KObject {
    const admitted = defaultBuiltin(
      t,
      admitCustom(t, obj, opts, old),
      () => this.store.bucket(t).values(),
      old,
    );
    admitBuiltin(t, admitted);
    return admitted;
  }

  /** PUT (main resource or status subresource). */
  update(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    if (!isObj(body))
      throw errors.badRequest('the body of the request must be an object');
    const old = this.store.peek(t, ns, name);
    if (!old) throw errors.notFound(t.plural, t.group, name);
    const obj = clone(body) as KObject;
    obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
    if (obj.metadata.name !== undefined && obj.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (
      t.namespaced &&
      obj.metadata.namespace !== undefined &&
      obj.metadata.namespace !== ns
    ) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (
      obj.metadata.resourceVersion !== undefined &&
      obj.metadata.resourceVersion !== '' &&
      obj.metadata.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw errors.conflict(t.plural, t.group, name);
    }
    if (this.takeForcedConflict(t))
      throw errors.conflict(t.plural, t.group, name);
    return this.commitUpdate(t, old, obj, opts);
  }

  /**
   * Replaces a stored object with `incoming` (or only its status): what the server keeps, admission, generation,
   * managedFields (`managedOverride` when server-side apply computed them). A no-op write stores nothing; an
   * object marked for deletion whose last finalizer went is removed.
   */
  commitUpdate(
    t: ResourceType,
    old: KObject,
    incoming: KObject,
    opts: WriteOptions,
    managedOverride?: KObject['metadata']['managedFields'],
  ): KObject {
    let next: KObject;
    if (opts.subresource === 'status') {
      next = { ...clone(old), status: clone(incoming.status) };
      if (next.status === undefined) delete next.status;
    } else {
      next = clone(incoming);
      next.apiVersion = apiVersionOf(t);
      next.kind = t.kind;
      if (t.status) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      next.metadata = {
        ...next.metadata,
        name: old.metadata.name,
        ...(t.namespaced ? { namespace: old.metadata.namespace } : {}),
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        ...(old.metadata.generation !== undefined
          ? { generation: old.metadata.generation }
          : {}),
        ...(old.metadata.deletionTimestamp
          ? { deletionTimestamp: old.metadata.deletionTimestamp }
          : {}),
      };
      if (!next.metadata.deletionTimestamp)
        delete next.metadata.deletionTimestamp;
      next = this.admit(t, next, opts, old);
    }
    if (
      hasGeneration(t) &&
      (t.plural === 'customresourcedefinitions' ||
        t.status ||
        opts.subresource !== 'status')
    ) {
      if (specChanged(t, old, next))
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    }
    const now = nowIso();
    next.metadata.managedFields =
      managedOverride ??
      trackUpdate({
        before: old,
        after: next,
        manager: opts.fieldManager ?? 'unknown',
        schema: t.schema,
        builtin: t.builtin,
        apiVersion: apiVersionOf(t),
        now,
        subresource: opts.subresource,
      });
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (stable(next) === stable({ ...old, apiVersion: next.apiVersion }))
      return this.store.out(t, old); // a no-op write changes nothing, not even the resourceVersion
    if (opts.dryRun) return next;
    const result = this.store.commit(t, next, 'MODIFIED', clone(old));
    if (
      result.metadata.deletionTimestamp &&
      (!result.metadata.finalizers || result.metadata.finalizers.length === 0)
    ) {
      this.store.remove(t, result);
    }
    return result;
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
    const ct = contentType.split(';')[0].trim().toLowerCase();
    const old = this.store.peek(t, ns, name);
    if (
      ct === 'application/apply-patch+yaml' ||
      ct === 'application/apply-patch+json'
    ) {
      return apply(this, t, ns, name, patchBody, old, opts);
    }
    if (!old) throw errors.notFound(t.plural, t.group, name);
    if (this.takeForcedConflict(t))
      throw errors.conflict(t.plural, t.group, name);
    let next: unknown;
    const base = clone(old);
    if (ct === 'application/merge-patch+json')
      next = applyMergePatch(base, patchBody);
    else if (ct === 'application/json-patch+json')
      next = applyJsonPatch(base, patchBody);
    else if (ct === 'application/strategic-merge-patch+json') {
      if (!t.builtin)
        throw errors.unsupportedMediaType(
          `${ct} (strategic merge patch is not supported for custom resources)`,
        );
      next = applyStrategicMergePatch(base, patchBody);
    } else throw errors.unsupportedMediaType(ct);
    if (!isObj(next))
      throw errors.badRequest('the patch produced a non-object');
    const meta = isObj(next.metadata) ? next.metadata : {};
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== old.metadata.resourceVersion
    )
      throw errors.conflict(t.plural, t.group, name);
    return this.commitUpdate(t, old, next as KObject, opts);
  }
}
