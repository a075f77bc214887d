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
 * The deployment form of the templates (`templates/`), as one set of parameters → the InferenceService it
 * describes. Isomorphic: the scaffolder module's `fusioninfer:service:render` action and the frontend's preview
 * field run the same code. Entry point `@fusioninfer/plugin-fusioninfer-common/builder`.
 *
 * @packageDocumentation
 */

export { buildInferenceService, OWNER_ANNOTATION } from './build';
export type { BuildResult, FieldIssue } from './build';
export {
  deploymentParametersSchema,
  roleParametersSchema,
  DEPLOYMENT_PARAMETER_LIMITS,
  TOPOLOGIES,
  ROUTING_CHOICES,
  KV_CONNECTORS,
} from './parameters';
export type {
  DeploymentParameters,
  DeploymentParametersInput,
  RoleParameters,
} from './parameters';
export { UPSTREAM_EXAMPLE_PARAMETERS } from './upstreamExamples';
