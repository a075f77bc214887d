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
 * FusionInfer frontend plugin: the Inference tab on model entities, the overview card, the approvals page and the
 * `FusionInferPreview` scaffolder field. This entry serves apps on the legacy frontend system; the new frontend
 * system's plugin is the default export of `@fusioninfer/plugin-fusioninfer/alpha`.
 *
 * @packageDocumentation
 */

export {
  fusioninferPlugin,
  EntityFusionInferContent,
  EntityFusionInferCard,
  EntityFusionInferShowbackCard,
  FusionInferApprovalsPage,
  FusionInferPreviewFieldExtension,
} from './plugin';
export { isFusionInferAvailable } from './lib/entity';
export { fusioninferApiRef } from './api';
export type { FusionInferApi } from './api';
export type { PreviewUiOptions } from './components/PreviewField/manifest';
export type { PreviewValue } from './components/PreviewField/PreviewField';
