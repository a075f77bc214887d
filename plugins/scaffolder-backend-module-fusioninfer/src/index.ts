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
 * Scaffolder actions for FusionInfer: render, apply (with the backend's approval gate), wait and delete
 * InferenceServices. The template-parameter builder of the render action is
 * `@fusioninfer/plugin-fusioninfer-common/builder`.
 *
 * @packageDocumentation
 */

export { scaffolderModuleFusionInfer as default } from './module';
export { createRenderAction } from './actions/render';
export { createApplyAction } from './actions/apply';
export { createWaitAction } from './actions/wait';
export { createDeleteAction } from './actions/delete';
export type { FusionInferActionsClient } from './client';
export { waitUntilReady, waitForApproval } from './wait';
export type { WaitOptions } from './wait';
export type { Links } from './links';
