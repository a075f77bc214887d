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

import {
  loadExample as load,
  loadExamples as loadAll,
  REPO_ROOT,
} from '@fusioninfer/test-utils';
import { InferenceService } from '../types';

export { REPO_ROOT };

/** The 13 upstream example manifests, by file name without extension. */
export const loadExamples = (): Record<string, InferenceService> =>
  loadAll<InferenceService>();

/** One upstream example manifest, by file name without extension. */
export const loadExample = (name: string): InferenceService =>
  load<InferenceService>(name);
