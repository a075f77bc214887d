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
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApprovalRequest,
  ServiceDetail,
  ServiceRef,
  ServiceState,
  serviceState,
} from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferBackendRequestOptions } from '@fusioninfer/plugin-fusioninfer-node';
import { FusionInferActionsClient } from './client';
import { describeError, plain, statusOf } from './links';

/** Sleeps, waking early when the task is cancelled. */
export function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** Options of {@link waitUntilReady} and {@link waitForApproval}. @public */
export interface WaitOptions {
  client: FusionInferActionsClient;
  call: FusionInferBackendRequestOptions;
  logger: LoggerService;
  timeoutSeconds: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls the service detail until Ready (`serviceState` of the common package: `Active=True` for the current
 * generation, nothing failing), logging its progress line whenever it changes. Throws when the spec is invalid, when
 * cancelled, and after the timeout with what is still missing.
 * @public
 */
export async function waitUntilReady(
  ref: ServiceRef,
  options: WaitOptions,
): Promise<ServiceDetail> {
  const { client, call, logger, signal } = options;
  const label = `${ref.cluster}/${ref.namespace}/${ref.name}`;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let last = '';
  let current: Pick<ServiceState, 'ready' | 'fatal' | 'progress' | 'missing'>;
  for (;;) {
    if (signal?.aborted)
      throw new Error(`cancelled while waiting for ${label}`);
    let detail: ServiceDetail | undefined;
    try {
      detail = await client.getService(ref, call);
    } catch (e) {
      // Not created yet (an approval executing, a cache catching up): keep waiting; anything else is final.
      if (statusOf(e) !== 404)
        throw new Error(`cannot read ${label}: ${describeError(e)}`);
    }
    current = detail
      ? serviceState(detail)
      : {
          ready: false,
          progress: 'not found yet',
          missing: [`${label} does not exist yet`],
        };
    if (current.progress !== last) {
      logger.info(`${label}: ${current.progress}`);
      last = current.progress;
    }
    if (current.fatal) throw new Error(`${label}: ${current.fatal}`);
    if (current.ready && detail) return detail;
    if (Date.now() >= deadline)
      throw new Error(
        `${label} is not Ready after ${options.timeoutSeconds} s. Still missing: ${current.missing.join('; ') || 'Active condition'}`,
      );
    await sleep(
      Math.min(
        options.pollIntervalMs ?? 2000,
        Math.max(0, deadline - Date.now()),
      ),
      signal,
    );
  }
}

/**
 * Polls an approval request until it is decided and, when approved, until the backend has applied it. Throws when it
 * is rejected, expired or cancelled, when the backend's apply failed, and after the timeout.
 * @public
 */
export async function waitForApproval(
  id: string,
  options: WaitOptions,
): Promise<ApprovalRequest> {
  const { client, call, logger, signal } = options;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let last = '';
  for (;;) {
    if (signal?.aborted)
      throw new Error(`cancelled while waiting for approval request ${id}`);
    const a = plain(await client.getApproval(id, call));
    const line = `${a.status}${a.execution ? ` (${a.execution.state})` : ''}`;
    if (line !== last) {
      logger.info(`approval request ${id}: ${line}`);
      last = line;
    }
    if (
      a.status === 'rejected' ||
      a.status === 'cancelled' ||
      a.status === 'expired'
    )
      throw new Error(
        `approval request ${id} was ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.comment ? `: ${a.comment}` : ''}; nothing was applied`,
      );
    if (a.status === 'approved') {
      if (a.execution?.state === 'failed')
        throw new Error(
          `approval request ${id} was approved but applying it failed: ${a.execution.message ?? 'unknown error'}`,
        );
      if (a.execution?.state === 'applied') return a;
    }
    if (Date.now() >= deadline)
      throw new Error(
        a.status === 'pending'
          ? `approval request ${id} is still pending after ${options.timeoutSeconds} s (nothing applied); it stays open until it expires${a.expiresAt ? ` at ${a.expiresAt}` : ''}`
          : `approval request ${id} is approved but not applied after ${options.timeoutSeconds} s`,
      );
    await sleep(
      Math.min(
        options.pollIntervalMs ?? 5000,
        Math.max(0, deadline - Date.now()),
      ),
      signal,
    );
  }
}

/** Options of {@link waitForEntity}. @public */
export interface WaitForEntityOptions {
  catalog: CatalogService;
  credentials: BackstageCredentials;
  logger: LoggerService;
  timeoutSeconds: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits until the catalog has an entity (the service's model-service Component, which the catalog module emits as
 * soon as the service exists and the catalog then processes), so the task's "Inference tab" link opens a page
 * instead of "Entity not found". Returns false (with a warning) after the timeout; never fails the task for it.
 * @public
 */
export async function waitForEntity(
  entityRef: string,
  options: WaitForEntityOptions,
): Promise<boolean> {
  const { catalog, credentials, logger, signal } = options;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let logged = false;
  for (;;) {
    try {
      if (await catalog.getEntityByRef(entityRef, { credentials })) {
        if (logged) logger.info(`${entityRef} is in the catalog`);
        return true;
      }
    } catch (e) {
      logger.warn(
        `cannot read ${entityRef} from the catalog: ${describeError(e)}`,
      );
    }
    if (!logged) {
      logger.info(`waiting for the catalog to list ${entityRef}`);
      logged = true;
    }
    if (signal?.aborted || Date.now() >= deadline) {
      logger.warn(
        `${entityRef} is not in the catalog yet (after ${options.timeoutSeconds} s); its page opens once the catalog has processed it`,
      );
      return false;
    }
    await sleep(options.pollIntervalMs ?? 1000, signal);
  }
}
