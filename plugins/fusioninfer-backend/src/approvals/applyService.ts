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

import { ConflictError, InputError } from '@backstage/errors';
import {
  entityRefOfService,
  InferenceService,
  KubeObject,
  renderInferenceService,
  RenderOptions,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';

/** The field manager of everything the plugin applies. */
export const FIELD_MANAGER = 'backstage-fusioninfer';

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

/** Managers other than this plugin that own fields of the live object's spec or metadata. */
export function foreignManagers(live: KubeObject): string[] {
  const entries = ((live.metadata as any).managedFields ?? []) as Array<{
    manager?: string;
    subresource?: string;
    fieldsV1?: Record<string, unknown>;
  }>;
  return [
    ...new Set(
      entries
        .filter(
          e =>
            e.manager &&
            e.manager !== FIELD_MANAGER &&
            e.subresource !== 'status' &&
            e.fieldsV1 &&
            Object.keys(e.fieldsV1).some(k => k === 'f:spec'),
        )
        .map(e => e.manager!),
    ),
  ];
}

/** What {@link applyService} did. */
export interface ApplyOutcome {
  created: boolean;
  uid?: string;
  children?: Array<{ apiVersion: string; kind: string; name: string }>;
}

/**
 * Server-side applies an InferenceService (field manager `backstage-fusioninfer`) and, with `children`, its rendered
 * children with owner references. Refuses (409) a service that exists and belongs to another entity or whose spec is
 * managed by someone else, unless `update`; refuses a child controlled by another owner.
 */
export async function applyService(
  client: ClusterClient,
  manifest: InferenceService,
  options: {
    entityRef: string;
    entityRefOfLive: (live: InferenceService) => string;
    children?: boolean;
    update?: boolean;
    render?: RenderOptions;
  },
): Promise<ApplyOutcome> {
  const ns = manifest.metadata.namespace!;
  const name = manifest.metadata.name!;
  const live = await client.get<InferenceService>(
    KINDS.InferenceService,
    ns,
    name,
  );
  if (live && !options.update) {
    const owner = options.entityRefOfLive(live);
    if (owner !== options.entityRef)
      throw new ConflictError(
        `InferenceService ${client.name}/${ns}/${name} exists and belongs to ${owner}, not ${options.entityRef}; set update: true to take it over`,
      );
    const others = foreignManagers(live);
    if (others.length)
      throw new ConflictError(
        `InferenceService ${client.name}/${ns}/${name} exists and its spec is managed by ${others.join(', ')}; set update: true to take it over`,
      );
  }
  const applied = await client.apply<InferenceService>(manifest, {
    fieldManager: FIELD_MANAGER,
    force: true,
  });
  const out: ApplyOutcome = { created: !live, uid: applied.metadata.uid };
  if (options.children) {
    const { children } = renderInferenceService(applied, {
      ...(options.render ?? {}),
      namespace: ns,
      ownerUid: applied.metadata.uid,
    });
    out.children = [];
    for (const child of children) {
      const kind = Object.values(KINDS).find(
        k => k.kind === child.kind && k.apiVersion === child.apiVersion,
      );
      const existing = kind
        ? await client.get<KubeObject>(kind, ns, child.metadata.name!)
        : undefined;
      const controller = existing?.metadata.ownerReferences?.find(
        r => r.controller,
      );
      if (controller && controller.uid !== applied.metadata.uid)
        throw new ConflictError(
          `${child.kind} ${ns}/${child.metadata.name} is controlled by ${controller.kind} ${controller.name}; not applied`,
        );
      await client.apply(child, { fieldManager: FIELD_MANAGER, force: true });
      out.children.push({
        apiVersion: child.apiVersion,
        kind: child.kind,
        name: child.metadata.name!,
      });
    }
  }
  return out;
}
