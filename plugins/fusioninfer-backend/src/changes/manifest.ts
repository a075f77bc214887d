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
