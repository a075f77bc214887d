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

import { COMPONENT_TYPES, ROUTING_STRATEGIES } from './constants';

/** A JSON value. @public */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. @public */
export type JsonObject = { [key: string]: JsonValue };

/** Role component type. @public */
export type ComponentType = (typeof COMPONENT_TYPES)[number];
/** Router routing strategy. @public */
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];
/** Phase of a component in status. @public */
export type ComponentPhase =
  'Pending' | 'Deploying' | 'Running' | 'Failed' | 'Unknown';

/** Kubernetes owner reference. @public */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Kubernetes object metadata (the fields this suite reads or writes). @public */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object. @public */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** metav1.Condition. @public */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A container as far as rendering needs it (everything else passes through). @public */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{
    name?: string;
    containerPort: number;
    protocol?: string;
    [key: string]: unknown;
  }>;
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  resources?: {
    limits?: Record<string, string | number>;
    requests?: Record<string, string | number>;
    [key: string]: unknown;
  };
  env?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** A pod spec as far as rendering needs it. @public */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  schedulerName?: string;
  [key: string]: unknown;
}

/** A pod template spec. @public */
export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: PodSpec;
}

/** `spec.roles[]` of an InferenceService. @public */
export interface Role {
  name: string;
  componentType: ComponentType;
  strategy?: RoutingStrategy;
  httproute?: Record<string, unknown>;
  gateway?: Record<string, unknown>;
  endpointPickerConfig?: string;
  replicas?: number;
  multinode?: { nodeCount: number };
  template?: PodTemplateSpec;
}

/** `spec` of an InferenceService. @public */
export interface InferenceServiceSpec {
  roles: Role[];
  schedulingStrategy?: { schedulerName?: string };
}

/** Aggregated status of one role. @public */
export interface ComponentStatus {
  desiredReplicas: number;
  readyReplicas: number;
  nodesPerReplica: number;
  totalPods: number;
  readyPods: number;
  phase: ComponentPhase;
  lastUpdateTime?: string;
}

/** `status` of an InferenceService. @public */
export interface InferenceServiceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  components?: Record<string, ComponentStatus>;
  /** Replicas wanted, summed over workload roles (extension; printer column). */
  replicas?: number;
  /** Ready replicas, summed over workload roles (extension; printer column). */
  readyReplicas?: number;
  /** Least advanced phase of any component (extension; printer column). */
  phase?: ComponentPhase;
}

/** A `fusioninfer.io/v1alpha1` InferenceService. @public */
export interface InferenceService extends KubeObject {
  apiVersion: 'fusioninfer.io/v1alpha1';
  kind: 'InferenceService';
  spec: InferenceServiceSpec;
  status?: InferenceServiceStatus;
}

/** Label selector. @public */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: string;
    values?: string[];
  }>;
}

/** `leaderworkerset.x-k8s.io/v1` LeaderWorkerSet. @public */
export interface LeaderWorkerSet extends KubeObject {
  spec: {
    replicas?: number;
    startupPolicy?: 'LeaderCreated' | 'LeaderReady';
    rolloutStrategy?: {
      type: 'RollingUpdate';
      rollingUpdateConfiguration?: Record<string, unknown>;
    };
    leaderWorkerTemplate: {
      size?: number;
      leaderTemplate?: PodTemplateSpec;
      workerTemplate: PodTemplateSpec;
      restartPolicy?: string;
      [key: string]: unknown;
    };
    [key: string]: unknown;
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    hpaPodSelector?: string;
    conditions?: Condition[];
  };
}

/** A Volcano PodGroup condition (not a metav1.Condition). @public */
export interface PodGroupCondition {
  type: string;
  status: string;
  transitionID?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** `scheduling.volcano.sh/v1beta1` PodGroup. @public */
export interface PodGroup extends KubeObject {
  spec: {
    minMember?: number;
    minTaskMember?: Record<string, number>;
    minResources?: Record<string, string>;
    queue?: string;
    priorityClassName?: string;
  };
  status?: {
    phase?:
      'Pending' | 'Inqueue' | 'Running' | 'Unknown' | 'Completed' | string;
    running?: number;
    succeeded?: number;
    failed?: number;
    conditions?: PodGroupCondition[];
  };
}

/** `apps/v1` Deployment. @public */
export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    strategy?: { type: string; [key: string]: unknown };
    template: PodTemplateSpec;
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      [key: string]: unknown;
    }>;
  };
}

/** `v1` Service. @public */
export interface Service extends KubeObject {
  spec: {
    type?: string;
    selector?: Record<string, string>;
    ports?: Array<{
      name?: string;
      port: number;
      targetPort?: number | string;
      protocol?: string;
    }>;
    [key: string]: unknown;
  };
}

/** `v1` ConfigMap. @public */
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** `v1` ServiceAccount. @public */
export type ServiceAccount = KubeObject;

/** RBAC policy rule. @public */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  /** When set, the rule grants its verbs on these object names only. */
  resourceNames?: string[];
  verbs: string[];
}

/** `rbac.authorization.k8s.io/v1` Role. @public */
export interface RbacRole extends KubeObject {
  rules: PolicyRule[];
}

/** `rbac.authorization.k8s.io/v1` RoleBinding. @public */
export interface RoleBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: Array<{
    kind: string;
    name: string;
    namespace?: string;
    apiGroup?: string;
  }>;
}

/** Gateway API route parent status. @public */
export interface RouteParentStatus {
  parentRef: {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
    sectionName?: string;
    port?: number;
  };
  controllerName?: string;
  conditions?: Condition[];
}

/** `inference.networking.k8s.io/v1` InferencePool. @public */
export interface InferencePool extends KubeObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    targetPorts: Array<{ number: number }>;
    endpointPickerRef: {
      group?: string;
      kind?: string;
      name: string;
      port?: { number: number };
      failureMode?: string;
    };
  };
  status?: { parents?: RouteParentStatus[] };
}

/** `gateway.networking.k8s.io/v1` HTTPRoute. @public */
export interface HTTPRoute extends KubeObject {
  spec: {
    parentRefs?: Array<Record<string, unknown>>;
    hostnames?: string[];
    rules?: Array<Record<string, unknown>>;
    [key: string]: unknown;
  };
  status?: { parents?: RouteParentStatus[] };
}

/** A Kubernetes v1 Pod as far as status derivation needs it. @public */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string; [key: string]: unknown };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    podIP?: string;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }>;
    containerStatuses?: Array<{
      name: string;
      ready: boolean;
      restartCount: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: { startedAt?: string };
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
    }>;
  };
}

/** True for a known component type. @public */
export const isComponentType = (v: unknown): v is ComponentType =>
  typeof v === 'string' && (COMPONENT_TYPES as readonly string[]).includes(v);
/** True for a known routing strategy. @public */
export const isRoutingStrategy = (v: unknown): v is RoutingStrategy =>
  typeof v === 'string' &&
  (ROUTING_STRATEGIES as readonly string[]).includes(v);
