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
 * structural schema checks and permissions. No I/O.
 *
 * @packageDocumentation
 */

export * from './constants';
export * from './types';
export { canonicalJson, fnv1_32, safeEncode, specHash } from './hash';
export * from './quantity';
export { plural } from './plural';
export * from './capacity';
export * from './names';
export * from './eppConfig';
export {
  renderInferenceService,
  summarizeInferenceService,
  rayLeaderCommandLine,
  rayLeaderContainerArgv,
  rayLeaderScript,
  decodeHttpRouteSpec,
  shellQuote,
  shellJoin,
} from './render';
export type {
  RenderOptions,
  RenderResult,
  RenderSummary,
  RoleSummary,
  RouterPlan,
  SummaryOptions,
} from './render';
export {
  DEFAULT_ACCELERATOR_RESOURCES,
  MIG_SLICES_PER_GPU,
  acceleratorMatcher,
  effectivePodRequests,
  gpuEquivalentPerUnit,
  gpuEquivalents,
  isAcceleratorResource,
  podAccelerators,
  podResourceClaims,
  roundGpus,
} from './governance/accelerators';
export type {
  AcceleratorOptions,
  PodAccelerators,
} from './governance/accelerators';
export {
  LIMITS,
  ROUTER_CHILDREN,
  checkInferenceServiceLimits,
  measureJson,
} from './limits';
export type { InferenceServiceLimits, JsonMeasure } from './limits';
export * from './validate';
export * from './kubeYaml';
export * from './status';
export * from './permissions';
export * from './metrics';
export * from './entity';
export * from './diff';
export * from './approval';
export * from './builder';
export * from './schema';
export { inferenceServiceCrd } from './crd/inferenceServiceCrd';
export type { CustomResourceDefinition } from './crd/types';
export * from './rest';
export * from './serviceState';
export {
  BASELINE_CAPABILITIES,
  BASELINE_SELINUX_TYPES,
  DEFAULT_POD_SECURITY_PROFILE,
  GPU_CAPABILITIES,
  POD_SECURITY_LIMITS,
  POD_SECURITY_RULES,
  RESTRICTED_GPU_CAPABILITIES,
  RESTRICTED_VOLUME_TYPES,
  SAFE_SYSCTLS,
  checkPodSecurity,
  isPodSecurityLevel,
  podSecurityLevels,
} from './governance/podSecurity';
export type {
  PodSecurityLevel,
  PodSecurityProfile,
  PodSecurityViolation,
} from './governance/podSecurity';
export { evaluateChange, isShrinkOnly } from './governance/policy';
export type {
  ChangeInput,
  PolicyFinding,
  PolicyVerdict,
} from './governance/policy';
export {
  isProtectedNamespace,
  projectAllowsDestination,
  projectNamespaces,
  projectOfOwner,
} from './governance/projects';
export type {
  ProjectDestination,
  ProjectPodSecurity,
  TeamProject,
} from './governance/projects';
