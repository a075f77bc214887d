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

import { parse as parseYaml } from 'yaml';
import {
  buildInferenceService,
  FieldIssue,
} from '@fusioninfer/plugin-fusioninfer-common/builder';

/** `ui:options` of the `FusionInferPreview` field. @public */
export interface PreviewUiOptions {
  /**
   * Where the InferenceService comes from: `parameters` — the form is the deployment form of the templates
   * (`buildInferenceService` of the common package, the same code `fusioninfer:service:render` runs); `manifest` — a
   * form field (`manifestField`) or a skeleton (`manifest`). Default: `manifest` when that field or a skeleton is
   * there, else `parameters`.
   */
  source?: 'parameters' | 'manifest';
  /** Form fields that are not deployment parameters (dropped before building; this field itself always is). */
  ignore?: string[];
  /** Form field holding the manifest (object or YAML text). Default `manifest`. */
  manifestField?: string;
  /**
   * A manifest skeleton whose strings may hold `${{ parameters.<field> }}` placeholders, filled from the form data.
   * A string that is only a placeholder takes the field's value with its type (numbers stay numbers).
   */
  manifest?: unknown;
  /** Cluster name, or the form field that holds it (default field `cluster`). */
  cluster?: string;
  clusterField?: string;
  /** Namespace, or the form field that holds it (default field `namespace`, then the manifest's, then `default`). */
  namespace?: string;
  namespaceField?: string;
  /** Milliseconds to wait after the last keystroke before asking the backend (default 600). */
  debounceMs?: number;
}

const PLACEHOLDER = /\$\{\{\s*parameters\.([A-Za-z0-9_.[\]-]+)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*parameters\.([A-Za-z0-9_.[\]-]+)\s*\}\}$/;

function lookup(data: unknown, path: string): unknown {
  let cur: any = data;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Fills `${{ parameters.x }}` placeholders in a skeleton from the form data. */
export function fillSkeleton(skeleton: unknown, data: unknown): unknown {
  if (typeof skeleton === 'string') {
    const whole = WHOLE.exec(skeleton);
    if (whole) return lookup(data, whole[1]);
    return skeleton.replace(PLACEHOLDER, (_, p) => {
      const v = lookup(data, p);
      return v === undefined || v === null ? '' : String(v);
    });
  }
  if (Array.isArray(skeleton)) return skeleton.map(x => fillSkeleton(x, data));
  if (skeleton && typeof skeleton === 'object')
    return Object.fromEntries(
      Object.entries(skeleton)
        .map(([k, v]) => [k, fillSkeleton(v, data)] as const)
        .filter(([, v]) => v !== undefined),
    );
  return skeleton;
}

export type ManifestInput =
  | {
      ok: true;
      manifest: Record<string, unknown>;
      cluster?: string;
      namespace: string;
    }
  | { ok: false; message: string; errors?: FieldIssue[] };

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** The InferenceService the form describes, with its target cluster and namespace; or why there is none yet. */
export function manifestFromForm(
  formData: Record<string, unknown> | undefined,
  options: PreviewUiOptions = {},
  /** The preview field's own name in the form (never a deployment parameter). */
  self?: string,
): ManifestInput {
  const data = formData ?? {};
  const field = options.manifestField ?? 'manifest';
  const source =
    options.source ??
    (options.manifest !== undefined ||
    (data[field] !== undefined && data[field] !== null && data[field] !== '')
      ? 'manifest'
      : 'parameters');
  let manifest: unknown;
  if (source === 'parameters') {
    const form: Record<string, unknown> = { ...data };
    for (const key of [...(options.ignore ?? []), ...(self ? [self] : [])])
      delete form[key];
    if (Object.keys(form).length === 0)
      return { ok: false, message: 'Fill in the form to see a preview.' };
    const built = buildInferenceService(form, { prefix: '' });
    if (!built.ok)
      return {
        ok: false,
        message: 'The form does not describe a valid InferenceService yet.',
        errors: built.errors,
      };
    manifest = built.manifest;
  } else if (options.manifest !== undefined) {
    manifest = fillSkeleton(options.manifest, data);
  } else {
    const raw = data[field];
    if (raw === undefined || raw === null || raw === '')
      return { ok: false, message: `Fill in ${field} to see a preview.` };
    if (typeof raw === 'string') {
      try {
        manifest = parseYaml(raw, { maxAliasCount: 100 });
      } catch (e) {
        return {
          ok: false,
          message: `${field}: not YAML: ${(e as Error).message.split('\n')[0]}`,
        };
      }
    } else manifest = raw;
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest))
    return {
      ok: false,
      message: 'The manifest must be an InferenceService object.',
    };
  const m = manifest as { metadata?: { namespace?: unknown } };
  const cluster =
    str(options.cluster) ?? str(data[options.clusterField ?? 'cluster']);
  const namespace =
    str(options.namespace) ??
    str(data[options.namespaceField ?? 'namespace']) ??
    str(m.metadata?.namespace) ??
    'default';
  return {
    ok: true,
    manifest: manifest as Record<string, unknown>,
    cluster,
    namespace,
  };
}
