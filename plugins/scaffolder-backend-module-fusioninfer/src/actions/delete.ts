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
import {
  DNS1123_LABEL_PATTERN,
  parseServiceAnnotation,
  ServiceRef,
} from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferActionsClient } from '../client';
import { describeError, statusOf } from '../links';
import { sleep } from '../wait';
import { examples } from './delete.examples';

/**
 * `fusioninfer:service:delete`: deletes an InferenceService (its children go with it) through the backend, as the task
 * user (`fusioninfer.service.delete` on the service's entity). `confirm` must repeat the service name.
 * @public
 */
export function createDeleteAction(options: {
  client: FusionInferActionsClient;
  pollIntervalMs?: number;
}) {
  return createTemplateAction({
    id: 'fusioninfer:service:delete',
    description:
      'Deletes an InferenceService through the FusionInfer backend as the task user; confirm must repeat the service name. A service that is already gone is not an error.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        service: z =>
          z
            .string()
            .max(1024)
            .optional()
            .describe(
              'cluster/namespace/name, or the fusioninfer.io/service annotation of its entity (several services: confirm picks one)',
            ),
        cluster: z =>
          z
            .string()
            .max(63)
            .regex(DNS1123_LABEL_PATTERN, 'must be a cluster name')
            .optional(),
        namespace: z =>
          z
            .string()
            .max(63)
            .regex(DNS1123_LABEL_PATTERN, 'must be a namespace name')
            .optional(),
        name: z =>
          z
            .string()
            .max(63)
            .regex(DNS1123_LABEL_PATTERN, 'must be a service name')
            .optional(),
        confirm: z =>
          z
            .string()
            .max(253)
            .describe('Must equal the service name (typed by the user)'),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe('Wait until the service is gone (default true)'),
        timeoutSeconds: z =>
          z.number().int().min(1).max(3600).optional().describe('Default 300'),
      },
      output: {
        cluster: z => z.string(),
        namespace: z => z.string(),
        name: z => z.string(),
        deleted: z =>
          z.boolean().describe('False when it was already gone (or dry run)'),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      let candidates: ServiceRef[];
      if (input.service !== undefined) {
        if (input.cluster || input.namespace || input.name)
          throw new InputError(
            'service, cluster, namespace, name: give service or cluster/namespace/name, not both',
          );
        const parsed = parseServiceAnnotation(input.service);
        if (parsed.errors.length)
          throw new InputError(`service: ${parsed.errors.join('; ')}`);
        candidates = parsed.refs;
      } else if (input.cluster && input.namespace && input.name) {
        candidates = [
          {
            cluster: input.cluster,
            namespace: input.namespace,
            name: input.name,
          },
        ];
      } else
        throw new InputError(
          'service: required (or cluster, namespace and name)',
        );
      const matching = candidates.filter(c => c.name === input.confirm.trim());
      if (matching.length !== 1)
        throw new InputError(
          matching.length === 0
            ? `confirm: type the name of the service to delete (${candidates.map(c => c.name).join(' or ') || 'none given'}); nothing was deleted`
            : `confirm: "${input.confirm}" names ${matching.length} services (${matching.map(c => `${c.cluster}/${c.namespace}/${c.name}`).join(', ')}); give cluster/namespace/name`,
        );
      const ref = matching[0];
      const label = `${ref.cluster}/${ref.namespace}/${ref.name}`;
      ctx.output('cluster', ref.cluster);
      ctx.output('namespace', ref.namespace);
      ctx.output('name', ref.name);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would delete ${label} and its children. Nothing deleted.`,
        );
        ctx.output('deleted', false);
        return;
      }
      const credentials = await ctx.getInitiatorCredentials();
      const deleted = await ctx.checkpoint({
        key: `fusioninfer.delete.${label}`,
        fn: async () => {
          try {
            await options.client.deleteService(ref, { credentials });
            return true;
          } catch (e) {
            if (statusOf(e) === 404) return false;
            throw new Error(`cannot delete ${label}: ${describeError(e)}`);
          }
        },
      });
      ctx.output('deleted', deleted);
      ctx.logger.info(
        deleted
          ? `Deleted ${label}; its children are garbage-collected`
          : `${label} does not exist (already deleted)`,
      );
      if (!deleted || input.wait === false) return;
      const deadline = Date.now() + (input.timeoutSeconds ?? 300) * 1000;
      for (;;) {
        try {
          await options.client.getService(ref, { credentials });
        } catch (e) {
          if (statusOf(e) === 404) {
            ctx.logger.info(`${label} is gone`);
            return;
          }
          throw new Error(`cannot read ${label}: ${describeError(e)}`);
        }
        if (Date.now() >= deadline)
          throw new Error(
            `${label} still exists after ${input.timeoutSeconds ?? 300} s (finalizers?)`,
          );
        await sleep(options.pollIntervalMs ?? 2000, ctx.signal);
      }
    },
  });
}
