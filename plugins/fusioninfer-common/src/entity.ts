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
 * Catalog links between Backstage entities and InferenceServices. Either side can point at the other:
 *  - an entity annotated `fusioninfer.io/service: <cluster>/<namespace>/<name>` (several separated by commas), or
 *  - an InferenceService annotated `backstage.io/entity-ref: component:default/my-model`.
 * The entity provider creates one Component of type `model-service` per InferenceService that points at no entity.
 */

import { fnv1_32, safeEncode } from './hash';
import { InferenceService } from './types';
import { isValidName } from './names';

/** Annotation on a catalog entity naming the InferenceService(s) it shows. @public */
export const FUSIONINFER_SERVICE_ANNOTATION = 'fusioninfer.io/service';
/** Annotation (or label) on an InferenceService naming the catalog entity it belongs to. @public */
export const ENTITY_REF_ANNOTATION = 'backstage.io/entity-ref';
/** Annotations (or labels) on an InferenceService read as the owner of its generated entity. @public */
export const OWNER_ANNOTATIONS = [
  'fusioninfer.io/owner',
  'backstage.io/owner',
] as const;
/** Entity spec.type of generated entities. @public */
export const MODEL_SERVICE_ENTITY_TYPE = 'model-service';

/** A reference to one InferenceService in one cluster. @public */
export interface ServiceRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * At most this many services are read from one `fusioninfer.io/service` annotation (and at most this many malformed
 * items are named): the annotation is written by the entity's author, and every reference costs a lookup and a
 * service detail in the entity's Inference tab. @public
 */
export const MAX_SERVICE_ANNOTATION_REFS = 50;

/**
 * Parses a `fusioninfer.io/service` annotation value. Returns the references (distinct, at most
 * {@link MAX_SERVICE_ANNOTATION_REFS}, in order) and one message per malformed item
 * (`<cluster>/<namespace>/<name>`, each a DNS label; `<namespace>/<name>` needs a default cluster), the number of
 * malformed items and of references beyond the limit summed up in one message each.
 * @public
 */
export function parseServiceAnnotation(
  value: unknown,
  defaultCluster?: string,
): { refs: ServiceRef[]; errors: string[] } {
  const refs: ServiceRef[] = [];
  const errors: string[] = [];
  if (typeof value !== 'string')
    return {
      refs,
      errors:
        value === undefined
          ? []
          : [`${FUSIONINFER_SERVICE_ANNOTATION}: must be a string`],
    };
  const seen = new Set<string>();
  let malformed = 0;
  for (const raw of value
    .split(/[,\n]/)
    .map(s => s.trim())
    .filter(Boolean)) {
    const parts = raw.split('/');
    const full =
      parts.length === 2 && defaultCluster ? [defaultCluster, ...parts] : parts;
    if (
      full.length !== 3 ||
      !isValidName('cluster', full[0]) ||
      !isValidName('namespace', full[1]) ||
      !isValidName('service', full[2])
    ) {
      malformed++;
      if (malformed <= MAX_SERVICE_ANNOTATION_REFS)
        errors.push(
          `${FUSIONINFER_SERVICE_ANNOTATION}: "${raw.slice(0, 200)}" is not <cluster>/<namespace>/<name> (lower-case DNS labels; the name starts with a letter)`,
        );
      continue;
    }
    const [cluster, namespace, name] = full;
    const key = `${cluster}/${namespace}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (refs.length < MAX_SERVICE_ANNOTATION_REFS)
      refs.push({ cluster, namespace, name });
  }
  if (malformed > MAX_SERVICE_ANNOTATION_REFS)
    errors.push(
      `${FUSIONINFER_SERVICE_ANNOTATION}: ${malformed - MAX_SERVICE_ANNOTATION_REFS} more malformed items`,
    );
  if (seen.size > MAX_SERVICE_ANNOTATION_REFS)
    errors.push(
      `${FUSIONINFER_SERVICE_ANNOTATION}: names ${seen.size} services; at most ${MAX_SERVICE_ANNOTATION_REFS} are read (the first ${MAX_SERVICE_ANNOTATION_REFS})`,
    );
  return { refs, errors };
}

/** `cluster/namespace/name`. @public */
export function formatServiceRef(ref: ServiceRef): string {
  return `${ref.cluster}/${ref.namespace}/${ref.name}`;
}

/** Lower-cases an entity ref's kind and namespace (`Component:default/x` → `component:default/x`); undefined if malformed. @public */
export function normalizeEntityRef(
  ref: unknown,
  defaultKind = 'component',
): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const m = /^(?:([^:/\s]+):)?(?:([^:/\s]+)\/)?([^:/\s]+)$/.exec(ref.trim());
  if (!m) return undefined;
  const [, kind, namespace, name] = m;
  return `${(kind ?? defaultKind).toLowerCase()}:${(namespace ?? 'default').toLowerCase()}/${name.toLowerCase()}`;
}

/** The entity an InferenceService names with `backstage.io/entity-ref` (annotation or label), normalized. @public */
export function entityRefOfService(isvc: InferenceService): string | undefined {
  const m = isvc.metadata;
  return normalizeEntityRef(
    m.annotations?.[ENTITY_REF_ANNOTATION] ?? m.labels?.[ENTITY_REF_ANNOTATION],
  );
}

const ENTITY_NAME = /^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$/;

/** The name of the generated entity: `<name>.<namespace>.<cluster>`, shortened with a hash when over 63 characters. @public */
export function modelServiceEntityName(ref: ServiceRef): string {
  const full = `${ref.name}.${ref.namespace}.${ref.cluster}`.replace(
    /[^a-zA-Z0-9\-_.]/g,
    '-',
  );
  if (full.length <= 63 && ENTITY_NAME.test(full)) return full;
  const hash = safeEncode(fnv1_32(full).toString(16));
  return `${full.slice(0, 63 - hash.length - 1).replace(/[-_.]+$/, '')}-${hash}`;
}

/** Options of {@link modelServiceEntity}. @public */
export interface ModelServiceEntityOptions {
  /** Owner when the service names none (default `unknown`). */
  defaultOwner?: string;
  lifecycle?: string;
  /** Backstage namespace of generated entities (default `default`). */
  entityNamespace?: string;
  /** Extra tags. */
  tags?: string[];
}

/** A plain catalog entity (structurally the catalog model's `Entity`). @public */
export interface ModelServiceEntity {
  apiVersion: 'backstage.io/v1alpha1';
  kind: 'Component';
  metadata: {
    name: string;
    namespace: string;
    title: string;
    description: string;
    annotations: Record<string, string>;
    labels?: Record<string, string>;
    tags: string[];
  };
  spec: { type: string; lifecycle: string; owner: string; system?: string };
}

/**
 * The Component entity generated for an InferenceService: type `model-service`, owner from the service's
 * `fusioninfer.io/owner`/`backstage.io/owner` annotation or label, annotations linking cluster, namespace and name
 * (also the kubernetes plugin's namespace and label selector, so its tab works too).
 * @public
 */
export function modelServiceEntity(
  isvc: InferenceService,
  cluster: string,
  locationKey: string,
  options: ModelServiceEntityOptions = {},
): ModelServiceEntity {
  const namespace = isvc.metadata.namespace ?? 'default';
  const name = isvc.metadata.name ?? '';
  const meta = isvc.metadata;
  const pick = (keys: readonly string[]) => {
    for (const k of keys) {
      const v = meta.annotations?.[k] ?? meta.labels?.[k];
      if (v) return v;
    }
    return undefined;
  };
  const ownerRaw = pick(OWNER_ANNOTATIONS);
  // Labels cannot hold ":" or "/"; a label "team-a" means group "team-a".
  const owner =
    (ownerRaw && normalizeEntityRef(ownerRaw, 'group')) ||
    options.defaultOwner ||
    'unknown';
  const router = isvc.spec?.roles?.find(r => r.componentType === 'router');
  const workloads = (isvc.spec?.roles ?? []).filter(
    r => r.componentType !== 'router',
  );
  const strategy = router
    ? (router.endpointPickerConfig && 'custom') ||
      router.strategy ||
      'prefix-cache'
    : undefined;
  const tags = [
    ...new Set([
      'fusioninfer',
      'llm',
      ...(strategy ? [strategy] : []),
      ...(workloads.some(r => r.componentType === 'prefiller')
        ? ['pd-disaggregation']
        : []),
      ...(options.tags ?? []),
    ]),
  ]
    .map(t =>
      t
        .toLowerCase()
        .replace(/[^a-z0-9+#-]/g, '-')
        .slice(0, 63),
    )
    .filter(t => /^[a-z0-9+#]+(-[a-z0-9+#]+)*$/.test(t));
  const ref = formatServiceRef({ cluster, namespace, name });
  const system = pick(['backstage.io/system', 'fusioninfer.io/system']);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: modelServiceEntityName({ cluster, namespace, name }),
      namespace: options.entityNamespace ?? 'default',
      // Short, so the catalog's Name column is not squeezed; namespace and cluster are in the description,
      // the annotations and the label.
      title: name,
      description: meta.annotations?.description
        ? `${meta.annotations.description} (FusionInfer InferenceService ${namespace}/${name} in cluster ${cluster})`
        : `FusionInfer InferenceService ${namespace}/${name} in cluster ${cluster}: ${workloads.map(r => `${r.name} (${r.componentType}, ${r.replicas ?? 1}×${r.multinode?.nodeCount ?? 1} node)`).join(', ') || 'no workload roles'}${strategy ? `, routed by ${strategy}` : ''}.`,
      annotations: {
        [FUSIONINFER_SERVICE_ANNOTATION]: ref,
        'backstage.io/managed-by-location': locationKey,
        'backstage.io/managed-by-origin-location': locationKey,
        'backstage.io/kubernetes-namespace': namespace,
        'backstage.io/kubernetes-label-selector': `fusioninfer.io/service=${name}`,
      },
      labels: { 'fusioninfer.io/cluster': cluster.slice(0, 63) },
      tags,
    },
    spec: {
      type: MODEL_SERVICE_ENTITY_TYPE,
      lifecycle:
        pick(['backstage.io/lifecycle', 'fusioninfer.io/lifecycle']) ??
        options.lifecycle ??
        'production',
      owner,
      ...(system ? { system } : {}),
    },
  };
}
