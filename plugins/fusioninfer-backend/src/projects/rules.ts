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
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { FUSIONINFER_PROJECT_RESOURCE_TYPE } from '@fusioninfer/plugin-fusioninfer-common';
import { z } from 'zod';

/** A team project as permission rules see it (resource ref: the project's name). @public */
export interface FusionInferProjectResource {
  /** The project's name (a key of `fusioninfer.projects`). */
  name: string;
  /** Groups whose services belong to the project. */
  owners: string[];
}

/** The `fusioninfer-project` permission resource (reading projects, raising their quotas). @public */
export const projectPermissionResourceRef = createPermissionResourceRef<
  FusionInferProjectResource,
  never
>().with({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_PROJECT_RESOURCE_TYPE,
});

const isProject = createPermissionRule({
  name: 'IS_PROJECT',
  description: 'Allow the given team projects (keys of fusioninfer.projects)',
  resourceRef: projectPermissionResourceRef,
  paramsSchema: z.object({
    projects: z.array(z.string()).describe('Team project names'),
  }),
  apply: (
    r: FusionInferProjectResource,
    { projects }: { projects: string[] },
  ) => projects.includes(r.name),
  toQuery: () => {
    throw new Error('fusioninfer-project conditions are applied per resource');
  },
});

/** Rules of the `fusioninfer-project` resource. @public */
export const projectPermissionRules = { isProject };

const exported = createConditionExports({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_PROJECT_RESOURCE_TYPE,
  rules: projectPermissionRules,
});

/** Conditions for policies: `fusioninferProjectConditions.isProject({ projects: ['llm-apps'] })`. @public */
export const fusioninferProjectConditions = exported.conditions;
/** Builds a conditional decision on team projects (`fusioninfer.project.read`, `.quota.update`). @public */
export const createFusionInferProjectConditionalDecision =
  exported.createConditionalDecision;
