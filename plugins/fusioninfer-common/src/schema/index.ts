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
 * The structural schema checker: validation, pruning and defaulting against a CRD's OpenAPI v3 schema as an API
 * server does them, plus the list of its CEL rules (not evaluated here). Validation of the InferenceService uses it;
 * the development cluster uses it for every CRD it serves. Entry point `@fusioninfer/plugin-fusioninfer-common/schema`.
 *
 * @packageDocumentation
 */

export {
  validateStructural,
  pruneStructural,
  applyDefaults,
  celRules,
  joinPath,
} from './structural';
export type { JSONSchemaProps, SchemaIssue } from './structural';
export { parseCrd, crdSchemaFor } from './crds';
export type { CrdInfo } from './crds';
