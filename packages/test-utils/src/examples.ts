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

/** The repository root (tests run from a checkout). */
// eslint-disable-next-line no-restricted-syntax -- tests only: this package is never built or published
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** `examples/`: the 13 upstream InferenceService manifests. */
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

/** Names of the upstream examples (file names without `.yaml`), sorted. */
export function exampleNames(): string[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter(n => n.endsWith('.yaml'))
    .map(n => n.replace(/\.yaml$/, ''))
    .sort();
}

/**
 * Reads one upstream example, by name with or without `.yaml` (`loadExample('monolithic-router-qwen')`). Returns a
 * fresh object on every call, so a test may change it. Throws naming the file when it is missing. `metadata` is
 * merged over the example's (`{ namespace: 'default', annotations: { … } }` places it for a test cluster).
 */
export function loadExample<T = any>(
  name: string,
  metadata?: Record<string, unknown>,
): T {
  const file = path.join(
    EXAMPLES_DIR,
    name.endsWith('.yaml') ? name : `${name}.yaml`,
  );
  if (!fs.existsSync(file))
    throw new Error(
      `no example ${path.relative(REPO_ROOT, file)} (have: ${exampleNames().join(', ')})`,
    );
  const example = parse(fs.readFileSync(file, 'utf8'));
  if (metadata) example.metadata = { ...example.metadata, ...metadata };
  return example;
}

/** The raw YAML text of one upstream example (for CLI and scaffolder tests that read text). */
export function exampleText(name: string): string {
  return fs.readFileSync(
    path.join(EXAMPLES_DIR, name.endsWith('.yaml') ? name : `${name}.yaml`),
    'utf8',
  );
}

/** Every upstream example, keyed by name. */
export function loadExamples<T = any>(): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of exampleNames()) out[name] = loadExample<T>(name);
  return out;
}
