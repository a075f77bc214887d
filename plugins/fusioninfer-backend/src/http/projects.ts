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

import express from 'express';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  fusioninferProjectQuotaUpdatePermission,
  fusioninferProjectReadPermission,
  fusioninferRoutes,
  Project,
  ProjectClusterQuota,
  TeamProject,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../auth/access';
import { GovernanceConfig } from '../changes/config';
import { callerOf } from '../changes/operations';
import { ServiceWriter } from '../changes/ServiceWriter';
import {
  ProjectQuotaStore,
  QuotaOverride,
} from '../projects/ProjectQuotaStore';
import { ServiceSource } from '../views/ServiceSource';
import { bindRoute } from './validated';

/** Dependencies of the project routes. */
export interface ProjectRoutesOptions {
  access: Access;
  source: ServiceSource;
  writer: ServiceWriter;
  governance: GovernanceConfig;
  quotas: ProjectQuotaStore;
  logger: LoggerService;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Clusters a project has a quota in or may deploy to: configured clusters in their order, then the others. */
function clustersOf(
  project: TeamProject,
  overrides: readonly QuotaOverride[],
  configured: readonly string[],
): string[] {
  const named = new Set<string>([
    ...Object.keys(project.gpuQuota ?? {}),
    ...project.destinations.map(d => d.cluster),
    ...overrides.filter(o => o.project === project.name).map(o => o.cluster),
  ]);
  return [
    ...configured.filter(c => named.has(c)),
    ...[...named].filter(c => !configured.includes(c)).sort(),
  ];
}

/**
 * The projects as `GET /projects` answers them: per cluster the quota in force (an approver's override, else the
 * configured value) and the GPUs the project's services hold now — the writer's own sum ({@link
 * ServiceWriter.projectUsage}), one pass per cluster. A cluster that cannot be read leaves `inUse` out and is named
 * in `errors`.
 */
async function projectViews(
  o: ProjectRoutesOptions,
  projects: readonly TeamProject[],
  only?: string,
): Promise<{
  items: Project[];
  errors: Array<{ cluster: string; message: string }>;
}> {
  const overrides = only
    ? await o.quotas.forProject(only)
    : await o.quotas.list();
  const configured = o.source.clusterNames();
  const clusters = new Map(
    projects.map(p => [p.name, clustersOf(p, overrides, configured)]),
  );
  const needed = configured.filter(c =>
    [...clusters.values()].some(cs => cs.includes(c)),
  );
  const errors: Array<{ cluster: string; message: string }> = [];
  const usage = new Map<string, Map<string, number>>();
  await Promise.all(
    needed.map(async cluster => {
      try {
        usage.set(
          cluster,
          await o.writer.projectUsage(cluster, only ? { only } : {}),
        );
        const stale = o.source.problems?.(cluster);
        if (stale)
          errors.push({
            cluster,
            message: `${o.access.clusterError(new Error(stale), cluster).message}; showing the use of its last known services`,
          });
      } catch (e) {
        errors.push({
          cluster,
          message: o.access.clusterError(e, cluster).message,
        });
      }
    }),
  );
  errors.sort((a, b) => a.cluster.localeCompare(b.cluster));
  const items = projects.map(p => ({
    name: p.name,
    owners: [...p.owners],
    destinations: p.destinations.map(d => ({
      cluster: d.cluster,
      namespaces: [...d.namespaces],
    })),
    quotas: clusters.get(p.name)!.map(cluster => {
      const raised = overrides.find(
        x => x.project === p.name && x.cluster === cluster,
      );
      const configuredGpus = p.gpuQuota?.[cluster];
      const limit = raised?.gpus ?? configuredGpus;
      const used = usage.get(cluster);
      const q: ProjectClusterQuota = { cluster };
      if (limit !== undefined) q.limit = limit;
      if (configuredGpus !== undefined) q.configured = configuredGpus;
      if (raised)
        q.raised = {
          gpus: raised.gpus,
          reason: raised.reason,
          by: raised.by,
          at: raised.at,
        };
      if (used) q.inUse = round(used.get(p.name) ?? 0);
      return q;
    }),
  }));
  return { items, errors };
}

/**
 * `GET /projects`, `PUT` and `DELETE /projects/:project/quotas/:cluster`. Reading needs `fusioninfer.project.read`
 * (a conditional decision filters the list per project); changing a quota needs `fusioninfer.project.quota.update`
 * on the project, checked before anything is looked up, so a caller without it gets the same 403 for a project that
 * exists and one that does not. Users only: the quota records who set it.
 */
export function addProjectRoutes(
  router: express.Router,
  o: ProjectRoutesOptions,
) {
  const { access, governance, quotas } = o;
  const r = fusioninferRoutes;

  bindRoute(router, r.listProjects, async ({ req }) => {
    const credentials = await access.credentials(req);
    await access.requireSome(credentials, fusioninferProjectReadPermission);
    const names = governance.projects.map(p => p.name);
    const ok = await access.allowed(
      credentials,
      fusioninferProjectReadPermission,
      names,
    );
    const visible = governance.projects.filter((_, i) => ok[i]);
    return {
      status: 200 as const,
      body: visible.length
        ? await projectViews(o, visible)
        : { items: [], errors: [] },
    };
  });

  /** Authorized on the project first, then: the project and the cluster must exist. */
  const target = async (
    req: express.Request,
    params: { project: string; cluster: string },
  ) => {
    const credentials = await access.userCredentials(req);
    await access.require(
      credentials,
      fusioninferProjectQuotaUpdatePermission,
      params.project,
    );
    const project = governance.projects.find(p => p.name === params.project);
    if (!project)
      throw new NotFoundError(
        `team project "${params.project}" is not configured (fusioninfer.projects)`,
      );
    if (!o.source.clusterNames().includes(params.cluster))
      throw new NotFoundError(
        `cluster "${params.cluster}" is not configured (fusioninfer.clusters)`,
      );
    return { credentials, project };
  };

  const answer = async (project: TeamProject) => {
    const { items } = await projectViews(o, [project], project.name);
    return { status: 200 as const, body: items[0] };
  };

  bindRoute(router, r.setProjectQuota, async ({ req, params, body }) => {
    const { credentials, project } = await target(req, params);
    const by = callerOf(credentials).user;
    const previous = (await quotas.forProject(project.name)).find(
      q => q.cluster === params.cluster,
    );
    await quotas.set({
      project: project.name,
      cluster: params.cluster,
      gpus: body.gpus,
      reason: body.reason,
      by,
    });
    o.logger.info(
      `${by} set the GPU quota of project ${project.name} in cluster ${params.cluster} to ${body.gpus} (was ${previous?.gpus ?? project.gpuQuota?.[params.cluster] ?? 'none'}): ${body.reason}`,
    );
    return answer(project);
  });

  bindRoute(router, r.resetProjectQuota, async ({ req, params }) => {
    const { credentials, project } = await target(req, params);
    const removed = await quotas.remove(project.name, params.cluster);
    if (removed)
      o.logger.info(
        `${callerOf(credentials).user} reset the GPU quota of project ${project.name} in cluster ${params.cluster} to the configured ${project.gpuQuota?.[params.cluster] ?? 'none'}`,
      );
    return answer(project);
  });
}
