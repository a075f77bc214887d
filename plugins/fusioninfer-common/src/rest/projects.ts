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
import { kubernetesName } from './common';

/** Largest GPU quota an approver can set (GPU equivalents). @public */
export const MAX_PROJECT_QUOTA_GPUS = 100000;

/** A team project's name: a key of `fusioninfer.projects` (Backstage config key characters). */
const projectName = z
  .string()
  .min(1, 'must not be empty')
  .max(253)
  .regex(
    /^[a-zA-Z][a-zA-Z0-9]*(?:[-_][a-zA-Z0-9]+)*$/,
    'must be a team project name (a key of fusioninfer.projects)',
  );

/** Path parameters of one project's quota in one cluster. @public */
export const projectQuotaParamsSchema = z.strictObject({
  project: projectName,
  cluster: kubernetesName('cluster'),
});
/** `project`/`cluster` of one project quota. @public */
export type ProjectQuotaParams = z.infer<typeof projectQuotaParamsSchema>;

/** `PUT /projects/:project/quotas/:cluster` body. @public */
export const setProjectQuotaRequestSchema = z
  .strictObject({
    gpus: z
      .number()
      .min(0)
      .max(MAX_PROJECT_QUOTA_GPUS)
      .describe(
        "The project's GPU quota in the cluster from now on (GPU equivalents); replaces the configured value until reset",
      ),
    reason: z
      .string()
      .min(1, 'must say why')
      .max(500)
      .regex(/\S/, 'must say why')
      .describe('Why (shown with the quota)'),
  })
  .meta({ id: 'SetProjectQuotaRequest' });
/** `PUT /projects/:project/quotas/:cluster` body. @public */
export type SetProjectQuotaRequest = z.infer<
  typeof setProjectQuotaRequestSchema
>;

/** A quota set by an approver (stored in the plugin's database), replacing the configured one. @public */
export const projectQuotaOverrideSchema = z
  .strictObject({
    gpus: z.number(),
    reason: z.string(),
    /** Who set it (user entity ref). */
    by: z.string(),
    /** When (ISO 8601). */
    at: z.string(),
  })
  .meta({ id: 'ProjectQuotaOverride' });
/** A quota set by an approver. @public */
export type ProjectQuotaOverride = z.infer<typeof projectQuotaOverrideSchema>;

/** A project's GPU quota and use in one cluster. @public */
export const projectClusterQuotaSchema = z
  .strictObject({
    cluster: z.string(),
    /** The quota in force: `raised.gpus` when set, else `configured`; absent: no quota in this cluster. */
    limit: z.number().optional(),
    /** `fusioninfer.projects.<name>.gpuQuota.<cluster>` (absent: none configured). */
    configured: z.number().optional(),
    raised: projectQuotaOverrideSchema.optional(),
    /** GPUs the project's services hold in the cluster now (absent: the cluster could not be read). */
    inUse: z.number().optional(),
  })
  .meta({ id: 'ProjectClusterQuota' });
/** A project's GPU quota and use in one cluster. @public */
export type ProjectClusterQuota = z.infer<typeof projectClusterQuotaSchema>;

/** One team project (`fusioninfer.projects.<name>`) with its quotas. @public */
export const projectSchema = z
  .strictObject({
    name: z.string(),
    /** Groups whose services belong to the project. */
    owners: z.array(z.string()),
    destinations: z.array(
      z.strictObject({
        cluster: z.string(),
        namespaces: z.array(z.string()),
      }),
    ),
    /** Per cluster the project has a quota in or may deploy to, in configuration order. */
    quotas: z.array(projectClusterQuotaSchema),
  })
  .meta({ id: 'Project' });
/** One team project with its quotas. @public */
export type Project = z.infer<typeof projectSchema>;

/** `GET /projects`: the projects the caller may see; a cluster that could not be read is named in errors. @public */
export const projectsResponseSchema = z
  .strictObject({
    items: z.array(projectSchema),
    errors: z.array(
      z.strictObject({ cluster: z.string(), message: z.string() }),
    ),
  })
  .meta({ id: 'ProjectsResponse' });
/** `GET /projects`. @public */
export type ProjectsResponse = z.infer<typeof projectsResponseSchema>;
