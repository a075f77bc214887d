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

import fs from 'fs/promises';
import path from 'path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import {
  InferenceService,
  RenderOptions,
  renderInferenceService,
  plural,
} from '@fusioninfer/plugin-fusioninfer-common';
import { stringify } from 'yaml';
import {
  buildInferenceService,
  deploymentParametersSchema,
  FieldIssue,
} from '@fusioninfer/plugin-fusioninfer-common/builder';
import { fieldErrors, prepareManifest } from '../manifest';
import { examples } from './render.examples';

const yamlOf = (v: unknown) => stringify(v, { lineWidth: 0 });

/**
 * `fusioninfer:service:render`: builds an InferenceService from template parameters (or takes a whole manifest),
 * validates it, renders every child and the summary, and writes the files into the workspace for `publish:*`.
 * @public
 */
export function createRenderAction(options: { render?: RenderOptions } = {}) {
  return createTemplateAction({
    id: 'fusioninfer:service:render',
    description:
      'Builds an InferenceService from template parameters (or takes a manifest), validates it, renders every child (LeaderWorkerSets, PodGroup, EPP, InferencePool, HTTPRoute) with the GPU/pod summary and writes the files into the workspace. Touches no cluster.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        parameters: () =>
          deploymentParametersSchema
            .optional()
            .describe(
              'The deployment form (model, image, topology, roles, routing, gateway, LoRA, owner, namespace); exclusive with manifest',
            ),
        manifest: z =>
          z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .optional()
            .describe(
              'A whole InferenceService, as an object or YAML text; exclusive with parameters',
            ),
        namespace: z =>
          z
            .string()
            .optional()
            .describe(
              'Target namespace (default: parameters.namespace, then the manifest\'s, then "default")',
            ),
        ignore: z =>
          z
            .array(z.string().max(253))
            .max(100)
            .optional()
            .describe(
              'Form-only fields of parameters to drop silently (other unknown fields are dropped with a warning)',
            ),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Workspace directory for the files (default "."): inferenceservice.yaml, kustomization.yaml and rendered/children.yaml',
            ),
        files: z =>
          z
            .enum(['service', 'service-and-children', 'none'])
            .optional()
            .describe(
              'Which files to write (default service-and-children; children go to rendered/, outside the kustomization)',
            ),
      },
      output: {
        manifest: z =>
          z.record(z.string(), z.unknown()).describe('The InferenceService'),
        yaml: z => z.string().describe('The InferenceService as YAML'),
        children: z =>
          z
            .array(z.record(z.string(), z.unknown()))
            .describe('Every rendered child'),
        summary: z =>
          z
            .object({
              name: z.string(),
              namespace: z.string(),
              gpus: z.number(),
              pods: z.number(),
              children: z.number(),
              gangScheduling: z.boolean(),
              pdDisaggregated: z.boolean(),
              strategy: z.string(),
              accelerators: z.record(z.string(), z.number()),
              roles: z.array(
                z.object({
                  name: z.string(),
                  componentType: z.string(),
                  replicas: z.number(),
                  nodesPerReplica: z.number(),
                  pods: z.number(),
                  gpus: z.number(),
                }),
              ),
              kinds: z.record(z.string(), z.number()),
            })
            .describe('What the service amounts to'),
        warnings: z =>
          z.array(z.string()).describe('Warnings, each "path: message"'),
        files: z => z.array(z.string()).describe('Workspace files written'),
      },
    },
    async handler(ctx) {
      const { parameters, manifest } = ctx.input;
      if ((parameters === undefined) === (manifest === undefined))
        throw new InputError(
          'parameters, manifest: give exactly one of them (the form values or a whole InferenceService)',
        );
      let isvc: InferenceService;
      let namespace: string;
      let warnings: FieldIssue[];
      if (parameters !== undefined) {
        let form: unknown = parameters;
        if (form && typeof form === 'object' && !Array.isArray(form)) {
          const copy: Record<string, unknown> = { ...form };
          for (const key of ctx.input.ignore ?? []) delete copy[key];
          if (ctx.input.namespace) copy.namespace = ctx.input.namespace;
          form = copy;
        }
        const built = buildInferenceService(form);
        if (!built.ok) {
          for (const e of built.errors)
            ctx.logger.error(`${e.path}: ${e.message}`);
          throw fieldErrors(
            'The deployment parameters are not valid',
            built.errors,
          );
        }
        namespace = built.parameters.namespace ?? 'default';
        isvc = {
          ...built.manifest,
          metadata: { ...built.manifest.metadata, namespace },
        };
        warnings = built.warnings;
      } else {
        const prepared = prepareManifest(manifest, ctx.input.namespace);
        isvc = prepared.isvc;
        namespace = prepared.namespace;
        warnings = prepared.warnings;
      }
      for (const w of warnings) ctx.logger.warn(`${w.path}: ${w.message}`);

      const { children, summary } = renderInferenceService(isvc, {
        ...options.render,
        namespace,
      });
      const kinds: Record<string, number> = {};
      for (const c of children) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
      const router = isvc.spec.roles.find(r => r.componentType === 'router');
      let strategy = 'none';
      if (router)
        strategy = router.endpointPickerConfig
          ? 'custom'
          : (router.strategy ?? 'prefix-cache');

      const written: string[] = [];
      const which = ctx.input.files ?? 'service-and-children';
      if (which !== 'none') {
        const dir = resolveSafeChildPath(
          ctx.workspacePath,
          ctx.input.targetPath ?? '.',
        );
        const write = async (rel: string, text: string) => {
          const file = path.join(dir, rel);
          await fs.mkdir(path.dirname(file), { recursive: true });
          await fs.writeFile(file, text, 'utf8');
          written.push(
            path.relative(ctx.workspacePath, file).split(path.sep).join('/'),
          );
        };
        await write('inferenceservice.yaml', yamlOf(isvc));
        await write(
          'kustomization.yaml',
          yamlOf({
            apiVersion: 'kustomize.config.k8s.io/v1beta1',
            kind: 'Kustomization',
            namespace,
            resources: ['inferenceservice.yaml'],
          }),
        );
        if (which === 'service-and-children')
          await write(
            'rendered/children.yaml',
            `# Rendered by fusioninfer:service:render for review; the FusionInfer controller creates these.\n${children
              .map(c => yamlOf(c))
              .join('---\n')}`,
          );
      }

      ctx.output('manifest', isvc as unknown as JsonObject);
      ctx.output('yaml', yamlOf(isvc));
      ctx.output('children', children as unknown as JsonObject[]);
      ctx.output('summary', {
        name: summary.name,
        namespace,
        gpus: summary.totals.gpus,
        pods: summary.totals.pods,
        children: summary.totals.children,
        gangScheduling: summary.gangScheduling,
        pdDisaggregated: summary.pdDisaggregated,
        strategy,
        accelerators: summary.totals.accelerators,
        roles: summary.roles.map(r => ({
          name: r.name,
          componentType: r.componentType ?? '',
          replicas: r.replicas,
          nodesPerReplica: r.nodesPerReplica,
          pods: r.pods,
          gpus: r.gpus,
        })),
        kinds,
      });
      ctx.output(
        'warnings',
        warnings.map(w => `${w.path}: ${w.message}`),
      );
      ctx.output('files', written);
      ctx.logger.info(
        `${namespace}/${summary.name}: ${children.length} children (${Object.entries(
          kinds,
        )
          .map(([k, n]) => `${n} ${k}`)
          .join(
            ', ',
          )}), ${plural(summary.totals.pods, 'pod')}, ${plural(summary.totals.gpus, 'GPU')}${summary.gangScheduling ? ', gang-scheduled' : ''}, routing ${strategy}${written.length ? `; wrote ${written.join(', ')}` : ''}`,
      );
    },
  });
}
