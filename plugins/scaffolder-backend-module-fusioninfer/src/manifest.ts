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

import { InputError } from '@backstage/errors';
import {
  InferenceService,
  isValidName,
  MAX_MANIFEST_BYTES,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { parseAllDocuments } from 'yaml';
import { FieldIssue } from '@fusioninfer/plugin-fusioninfer-common/builder';

/** Fails a step with every issue, one `path: message` per line. */
export function fieldErrors(title: string, issues: FieldIssue[]): InputError {
  return new InputError(
    `${title}:\n${issues.map(i => `  ${i.path}: ${i.message}`).join('\n')}`,
  );
}

/**
 * The InferenceService a step was given: an object, or YAML/JSON text with exactly one document. Throws an
 * InputError naming the field when it cannot be read; schema problems are left to validation.
 */
export function readManifest(
  input: unknown,
  field = 'manifest',
): InferenceService {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > MAX_MANIFEST_BYTES)
      throw new InputError(`${field}: larger than ${MAX_MANIFEST_BYTES} bytes`);
    const docs = parseAllDocuments(input);
    const list = Array.isArray(docs) ? docs : [];
    const real = list.filter(d => d.contents !== null);
    if (real.length !== 1)
      throw new InputError(
        `${field}: expected exactly one YAML document, found ${real.length}`,
      );
    if (real[0].errors.length)
      throw new InputError(`${field}: not YAML: ${real[0].errors[0].message}`);
    try {
      value = real[0].toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new InputError(`${field}: ${(e as Error).message}`);
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new InputError(
      `${field}: must be an InferenceService object (or its YAML)`,
    );
  const json = JSON.stringify(value);
  if (json.length > MAX_MANIFEST_BYTES)
    throw new InputError(`${field}: larger than ${MAX_MANIFEST_BYTES} bytes`);
  return JSON.parse(json) as InferenceService;
}

/**
 * Reads a manifest, sets its namespace (refusing a different one in the manifest) and validates it. Throws one
 * InputError listing every problem by path.
 */
export function prepareManifest(
  input: unknown,
  namespace: string | undefined,
  field = 'manifest',
): { isvc: InferenceService; namespace: string; warnings: FieldIssue[] } {
  const isvc = readManifest(input, field);
  const md = isvc.metadata;
  const inManifest =
    md && typeof md === 'object' && typeof md.namespace === 'string'
      ? md.namespace
      : undefined;
  const ns = namespace ?? inManifest ?? 'default';
  if (!isValidName('namespace', ns))
    throw new InputError(`namespace: "${ns}" is not a valid namespace name`);
  if (inManifest !== undefined && inManifest !== ns)
    throw new InputError(
      `${field}.metadata.namespace: is "${inManifest}" but the step targets namespace "${ns}"`,
    );
  if (md && typeof md === 'object' && !Array.isArray(md))
    isvc.metadata = { ...md, namespace: ns };
  const validation = validateInferenceService(isvc);
  if (!validation.valid)
    throw fieldErrors(
      `${field} is not a valid InferenceService`,
      validation.errors.map(e => ({
        path: `${field}.${e.path}`,
        message: e.message,
      })),
    );
  return {
    isvc,
    namespace: ns,
    warnings: validation.warnings.map(w => ({
      path: `${field}.${w.path}`,
      message: w.message,
    })),
  };
}
