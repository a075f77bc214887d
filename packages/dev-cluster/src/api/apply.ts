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
 * Server-side apply (PATCH with application/apply-patch+yaml or +json): the request checks, then ../managedFields
 * merges the configuration into the live object and computes the field owners; a create or an update stores it.
 */

import { errors } from '../errors';
import { serverSideApply } from '../managedFields';
import { apiVersionOf, ResourceType } from '../resources';
import { isObj, KObject, nowIso, WriteOptions } from './types';
import type { Writer } from './write';

export function apply(
  w: Writer,
  t: ResourceType,
  ns: string | undefined,
  name: string,
  body: unknown,
  old: KObject | undefined,
  opts: WriteOptions & { force?: boolean },
): KObject {
  if (!isObj(body))
    throw errors.badRequest('the apply configuration must be an object');
  if (!opts.fieldManager)
    throw errors.badRequest(
      'PATCH, application/apply-patch+yaml requests require fieldManager to be set',
    );
  if (body.apiVersion !== apiVersionOf(t) || body.kind !== t.kind) {
    throw errors.badRequest(
      `apiVersion and kind of the apply configuration must be ${apiVersionOf(t)}, ${t.kind}`,
    );
  }
  if (
    isObj(body.metadata) &&
    body.metadata.name !== undefined &&
    body.metadata.name !== name
  ) {
    throw errors.badRequest(
      `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  if (
    old &&
    isObj(body.metadata) &&
    body.metadata.resourceVersion &&
    body.metadata.resourceVersion !== old.metadata.resourceVersion
  ) {
    throw errors.conflict(t.plural, t.group, name);
  }
  const now = nowIso();
  const res = serverSideApply({
    live: old,
    applied: body,
    manager: opts.fieldManager,
    force: !!opts.force,
    schema: t.schema,
    builtin: t.builtin,
    apiVersion: apiVersionOf(t),
    now,
    subresource: opts.subresource,
  });
  if (!old) {
    const created = w.create(
      t,
      ns,
      {
        ...res.object,
        apiVersion: apiVersionOf(t),
        kind: t.kind,
        metadata: {
          ...(res.object.metadata ?? {}),
          name,
          ...(t.namespaced ? { namespace: ns } : {}),
        },
      },
      { ...opts, fieldManager: opts.fieldManager },
    );
    if (opts.dryRun) return created;
    // the apply's own entry (operation Apply, the applied fields), not the Update entry create tracked
    const stored = w.store.peek(
      t,
      created.metadata.namespace,
      created.metadata.name,
    )!;
    stored.metadata.managedFields = res.managedFields;
    return w.store.out(t, stored);
  }
  if (w.takeForcedConflict(t)) throw errors.conflict(t.plural, t.group, name);
  return w.commitUpdate(t, old, res.object as KObject, opts, res.managedFields);
}
