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

import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { InferenceService } from '../types';

/** Repository root (tests only). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** The 13 upstream example manifests, by file name without extension. */
export function loadExamples(): Record<string, InferenceService> {
  const dir = path.join(REPO_ROOT, 'examples');
  const out: Record<string, InferenceService> = {};
  for (const f of fs
    .readdirSync(dir)
    .filter(n => n.endsWith('.yaml'))
    .sort()) {
    out[f.replace(/\.yaml$/, '')] = parse(
      fs.readFileSync(path.join(dir, f), 'utf8'),
    );
  }
  return out;
}

export function loadExample(name: string): InferenceService {
  return loadExamples()[name];
}
