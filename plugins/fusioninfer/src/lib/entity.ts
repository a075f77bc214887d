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

import type { Entity } from '@backstage/catalog-model';
import {
  FUSIONINFER_SERVICE_ANNOTATION,
  MODEL_SERVICE_ENTITY_TYPE,
} from '@fusioninfer/plugin-fusioninfer-common';

/**
 * True for entities that have FusionInfer services: the `fusioninfer.io/service` annotation
 * (`<cluster>/<namespace>/<name>[, ...]`, also set on the `model-service` Components the catalog module generates),
 * or a Component of type `model-service`.
 * @public
 */
export function isFusionInferAvailable(entity: Entity): boolean {
  const a = entity.metadata.annotations?.[FUSIONINFER_SERVICE_ANNOTATION];
  if (typeof a === 'string' && a.trim() !== '') return true;
  return (
    entity.kind.toLowerCase() === 'component' &&
    (entity.spec as { type?: unknown } | undefined)?.type ===
      MODEL_SERVICE_ENTITY_TYPE
  );
}
