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

import { z } from 'zod';
import { InputError } from '@backstage/errors';
import { RestRouteSpec } from '@fusioninfer/plugin-fusioninfer-common';

// The REST contract of common (`fusioninferRoutes`) applied without express: what the routes (`http/`) and the
// registered actions (`actions/`) share — the same 400 naming each field, the same typed replies.

/** `a.b[2].c` from a zod issue path. */
function pathOf(prefix: string | undefined, path: readonly PropertyKey[]) {
  let out = prefix ?? '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** One InputError naming every failing field and its rule (`replicas: Too big: …; role: …`). */
export function inputErrorOf(error: z.ZodError, prefix?: string): InputError {
  const lines = error.issues.map(i => {
    const p = pathOf(prefix, i.path);
    return p ? `${p}: ${i.message}` : i.message;
  });
  return new InputError(lines.join('; '));
}

/** Parses with a schema or throws an InputError naming the fields. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix?: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw inputErrorOf(r.error, prefix);
  return r.data;
}

/** What a handler answers: a body for one of the route's declared success statuses. */
export type RouteReply<R extends RestRouteSpec> = {
  [S in keyof R['responses'] & number]: {
    status: S;
    body: z.input<R['responses'][S]>;
  };
}[keyof R['responses'] & number];
