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

// The builder lives in the common package (the frontend's preview field runs it too); re-exported here so this
// module's public face is unchanged.
export {
  buildInferenceService,
  OWNER_ANNOTATION,
  deploymentParametersSchema,
  roleParametersSchema,
  DEPLOYMENT_PARAMETER_LIMITS as LIMITS,
  TOPOLOGIES,
  ROUTING_CHOICES,
  KV_CONNECTORS,
  UPSTREAM_EXAMPLE_PARAMETERS,
} from '@fusioninfer/plugin-fusioninfer-common';
export type {
  BuildResult,
  FieldIssue,
  DeploymentParameters,
  DeploymentParametersInput,
  RoleParameters,
} from '@fusioninfer/plugin-fusioninfer-common';
