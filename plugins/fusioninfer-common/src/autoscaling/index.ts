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

export {
  AUTOSCALING_ANNOTATION,
  AUTOSCALING_DEFAULTS,
  AUTOSCALING_SIGNALS,
  readAutoscalingPolicies,
} from './policy';
export type {
  AutoscalingMode,
  AutoscalingPolicyIssue,
  AutoscalingSignal,
  PdRatio,
  RoleAutoscalingPolicy,
} from './policy';
export {
  autoscalingSignalValue,
  decide,
  recordAutoscalingChange,
} from './decide';
export type {
  AutoscalingBlock,
  AutoscalingBlockReason,
  AutoscalingContext,
  AutoscalingDecision,
  AutoscalingRoleDecision,
  AutoscalingRoleSample,
  AutoscalingRoleState,
  AutoscalingSamples,
  AutoscalingState,
} from './decide';
