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

import type { JSONSchemaProps } from '@fusioninfer/plugin-fusioninfer-common/schema';

/** A REST resource the server serves. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Has a status subresource: the main endpoint ignores status changes, /status ignores everything else. */
  status: boolean;
  /** Structural schema of a custom resource (validation, pruning, defaulting). */
  schema?: JSONSchemaProps;
  /** Field selectors supported besides metadata.name/metadata.namespace. */
  fieldSelectors?: string[];
  /** List-map keys of built-in lists, by field name (custom resources take them from the schema). */
  builtin: boolean;
  /** CRD printer columns (custom resources). */
  printerColumns?: unknown[];
  /** Verbs when not the usual ones; set for create-only reviews, which are answered and never stored. */
  verbs?: string[];
  /** The scale subresource (autoscaling/v1 Scale): where replicas live; without labelSelectorPath the selector is spec.selector. */
  scale?: ScaleSpec;
}

/** Paths of a scale subresource, as in a CRD's `subresources.scale`. */
export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}
const WORKLOAD_SCALE: ScaleSpec = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
};

/**
 * The Kubernetes version the development cluster reports (/version, node kubeletVersion, OpenAPI info): 1.33, so
 * kubectl 1.32, 1.33 and 1.34 are all within kubectl's supported skew of one minor version. Its semantics follow
 * that version (for example Pods carry metadata.generation since 1.33; ConfigMaps, Secrets and Services never do).
 */
export const KUBERNETES_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.5-fusioninfer-dev',
};

/** `group/version` or `version` for the core group. */
export const apiVersionOf = (t: Pick<ResourceType, 'group' | 'version'>) =>
  t.group ? `${t.group}/${t.version}` : t.version;
/** Key of a resource's storage, shared by all its served versions. */
export const storageKey = (t: Pick<ResourceType, 'group' | 'plural'>) =>
  `${t.group}/${t.plural}`;

/**
 * Kubernetes' version priority (discovery order, preferred version first): GA before beta before alpha, higher
 * numbers first; versions that do not look like Kubernetes versions last, alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const STAGES: Record<string, number> = { alpha: 0, beta: 1, '': 2 };
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    return m
      ? [STAGES[m[2] ?? ''], Number(m[1]), Number(m[3] ?? 0)]
      : undefined;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    for (const i of [0, 1, 2]) if (pa[i] !== pb[i]) return pb[i] - pa[i];
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a.localeCompare(b);
}

/** Registry key of a resource type. */
export const typeKey = (
  t: Pick<ResourceType, 'group' | 'version' | 'plural'>,
) => `${t.group}/${t.version}/${t.plural}`;

const core = (
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType => ({
  group: '',
  version: 'v1',
  kind,
  listKind: `${kind}List`,
  plural,
  singular: kind.toLowerCase(),
  namespaced,
  status: false,
  builtin: true,
  ...extra,
});
const grouped = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType => ({
  ...core(kind, plural, namespaced, extra),
  group,
  version,
});

/** The built-in kinds of the development cluster. */
export const BUILTIN_TYPES: ResourceType[] = [
  core('Namespace', 'namespaces', false, { status: true, shortNames: ['ns'] }),
  core('Node', 'nodes', false, { status: true, shortNames: ['no'] }),
  core('Pod', 'pods', true, {
    status: true,
    shortNames: ['po'],
    categories: ['all'],
    fieldSelectors: [
      'spec.nodeName',
      'spec.schedulerName',
      'status.phase',
      'status.podIP',
      'spec.serviceAccountName',
    ],
  }),
  core('Service', 'services', true, {
    status: true,
    shortNames: ['svc'],
    categories: ['all'],
  }),
  core('ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  core('Secret', 'secrets', true, { fieldSelectors: ['type'] }),
  core('ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  core('Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  core('Event', 'events', true, {
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.name',
      'involvedObject.namespace',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'reason',
      'type',
      'source',
    ],
  }),
  grouped('apps', 'v1', 'Deployment', 'deployments', true, {
    scale: WORKLOAD_SCALE,
    status: true,
    shortNames: ['deploy'],
    categories: ['all'],
  }),
  grouped('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    scale: WORKLOAD_SCALE,
    status: true,
    shortNames: ['rs'],
    categories: ['all'],
  }),
  grouped('apps', 'v1', 'StatefulSet', 'statefulsets', true, {
    scale: WORKLOAD_SCALE,
    status: true,
    shortNames: ['sts'],
    categories: ['all'],
  }),
  grouped('batch', 'v1', 'Job', 'jobs', true, {
    status: true,
    categories: ['all'],
  }),
  grouped('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  grouped(
    'rbac.authorization.k8s.io',
    'v1',
    'RoleBinding',
    'rolebindings',
    true,
  ),
  grouped(
    'rbac.authorization.k8s.io',
    'v1',
    'ClusterRole',
    'clusterroles',
    false,
  ),
  grouped(
    'rbac.authorization.k8s.io',
    'v1',
    'ClusterRoleBinding',
    'clusterrolebindings',
    false,
  ),
  grouped('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  grouped(
    'authorization.k8s.io',
    'v1',
    'SelfSubjectAccessReview',
    'selfsubjectaccessreviews',
    false,
    { verbs: ['create'] },
  ),
  grouped(
    'authorization.k8s.io',
    'v1',
    'SelfSubjectRulesReview',
    'selfsubjectrulesreviews',
    false,
    { verbs: ['create'] },
  ),
  grouped(
    'authentication.k8s.io',
    'v1',
    'SelfSubjectReview',
    'selfsubjectreviews',
    false,
    { verbs: ['create'] },
  ),
  grouped(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    { status: true, shortNames: ['crd', 'crds'] },
  ),
];

/**
 * List-map keys of built-in list fields, by field name (what the built-in OpenAPI declares with
 * x-kubernetes-list-type=map). Other built-in lists are atomic.
 */
export const BUILTIN_LIST_MAP_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
};
/** Built-in `ports` lists are keyed by port number and protocol. */
export const BUILTIN_PORT_KEYS = {
  containerPorts: ['containerPort', 'protocol'],
  servicePorts: ['port', 'protocol'],
};
/** Built-in set lists. */
export const BUILTIN_SETS = new Set(['finalizers']);
