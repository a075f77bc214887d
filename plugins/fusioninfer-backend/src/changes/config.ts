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

import { Config } from '@backstage/config';
import {
  ProjectBudget,
  ProjectPodSecurity,
  TeamProject,
} from '@fusioninfer/plugin-fusioninfer-common';

/** Governance settings: team projects, the default pod-security profile, protected namespaces. */
export interface GovernanceConfig {
  /** Empty: no tenancy (every namespace the clusters allow, no quota). */
  projects: TeamProject[];
  podSecurity: ProjectPodSecurity;
  /** Protected besides `kube-*`: only an exact entry opens them. */
  protectedNamespaces: string[];
  /** Accelerator resource names or patterns (undefined: the built-in list). */
  acceleratorResources?: string[];
}

const LEVELS = ['privileged', 'baseline-gpu', 'restricted-gpu'] as const;

function readPodSecurity(
  c: Config | undefined,
  where: string,
): ProjectPodSecurity | undefined {
  if (!c) return undefined;
  const level = c.getOptionalString('level') ?? 'baseline-gpu';
  if (!(LEVELS as readonly string[]).includes(level))
    throw new Error(
      `${where}.level: must be one of ${LEVELS.join(', ')}, got "${level}"`,
    );
  return {
    level: level as ProjectPodSecurity['level'],
    ...(c.has('allowedCapabilities')
      ? { allowedCapabilities: c.getStringArray('allowedCapabilities') }
      : {}),
    ...(c.has('serviceAccounts')
      ? { serviceAccounts: c.getStringArray('serviceAccounts') }
      : {}),
    ...(c.has('allowedHostPaths')
      ? { allowedHostPaths: c.getStringArray('allowedHostPaths') }
      : {}),
    ...(c.has('allowedVolumeTypes')
      ? { allowedVolumeTypes: c.getStringArray('allowedVolumeTypes') }
      : {}),
  };
}

/**
 * A project's monthly budget (showback): a number ≥ 0 in the showback currency (no exchange rates: a budget in
 * another currency is refused, naming the key).
 */
function readBudget(c: Config, where: string, root: Config): ProjectBudget {
  const monthly = c.getNumber('monthly');
  if (!Number.isFinite(monthly) || monthly < 0 || monthly > 1e12)
    throw new Error(
      `${where}.monthly: must be a number from 0 to 10^12, got ${monthly}`,
    );
  const currency = c.getString('currency');
  if (!/^[A-Z]{3}$/.test(currency))
    throw new Error(
      `${where}.currency: must be an ISO 4217 code of three capital letters such as USD, got "${currency}"`,
    );
  const sheet = root.getOptionalString('fusioninfer.showback.currency');
  if (sheet !== undefined && sheet !== currency)
    throw new Error(
      `${where}.currency: ${currency} is not the showback currency (fusioninfer.showback.currency: ${sheet}); costs are not converted`,
    );
  return { monthly, currency };
}

/**
 * Reads `fusioninfer.projects` (a map from project name to its settings), `fusioninfer.podSecurity` and
 * `fusioninfer.protectedNamespaces`. Wrong values are refused naming the key.
 */
export function readGovernanceConfig(config: Config): GovernanceConfig {
  const pc = config.getOptionalConfig('fusioninfer.projects');
  const projects: TeamProject[] = [];
  for (const name of pc?.keys() ?? []) {
    const c = pc!.getConfig(name);
    const where = `fusioninfer.projects.${name}`;
    const owners = c.getStringArray('owners');
    if (!owners.length)
      throw new Error(`${where}.owners: must name at least one group`);
    const destinations = (c.getOptionalConfigArray('destinations') ?? []).map(
      d => ({
        cluster: d.getString('cluster'),
        namespaces: d.getStringArray('namespaces'),
      }),
    );
    let gpuQuota: Record<string, number> | undefined;
    const q = c.getOptionalConfig('gpuQuota');
    if (q) {
      gpuQuota = {};
      for (const cluster of q.keys()) {
        const v = q.getNumber(cluster);
        if (!(v >= 0))
          throw new Error(
            `${where}.gpuQuota.${cluster}: must be a number ≥ 0, got ${v}`,
          );
        gpuQuota[cluster] = v;
      }
    }
    const a = c.getOptionalConfig('approvals');
    projects.push({
      name,
      owners,
      destinations,
      ...(gpuQuota ? { gpuQuota } : {}),
      ...(a
        ? {
            approvals: {
              always: a.getOptionalBoolean('always'),
              maxGpusWithoutApproval: a.getOptionalNumber(
                'maxGpusWithoutApproval',
              ),
              maxPodsWithoutApproval: a.getOptionalNumber(
                'maxPodsWithoutApproval',
              ),
              namespaces: a.getOptionalStringArray('namespaces'),
            },
          }
        : {}),
      ...(c.has('podSecurity')
        ? {
            podSecurity: readPodSecurity(
              c.getConfig('podSecurity'),
              `${where}.podSecurity`,
            ),
          }
        : {}),
      allowResourceClaims: c.getOptionalBoolean('allowResourceClaims') ?? false,
      ...(c.has('budget')
        ? {
            budget: readBudget(
              c.getConfig('budget'),
              `${where}.budget`,
              config,
            ),
          }
        : {}),
    });
  }
  return {
    projects,
    podSecurity: readPodSecurity(
      config.getOptionalConfig('fusioninfer.podSecurity'),
      'fusioninfer.podSecurity',
    ) ?? { level: 'baseline-gpu' },
    protectedNamespaces: config.getOptionalStringArray(
      'fusioninfer.protectedNamespaces',
    ) ?? ['fusioninfer-system'],
    acceleratorResources: config.getOptionalStringArray(
      'fusioninfer.acceleratorResources',
    ),
  };
}
