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

/** A kind the FusionInfer plugins read or write, with its REST coordinates. @public */
export interface KindInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const k = (
  apiVersion: string,
  kind: string,
  plural: string,
  namespaced = true,
): KindInfo => ({ apiVersion, kind, plural, namespaced });

/** Every kind the suite touches. @public */
export const KINDS = {
  InferenceService: k(
    'fusioninfer.io/v1alpha1',
    'InferenceService',
    'inferenceservices',
  ),
  LeaderWorkerSet: k(
    'leaderworkerset.x-k8s.io/v1',
    'LeaderWorkerSet',
    'leaderworkersets',
  ),
  PodGroup: k('scheduling.volcano.sh/v1beta1', 'PodGroup', 'podgroups'),
  InferencePool: k(
    'inference.networking.k8s.io/v1',
    'InferencePool',
    'inferencepools',
  ),
  HTTPRoute: k('gateway.networking.k8s.io/v1', 'HTTPRoute', 'httproutes'),
  Deployment: k('apps/v1', 'Deployment', 'deployments'),
  Service: k('v1', 'Service', 'services'),
  ConfigMap: k('v1', 'ConfigMap', 'configmaps'),
  ServiceAccount: k('v1', 'ServiceAccount', 'serviceaccounts'),
  Role: k('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  RoleBinding: k('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  Pod: k('v1', 'Pod', 'pods'),
  Node: k('v1', 'Node', 'nodes', false),
  Event: k('v1', 'Event', 'events'),
  Lease: k('coordination.k8s.io/v1', 'Lease', 'leases'),
} as const;

/** The kinds an InferenceService's children can have (in reconcile order). @public */
export const CHILD_KINDS: KindInfo[] = [
  KINDS.PodGroup,
  KINDS.LeaderWorkerSet,
  KINDS.ServiceAccount,
  KINDS.Role,
  KINDS.RoleBinding,
  KINDS.ConfigMap,
  KINDS.Deployment,
  KINDS.Service,
  KINDS.InferencePool,
  KINDS.HTTPRoute,
];

/** Looks a kind up by apiVersion and kind. @public */
export function kindOf(apiVersion: string, kind: string): KindInfo | undefined {
  return Object.values(KINDS).find(
    x => x.apiVersion === apiVersion && x.kind === kind,
  );
}

/** REST path of a collection (or an object when name is given). @public */
export function resourcePath(
  info: KindInfo,
  namespace?: string,
  name?: string,
): string {
  const base = info.apiVersion.includes('/')
    ? `/apis/${info.apiVersion}`
    : `/api/${info.apiVersion}`;
  const ns =
    info.namespaced && namespace
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
