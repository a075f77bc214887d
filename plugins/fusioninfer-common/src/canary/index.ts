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
  CANARY_ANNOTATION,
  canaryLwsName,
  DEFAULT_CANARY_POLICY,
  readCanaryPolicy,
  TRACK_LABEL,
} from './policy';
export type { CanaryAnalysis, CanaryPolicy, CanaryPolicyIssue } from './policy';
export {
  applyCanaryCommand,
  CANARY_ACTIVE_PHASES,
  CANARY_STATUS_ANNOTATION,
  canaryBreaches,
  canaryMode,
  readCanaryStatus,
  serializeCanaryStatus,
  tickCanary,
  workloadRevision,
} from './state';
export type {
  CanaryCheck,
  CanaryCommand,
  CanaryEvent,
  CanaryMode,
  CanaryObservation,
  CanaryPhase,
  CanarySample,
  CanaryStatus,
  CanaryTickInput,
} from './state';
export {
  applyCanaryMode,
  canaryNames,
  renderCanaryChildren,
  routeCanaryWeight,
} from './render';
