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

import { ResponseError } from '@backstage/errors';
import { parseEntityRef } from '@backstage/catalog-model';

/** App links the actions output (relative, so the scaffolder's output page navigates inside the app). @public */
export interface Links {
  /** `app.baseUrl`, used for the absolute links written to the task log. */
  appBaseUrl?: string;
}

/** `/catalog/<namespace>/<kind>/<name>/inference`: the Inference tab of an entity. */
export function inferenceTabPath(entityRef: string): string {
  const e = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.kind.toLocaleLowerCase('en-US'))}/${encodeURIComponent(e.name)}/inference`;
}

/** `/fusioninfer/approvals/<id>`: the approval request page (also what the backend's notifications link to). */
export function approvalPath(id: string): string {
  return `/fusioninfer/approvals/${encodeURIComponent(id)}`;
}

/** An absolute URL for the log when the app's base URL is known. */
export function absolute(links: Links, p: string): string {
  return links.appBaseUrl ? `${links.appBaseUrl.replace(/\/+$/, '')}${p}` : p;
}

/** A backend error as one readable sentence (status, Backstage error message). */
export function describeError(e: unknown): string {
  if (e instanceof ResponseError)
    return `${e.response.status} ${e.body?.error?.message ?? e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** HTTP status of a backend error, if it is one. */
export function statusOf(e: unknown): number | undefined {
  if (e instanceof ResponseError) return e.response.status;
  const s = (e as { response?: { status?: unknown } } | undefined)?.response
    ?.status;
  return typeof s === 'number' ? s : undefined;
}

/**
 * A backend answer as plain JSON of this realm: what the actions output and checkpoint must be plain data (the
 * scaffolder's templating refuses arrays with a foreign prototype, e.g. parsed by the fetch implementation).
 */
export function plain<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
