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

/** API group of FusionInfer resources. @public */
export const FUSIONINFER_GROUP = 'fusioninfer.io';
/** API version of FusionInfer resources. @public */
export const FUSIONINFER_VERSION = 'v1alpha1';
/** `apiVersion` of an InferenceService. @public */
export const INFERENCE_SERVICE_API_VERSION = `${FUSIONINFER_GROUP}/${FUSIONINFER_VERSION}`;
/** Kind of an InferenceService. @public */
export const INFERENCE_SERVICE_KIND = 'InferenceService';
/** Plural resource name of InferenceServices. @public */
export const INFERENCE_SERVICE_PLURAL = 'inferenceservices';

/**
 * Label and annotation keys written on generated children. Values are the upstream ones (spec §3.0) so that
 * objects and selectors stay compatible with the Go controller.
 * @public
 */
export const LABELS = {
  service: 'fusioninfer.io/service',
  componentType: 'fusioninfer.io/component-type',
  roleName: 'fusioninfer.io/role-name',
  replicaIndex: 'fusioninfer.io/replica-index',
  specHash: 'fusioninfer.io/spec-hash',
  lwsName: 'leaderworkerset.sigs.k8s.io/name',
  lwsWorkerIndex: 'leaderworkerset.sigs.k8s.io/worker-index',
  lwsGroupIndex: 'leaderworkerset.sigs.k8s.io/group-index',
} as const;

/** Annotation keys written on generated children. @public */
export const ANNOTATIONS = {
  podGroupName: 'scheduling.k8s.io/group-name',
  volcanoTaskSpec: 'volcano.sh/task-spec',
  /** Checksum of the EPP configuration on the EPP pod template: a config change rolls the EPP (upstream gap 20). */
  eppConfigChecksum: 'fusioninfer.io/config-checksum',
} as const;

/** Scheduler that gang-scheduled pods use. @public */
export const VOLCANO_SCHEDULER = 'volcano';
/** Ray head port used by multi-node wrapping. @public */
export const RAY_HEAD_PORT = 6379;
/** Port every model server listens on (InferencePool target port). @public */
export const INFERENCE_TARGET_PORT = 8000;
/** EPP ports. @public */
export const EPP_PORTS = {
  grpc: 9002,
  grpcHealth: 9003,
  metrics: 9090,
} as const;

/** Upstream default EPP image (GIE v1.2.1). @public */
export const DEFAULT_EPP_IMAGE =
  'registry.k8s.io/gateway-api-inference-extension/epp:v1.2.1';
/**
 * EPP image used for `pd-disaggregation`: the upstream GIE image lacks the `pd-profile-handler`,
 * `prefill-header-handler` and `by-label` plugins and crash-loops (metrics-and-status §0.3).
 * @public
 */
export const DEFAULT_PD_EPP_IMAGE =
  'ghcr.io/llm-d/llm-d-inference-scheduler:v0.4.0';
/**
 * vLLM ≥ 0.12 only exposes `vllm:kv_cache_usage_perc`; GIE v1.2.x reads the removed `vllm:gpu_cache_usage_perc` by
 * default, which makes KV-cache routing blind (metrics-and-status §0.1).
 * @public
 */
export const DEFAULT_KV_CACHE_METRIC = 'vllm:kv_cache_usage_perc';

/** The field manager of everything the plugins apply (server-side apply by the backend and its cluster client). @public */
export const FIELD_MANAGER = 'backstage-fusioninfer';

/** The routing strategies an EPP can be configured with. @public */
export const ROUTING_STRATEGIES = [
  'prefix-cache',
  'kv-cache-utilization',
  'queue-size',
  'lora-affinity',
  'pd-disaggregation',
] as const;

/** The role component types. @public */
export const COMPONENT_TYPES = [
  'router',
  'prefiller',
  'decoder',
  'worker',
] as const;

/** Condition types, reasons and messages written on InferenceService status (spec §1.6 plus fixes). @public */
export const CONDITIONS = {
  initialized: {
    type: 'Initialized',
    reason: 'InferenceServiceCreating',
    message: 'InferenceService initialized',
  },
  active: {
    type: 'Active',
    readyReason: 'InferenceServiceAvailable',
    readyMessage: 'InferenceService is ready',
    processingReason: 'InferenceServiceProcessing',
    processingMessage: 'InferenceService is being reconciled',
    invalidReason: 'InvalidSpec',
  },
  failed: {
    type: 'Failed',
    reason: 'InferenceServiceFailed',
    recoveredReason: 'InferenceServiceRecovered',
    recoveredMessage: 'The last reconcile succeeded',
  },
} as const;
