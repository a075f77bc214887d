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

import { InputError } from '@backstage/errors';
import {
  entityRefOfService,
  InferenceService,
  normalizeEntityRef,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';

/** Server-populated metadata that a stored manifest never carries. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'ownerReferences',
  'finalizers',
];

/**
 * The manifest as it will be applied and stored: `metadata.namespace` set to the request's namespace (a manifest
 * naming another namespace is refused), server-populated fields and `status` dropped, and the entity ref added as
 * the `backstage.io/entity-ref` annotation when one was given and the manifest names none.
 */
export function normalizeManifest(
  manifest: Record<string, unknown>,
  namespace: string,
  entityRef?: string,
): InferenceService {
  const m = manifest as unknown as InferenceService;
  const meta = (
    typeof m.metadata === 'object' && m.metadata !== null ? m.metadata : {}
  ) as InferenceService['metadata'];
  if (meta.namespace !== undefined && meta.namespace !== namespace)
    throw new InputError(
      `manifest.metadata.namespace: "${String(meta.namespace)}" differs from namespace "${namespace}"; a request is for one namespace`,
    );
  const metadata: Record<string, unknown> = { ...meta, namespace };
  for (const k of SERVER_METADATA) delete metadata[k];
  if (entityRef && !entityRefOfService(m))
    metadata.annotations = {
      ...((meta.annotations as Record<string, string>) ?? {}),
      'backstage.io/entity-ref': entityRef,
    };
  const { status: _status, ...rest } = m as InferenceService & {
    status?: unknown;
  };
  return { ...rest, metadata } as InferenceService;
}

/**
 * Validates a manifest for a cluster and namespace (shared by `/approvals/check`, `/approvals` and `/apply`): the
 * namespace of the request and of the manifest are one, an `entityRef` given in the body must be the one the manifest
 * names and is written into it (`backstage.io/entity-ref`). Who may use that entity is the writer's question
 * (`ServiceWriter.review`), asked whichever way the entity was given.
 */
export function reviewManifest(
  o: { clusterExists(name: string): boolean },
  input: {
    cluster: string;
    namespace: string;
    manifest: Record<string, unknown>;
    entityRef?: string;
  },
) {
  if (!o.clusterExists(input.cluster))
    throw new InputError(
      `cluster: "${input.cluster}" is not a configured cluster`,
    );
  const named = entityRefOfService(
    input.manifest as unknown as InferenceService,
  );
  let requested: string | undefined;
  if (input.entityRef !== undefined) {
    requested = normalizeEntityRef(input.entityRef);
    if (!requested)
      throw new InputError(
        `entityRef: "${input.entityRef}" is not an entity reference`,
      );
    if (named && named !== requested)
      throw new InputError(
        `entityRef: "${requested}" differs from the manifest's backstage.io/entity-ref "${named}"`,
      );
  }
  const manifest = normalizeManifest(
    input.manifest,
    input.namespace,
    named ? undefined : requested,
  );
  const validation = validateInferenceService(manifest);
  if (!validation.valid)
    throw new InputError(
      `manifest: ${validation.errors.map(e => `${e.path}: ${e.message}`).join('; ')}`,
    );
  return { manifest, validation };
}
