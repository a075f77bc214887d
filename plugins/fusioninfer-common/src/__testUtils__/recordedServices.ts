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

import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@fusioninfer/test-utils';
import { ServiceDetail, serviceDetailSchema } from '../rest';

/** The frontend's recorded backend answers (written by `plugins/fusioninfer-backend/dev/record-fixtures.ts`). */
const FIXTURES = path.join(REPO_ROOT, 'plugins/fusioninfer/src/__fixtures__');

/** Names of the recorded `GET /entities/…/services` answers. */
export const recordedEntityServices = (): string[] =>
  fs
    .readdirSync(FIXTURES)
    .filter(f => /^entity-services-.*\.json$/.test(f))
    .map(f => f.slice(0, -'.json'.length))
    .sort();

/** Every service detail of a recorded answer, checked against the REST contract (a fresh copy per call). */
export function recordedServices(name: string): ServiceDetail[] {
  const body = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'),
  ) as { items: { service?: unknown }[] };
  return body.items
    .filter(i => i.service)
    .map(i => serviceDetailSchema.parse(i.service));
}

/** The first service detail of a recorded answer. */
export const recordedService = (name: string): ServiceDetail =>
  recordedServices(name)[0];
