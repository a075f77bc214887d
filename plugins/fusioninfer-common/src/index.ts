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

/**
 * Isomorphic FusionInfer core: InferenceService types, validation, rendering of children, status derivation,
 * metrics parsing, governance policy, permissions and the REST contract. No I/O.
 *
 * The template-parameter builder is on `@fusioninfer/plugin-fusioninfer-common/builder` and the structural schema
 * checker on `@fusioninfer/plugin-fusioninfer-common/schema`. This entry point lists only what the other packages
 * import (and the types those exports name).
 *
 * @packageDocumentation
 */

// InferenceService and its children
export {
  ANNOTATIONS,
  COMPONENT_TYPES,
  EPP_PORTS,
  FIELD_MANAGER,
  INFERENCE_TARGET_PORT,
  LABELS,
  ROUTING_STRATEGIES,
} from './constants';
export type {
  ComponentPhase,
  ComponentStatus,
  ComponentType,
  Condition,
  Container,
  Deployment,
  InferenceService,
  InferenceServiceSpec,
  InferenceServiceStatus,
  KubeObject,
  LabelSelector,
  LeaderWorkerSet,
  ObjectMeta,
  OwnerReference,
  Pod,
  PodGroup,
  PodGroupCondition,
  PodSpec,
  PodTemplateSpec,
  Role,
  RoutingStrategy,
} from './types';
export {
  childNames,
  DNS1123_LABEL_PATTERN,
  dns1035LabelProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  isValidName,
} from './names';
export type { KubernetesNameKind } from './names';
export { parseQuantity, quantityToNumber } from './quantity';
export type { Quantity, QuantityFormat } from './quantity';
export { canonicalJson, specHash } from './hash';
export { plural } from './plural';
export {
  LLM_D_ONLY_PLUGIN_TYPES,
  parseEndpointPickerConfig,
} from './eppConfig';
export type { EppConfigIssue, ParsedEndpointPickerConfig } from './eppConfig';
export {
  findYamlAmbiguities,
  stringifyKubernetesYaml,
  YAML_MAX_NESTING_BOUND,
  yamlNestingBound,
} from './kubeYaml';
export type { YamlAmbiguity } from './kubeYaml';

// Validation, rendering, status
export { LIMITS } from './limits';
export type { InferenceServiceLimits } from './limits';
export { formatIssue, validateInferenceService } from './validate';
export type {
  ValidateOptions,
  ValidationIssue,
  ValidationResult,
} from './validate';
export { renderInferenceService, summarizeInferenceService } from './render';
export type {
  RenderOptions,
  RenderResult,
  RenderSummary,
  RoleSummary,
  RouterPlan,
  SummaryOptions,
} from './render';
export { diffChildren } from './diff';
export type { ChildDiff, ChildrenDiff, FieldChange } from './diff';
export { deriveStatus, isPodReady, podCrashReason } from './status';
export type {
  ConditionInput,
  DeriveStatusOptions,
  DeriveStatusResult,
  ObservedChildren,
} from './status';
export {
  isGangRunning,
  SERVICE_STATE_KINDS,
  serviceState,
} from './serviceState';
export type {
  ServiceRoleState,
  ServiceState,
  ServiceStateKind,
  ServiceStateOptions,
} from './serviceState';
export { capacityFit, clusterCapacityOf } from './capacity';
export type { ClusterCapacity, GpuNeed } from './capacity';

// Metrics of model servers and endpoint pickers
export {
  aggregateEndpoints,
  endpointRoutingMetrics,
  eppRoutingMetrics,
  parsePrometheusText,
  readEppMetrics,
  readModelServerMetrics,
} from './metrics';
export type {
  EndpointRoutingMetrics,
  EppMetricsState,
  EppRoutingMetrics,
  EppSnapshot,
  HistogramData,
  LoraState,
  MetricsSource,
  ModelServerSnapshot,
  ParsePrometheusOptions,
  Percentiles,
  PromExposition,
  PromMetricType,
  PromSample,
  RoutingAggregate,
  RoutingEndpoint,
  RoutingHistoryPoint,
  RoutingMetricsResponse,
} from './metrics';

// Catalog entities
export {
  entityRefOfService,
  FUSIONINFER_SERVICE_ANNOTATION,
  MAX_SERVICE_ANNOTATION_REFS,
  MODEL_SERVICE_ENTITY_TYPE,
  modelServiceEntity,
  modelServiceEntityName,
  normalizeEntityRef,
  OWNER_ANNOTATIONS,
  parseServiceAnnotation,
} from './entity';
export type {
  ModelServiceEntity,
  ModelServiceEntityOptions,
  ServiceRef,
} from './entity';

// Governance: permissions, approvals, team projects, policy
export {
  FUSIONINFER_APPROVAL_RESOURCE_TYPE,
  FUSIONINFER_NAMESPACE_RESOURCE_TYPE,
  FUSIONINFER_PROJECT_RESOURCE_TYPE,
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferPermissions,
  fusioninferProjectQuotaUpdatePermission,
  fusioninferProjectReadPermission,
  fusioninferServiceCreatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceReadPermission,
  fusioninferServiceUpdatePermission,
} from './permissions';
export type {
  ApprovalAction,
  ApprovalExecution,
  ApprovalPolicy,
  ApprovalPolicyVerdict,
  ApprovalRequest,
  ApprovalStatus,
} from './approval';
export { projectOfOwner } from './governance/projects';
export type {
  ProjectDestination,
  ProjectPodSecurity,
  TeamProject,
} from './governance/projects';
export { evaluateChange } from './governance/policy';
export type {
  ChangeInput,
  PolicyFinding,
  PolicyVerdict,
} from './governance/policy';

// The REST contract (its own explicit list).
export * from './rest';

// Pre-flight: will a model start, how much KV cache, will the gang fit (issue 18).
export {
  clusterSnapshotOf,
  formatPreflight,
  podSpecRequests,
  preflight,
  readEngineArgs,
  ModelCatalog,
  modelConfigOf,
  modelEntryOf,
  shippedModelCatalog,
  gpuFromNodeLabels,
  gpuFromProduct,
  parseGpuMemory,
} from './preflight';
export type {
  ClusterSnapshot,
  EngineArgs,
  GangPreflight,
  GpuSpec,
  ModelConfig,
  ModelEntry,
  PreflightFinding,
  PreflightMemory,
  PreflightOptions,
  PreflightReport,
  PreflightVerdict,
  ResourceAmounts,
  RolePreflight,
  SnapshotNode,
  SnapshotOptions,
  SnapshotQueue,
} from './preflight';

// Canary by traffic weight: the policy and state annotations, the pure state machine, the canary's children (issue 19).
export {
  applyCanaryCommand,
  applyCanaryMode,
  CANARY_ACTIVE_PHASES,
  CANARY_ANNOTATION,
  CANARY_STATUS_ANNOTATION,
  canaryBreaches,
  canaryLwsName,
  canaryMode,
  canaryNames,
  DEFAULT_CANARY_POLICY,
  readCanaryPolicy,
  readCanaryStatus,
  renderCanaryChildren,
  routeCanaryWeight,
  serializeCanaryStatus,
  tickCanary,
  TRACK_LABEL,
  workloadRevision,
} from './canary';
export type {
  CanaryAnalysis,
  CanaryCheck,
  CanaryCommand,
  CanaryEvent,
  CanaryMode,
  CanaryObservation,
  CanaryPhase,
  CanaryPolicy,
  CanaryPolicyIssue,
  CanarySample,
  CanaryStatus,
  CanaryTickInput,
} from './canary';

// GPU-safe rollouts: the rollout policy annotation and the plan of one reconcile step (issue 19).
export {
  copyStableReplica,
  defaultRolloutPolicy,
  planRoleRollout,
  planRollout,
  readRolloutPolicies,
  readRevisionLabelling,
  REVISION_LABEL,
  REVISION_LABEL_ANNOTATION,
  ROLLOUT_ANNOTATION,
  withRolloutPaused,
} from './rollout';
export { renderSurgeReplica, SURGE_LABEL } from './render';
export type {
  ReplicaObservation,
  ResolvedRolloutPolicy,
  RoleRolloutInput,
  RoleRolloutStep,
  RolloutPolicy,
  RolloutPolicyIssue,
  RolloutStep,
} from './rollout';

// Role autoscaling: the autoscaling policy annotation and the pure decision (issue 20).
export {
  AUTOSCALING_ANNOTATION,
  AUTOSCALING_DEFAULTS,
  AUTOSCALING_SIGNALS,
  autoscalingSignalValue,
  decide,
  readAutoscalingPolicies,
  recordAutoscalingChange,
} from './autoscaling';
export type {
  AutoscalingBlock,
  AutoscalingBlockReason,
  AutoscalingContext,
  AutoscalingDecision,
  AutoscalingMode,
  AutoscalingPolicyIssue,
  AutoscalingRoleDecision,
  AutoscalingRoleSample,
  AutoscalingRoleState,
  AutoscalingSamples,
  AutoscalingSignal,
  AutoscalingState,
  PdRatio,
  RoleAutoscalingPolicy,
} from './autoscaling';

// Showback: GPU cost per service and team from usage samples and the price sheet (issue 20).
export {
  acceleratorTypeKey,
  addUsage,
  apportion,
  BUDGET_THRESHOLDS,
  budgetShare,
  budgetStatus,
  budgetThresholdsToNotify,
  costOfUsage,
  costPerHourMicros,
  DEFAULT_GENERATION_TOKEN_WEIGHT,
  fromMicros,
  gpuEquivalentsOf,
  holdingsOf,
  modelServerCounters,
  monthOf,
  observeReplicas,
  PRICE_SHEET_LIMITS,
  priceFor,
  readPriceSheet,
  replicaActivity,
  resolveShowbackWindow,
  serviceShowback,
  teamShowback,
  tokenCosts,
  USAGE_LIMITS,
  usageSampleOf,
} from './showback';
export type {
  AcceleratorHolding,
  AcceleratorType,
  AcceleratorUsage,
  ModelServerCounters,
  ObserveReplicasOptions,
  PriceSheet,
  PriceSource,
  ProjectBudget,
  ReplicaActivity,
  ReplicaUsageObservation,
  ServiceShowbackInput,
  ServiceUsageObservation,
  ShowbackMonth,
  ShowbackPrice,
  TeamInfo,
  TokenCosts,
  UsageCost,
  UsageSample,
  UsageSampleOptions,
} from './showback';
