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
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { DNS1123_LABEL_PATTERN } from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferActionsClient } from '../client';
import { inferenceTabPath } from '../links';
import { waitForApproval, waitForEntity, waitUntilReady } from '../wait';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { examples } from './wait.examples';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `fusioninfer:service:wait`: waits until a service is Ready; given an approval request id, first until the request is
 * approved and the backend has applied it (a rejected, expired or cancelled request fails the step). Holds a task
 * worker while it waits, so keep the timeout short.
 * @public
 */
export function createWaitAction(options: {
  client: FusionInferActionsClient;
  pollIntervalMs?: number;
  /** With the catalog, a wait for an approval ends once the service's entity is listed (the tab link then works). */
  catalog?: CatalogService;
  /** How long to wait for the entity (default 120 s; a timeout only warns). */
  entityTimeoutSeconds?: number;
}) {
  return createTemplateAction({
    id: 'fusioninfer:service:wait',
    description:
      'Waits until an InferenceService is Ready (Active for its current generation), optionally first until its approval request is approved and applied; logs progress and names what is missing on timeout',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z =>
          z
            .string()
            .max(63)
            .regex(
              DNS1123_LABEL_PATTERN,
              'must be a cluster name (DNS-1123 label)',
            )
            .optional()
            .describe('Cluster (not needed with approvalId)'),
        namespace: z =>
          z
            .string()
            .max(63)
            .regex(
              DNS1123_LABEL_PATTERN,
              'must be a namespace name (DNS-1123 label)',
            )
            .optional()
            .describe('Namespace (not needed with approvalId)'),
        name: z =>
          z
            .string()
            .max(63)
            .regex(DNS1123_LABEL_PATTERN, 'must be a service name')
            .optional()
            .describe('Service name (not needed with approvalId)'),
        approvalId: z =>
          z
            .string()
            .regex(UUID, 'must be an approval request id')
            .optional()
            .describe(
              'Wait for this approval request to be approved and applied first (output approvalId of fusioninfer:service:apply)',
            ),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .min(1)
            .max(24 * 3600)
            .optional()
            .describe('Overall timeout (default 900 s)'),
      },
      output: {
        ready: z => z.boolean(),
        approvalStatus: z => z.string().optional(),
        decidedBy: z => z.string().optional(),
        entityRef: z =>
          z
            .string()
            .optional()
            .describe('Catalog entity of the approved service'),
        inferenceUrl: z =>
          z.string().optional().describe("The entity's Inference tab"),
      },
    },
    async handler(ctx) {
      const { approvalId } = ctx.input;
      let ref =
        ctx.input.cluster && ctx.input.namespace && ctx.input.name
          ? {
              cluster: ctx.input.cluster,
              namespace: ctx.input.namespace,
              name: ctx.input.name,
            }
          : undefined;
      if (!ref && !approvalId)
        throw new InputError(
          'cluster, namespace, name: all three are required unless approvalId is given',
        );
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would wait${approvalId ? ` for approval request ${approvalId}, then` : ''} until ${ref ? `${ref.cluster}/${ref.namespace}/${ref.name}` : 'the service'} is Ready`,
        );
        ctx.output('ready', false);
        return;
      }
      const credentials = await ctx.getInitiatorCredentials();
      const timeoutSeconds = ctx.input.timeoutSeconds ?? 900;
      const deadline = Date.now() + timeoutSeconds * 1000;
      const common = {
        client: options.client,
        call: { credentials },
        logger: ctx.logger,
        pollIntervalMs: options.pollIntervalMs,
        signal: ctx.signal,
      };
      let approvalEntity: string | undefined;
      if (approvalId) {
        const a = await waitForApproval(approvalId, {
          ...common,
          timeoutSeconds,
        });
        ctx.output('approvalStatus', a.status);
        if (a.decidedBy) ctx.output('decidedBy', a.decidedBy);
        if (a.entityRef) {
          approvalEntity = a.entityRef;
          ctx.output('entityRef', a.entityRef);
          ctx.output('inferenceUrl', inferenceTabPath(a.entityRef));
        }
        const fromApproval = {
          cluster: a.cluster,
          namespace: a.namespace,
          name: a.name,
        };
        if (
          ref &&
          (ref.cluster !== a.cluster ||
            ref.namespace !== a.namespace ||
            ref.name !== a.name)
        )
          throw new InputError(
            `approvalId: request ${approvalId} is for ${a.cluster}/${a.namespace}/${a.name}, not ${ref.cluster}/${ref.namespace}/${ref.name}`,
          );
        ref = fromApproval;
      }
      await waitUntilReady(ref!, {
        ...common,
        timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)),
      });
      ctx.output('ready', true);
      ctx.logger.info(
        `${ref!.cluster}/${ref!.namespace}/${ref!.name} is Ready`,
      );
      if (approvalEntity && options.catalog)
        await waitForEntity(approvalEntity, {
          catalog: options.catalog,
          credentials,
          logger: ctx.logger,
          timeoutSeconds: options.entityTimeoutSeconds ?? 120,
          pollIntervalMs: options.pollIntervalMs,
          signal: ctx.signal,
        });
    },
  });
}
