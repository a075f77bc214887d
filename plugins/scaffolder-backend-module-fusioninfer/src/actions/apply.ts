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

import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import {
  DNS1123_LABEL_PATTERN,
  plural,
  specHash,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  ApplyResponse,
  formatPreflight,
} from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferActionsClient } from '../client';
import {
  absolute,
  approvalPath,
  describeError,
  inferenceTabPath,
  Links,
  plain,
  statusOf,
} from '../links';
import { prepareManifest } from '../manifest';
import { waitForEntity, waitUntilReady } from '../wait';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { stringify } from 'yaml';
import { examples } from './apply.examples';

const yamlText = (v: unknown) => stringify(v, { lineWidth: 0 });

/**
 * `fusioninfer:service:apply`: hands an InferenceService to the FusionInfer backend (`POST /apply`) on behalf of the
 * task's user. The backend enforces permissions and the approval policy: a held deployment applies nothing and the
 * step ends with the approval request's link. Optionally waits until the service is Ready.
 * @public
 */
export function createApplyAction(options: {
  client: FusionInferActionsClient;
  links?: Links;
  pollIntervalMs?: number;
  /** With the catalog, an applied service's step ends once its entity is listed (the tab link then works). */
  catalog?: CatalogService;
  /** How long to wait for the entity (default 120 s; a timeout only warns). */
  entityTimeoutSeconds?: number;
}) {
  const { client } = options;
  const links = options.links ?? {};
  return createTemplateAction({
    id: 'fusioninfer:service:apply',
    description:
      'Server-side applies an InferenceService through the FusionInfer backend as the task user; when policy holds it for approval nothing is applied and the step outputs the approval request. Optionally waits until Ready.',
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
            .describe('A name from fusioninfer.clusters'),
        namespace: z =>
          z
            .string()
            .max(63)
            .regex(
              DNS1123_LABEL_PATTERN,
              'must be a namespace name (DNS-1123 label)',
            )
            .optional()
            .describe("Target namespace (default: the manifest's)"),
        manifest: z =>
          z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .describe(
              'The InferenceService (output manifest of fusioninfer:service:render, or YAML text)',
            ),
        children: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Also apply the rendered children with owner references (clusters where no controller runs)',
            ),
        update: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Allow changing a service that exists and belongs to another entity or field manager (default false: refuse)',
            ),
        entityRef: z =>
          z
            .string()
            .max(253)
            .optional()
            .describe(
              'Catalog entity the service belongs to (must match backstage.io/entity-ref when the manifest names one)',
            ),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Wait until the service is Ready (holds a task worker; default false)',
            ),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .min(1)
            .max(7200)
            .optional()
            .describe('How long to wait (default 900 s)'),
      },
      output: {
        outcome: z =>
          z
            .enum(['applied', 'approval-required', 'dry-run'])
            .describe('What happened'),
        created: z => z.boolean().optional(),
        cluster: z => z.string(),
        namespace: z => z.string(),
        name: z => z.string(),
        uid: z => z.string().optional(),
        entityRef: z =>
          z.string().optional().describe('Catalog entity of the service'),
        inferenceUrl: z =>
          z.string().optional().describe("The entity's Inference tab"),
        approvalRequired: z => z.boolean(),
        reasons: z =>
          z.array(z.string()).describe('Why policy holds it (if it does)'),
        approvalId: z => z.string().optional(),
        approvalUrl: z =>
          z.string().optional().describe('The approval request page'),
        ready: z =>
          z.boolean().optional().describe('Set when wait was requested'),
        preflight: z =>
          z
            .record(z.string(), z.unknown())
            .optional()
            .describe(
              'Dry run: whether each role’s model starts on the cluster’s GPUs (KV cache tokens, the error vLLM would print and a fix) and whether the pods fit its nodes now',
            ),
      },
    },
    async handler(ctx) {
      const { isvc, namespace, warnings } = prepareManifest(
        ctx.input.manifest,
        ctx.input.namespace,
      );
      for (const w of warnings) ctx.logger.warn(`${w.path}: ${w.message}`);
      const name = isvc.metadata.name!;
      const cluster = ctx.input.cluster;
      const label = `${cluster}/${namespace}/${name}`;
      const body = {
        cluster,
        namespace,
        manifest: isvc as unknown as Record<string, unknown>,
        ...(ctx.input.children !== undefined
          ? { children: ctx.input.children }
          : {}),
        ...(ctx.input.update !== undefined ? { update: ctx.input.update } : {}),
        ...(ctx.input.entityRef ? { entityRef: ctx.input.entityRef } : {}),
      };
      const credentials = await ctx.getInitiatorCredentials();
      ctx.output('cluster', cluster);
      ctx.output('namespace', namespace);
      ctx.output('name', name);

      if (ctx.isDryRun) {
        // The backend evaluates validation and policy only: nothing stored, nothing applied, no cluster call.
        const r = plain(
          await client.apply({ ...body, dryRun: true }, { credentials }),
        );
        if (r.outcome !== 'dry-run')
          throw new Error(
            `the backend answered a dry run with outcome ${r.outcome}`,
          );
        ctx.output('outcome', 'dry-run');
        ctx.output('approvalRequired', r.approvalRequired);
        ctx.output('reasons', r.reasons);
        if (r.policy && !r.policy.allowed)
          throw new InputError(
            `Dry run: ${label} would be refused by policy: ${r.policy.denials.map(d => `${d.field}: ${d.message}`).join('; ')}`,
          );
        if (r.preflight) {
          ctx.output('preflight', r.preflight as unknown as JsonObject);
          const text = `Pre-flight of ${label}:\n${formatPreflight(r.preflight)}`;
          if (
            r.preflight.verdict === 'does-not-start' ||
            r.preflight.gang.fits === false
          )
            ctx.logger.warn(text);
          else ctx.logger.info(text);
        }
        ctx.logger.info(
          `Dry run: ${label} would request ${plural(r.summary.gpus, 'GPU')} in ${plural(r.summary.pods, 'pod')}${r.policy?.project ? ` (project ${r.policy.project}${r.policy.quota ? `: ${r.policy.quota.before} → ${r.policy.quota.after} of ${r.policy.quota.limit} GPUs in ${r.policy.quota.cluster}` : ''})` : ''}; ${r.approvalRequired ? `approval required (${r.reasons.join('; ')})` : 'no approval required'}. Nothing applied. The InferenceService it would apply:\n${yamlText(isvc)}`,
        );
        return;
      }

      let result: ApplyResponse;
      try {
        // Replayed on task recovery: a resumed task neither applies twice nor files a second request. The backend is
        // idempotent too (server-side apply; the same caller and manifest reuse their pending request).
        result = (await ctx.checkpoint({
          key: `fusioninfer.apply.${cluster}.${namespace}.${name}.${specHash(body)}`,
          fn: async () =>
            plain(
              await client.apply(
                { ...body, taskId: ctx.task.id },
                { credentials },
              ),
            ) as unknown as JsonObject,
        })) as unknown as ApplyResponse;
      } catch (e) {
        const status = statusOf(e);
        if (status === 409)
          throw new ConflictError(
            `${label} exists and belongs to another entity or field manager: ${describeError(e)}. Set update: true to take it over.`,
          );
        if (status === 400)
          throw new InputError(
            `the backend refused ${label}: ${describeError(e)}`,
          );
        throw new Error(`cannot apply ${label}: ${describeError(e)}`);
      }

      if (result.outcome === 'approval-required') {
        const a = result.approval;
        const url = approvalPath(a.id);
        ctx.output('outcome', 'approval-required');
        ctx.output('approvalRequired', true);
        ctx.output('reasons', result.reasons);
        ctx.output('approvalId', a.id);
        ctx.output('approvalUrl', url);
        ctx.logger.info(
          `${label} needs approval (${result.reasons.join('; ')}). Nothing was applied. Approval request ${a.id}: ${absolute(links, url)} — once a second person approves it, the backend applies exactly this manifest.`,
        );
        return;
      }
      if (result.outcome !== 'applied')
        throw new Error(
          `unexpected outcome ${result.outcome} from the backend`,
        );

      ctx.output('outcome', 'applied');
      ctx.output('created', result.created);
      ctx.output('approvalRequired', false);
      ctx.output('reasons', []);
      if (result.service.uid) ctx.output('uid', result.service.uid);
      ctx.output('entityRef', result.entityRef);
      const tab = inferenceTabPath(result.entityRef);
      ctx.output('inferenceUrl', tab);
      ctx.logger.info(
        `${result.created ? 'Created' : 'Updated'} ${label}${result.children?.length ? ` and ${result.children.length} children` : ''}; entity ${result.entityRef}: ${absolute(links, tab)}`,
      );

      // The tab link works only once the catalog lists the entity: end the step then, not before.
      if (options.catalog)
        await waitForEntity(result.entityRef, {
          catalog: options.catalog,
          credentials,
          logger: ctx.logger,
          timeoutSeconds: options.entityTimeoutSeconds ?? 120,
          pollIntervalMs: options.pollIntervalMs,
          signal: ctx.signal,
        });
      if (!ctx.input.wait) return;
      await waitUntilReady(
        { cluster, namespace, name },
        {
          client,
          call: { credentials },
          logger: ctx.logger,
          timeoutSeconds: ctx.input.timeoutSeconds ?? 900,
          pollIntervalMs: options.pollIntervalMs,
          signal: ctx.signal,
        },
      );
      ctx.output('ready', true);
      ctx.logger.info(`${label} is Ready`);
    },
  });
}
