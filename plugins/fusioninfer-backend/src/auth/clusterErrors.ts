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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { ClusterApiError } from '@fusioninfer/plugin-fusioninfer-node';

/** Errors this plugin raises on purpose: their messages are written for callers and carry no cluster internals. */
const CALLER_ERRORS = [
  'InputError',
  'ConflictError',
  'NotFoundError',
  'NotAllowedError',
];

/**
 * Maps an error of a cluster to what an API caller may see. What the caller sent wrong (400/409/422 from the API
 * server) keeps its message, and so do the plugin's own input, conflict, not-found and not-allowed errors; anything
 * else (network, TLS, timeouts, 5xx, client-node errors, which carry the API server's URL and TLS or socket detail)
 * becomes a generic 503 that names only the cluster, with the cause in the log.
 */
export function callerSafeClusterError(
  e: unknown,
  cluster: string,
  logger: LoggerService,
): Error {
  if (e instanceof ClusterApiError) {
    if (e.code === 404)
      return new NotFoundError(`not found in cluster ${cluster}`);
    if (e.code === 409) return new ConflictError(e.message);
    if (e.code === 400 || e.code === 422) return new InputError(e.message);
    logger.warn(`cluster ${cluster} request failed`, e);
    if (e.code === 403)
      return new ServiceUnavailableError(
        `cluster ${cluster} refused the backend's request (check its RBAC or mode)`,
      );
    return new ServiceUnavailableError(`cluster ${cluster} is unavailable`);
  }
  if (e instanceof Error && CALLER_ERRORS.includes(e.name)) return e;
  logger.warn(`cluster ${cluster} request failed`, e as Error);
  return new ServiceUnavailableError(`cluster ${cluster} is unavailable`);
}
