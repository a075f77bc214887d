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

/*
 * Team projects: what a team (the group that owns a service) may use. In the spirit of Argo CD's AppProject and
 * Kueue's ClusterQueue: where its services may run, how many GPUs they may hold per cluster, when a change needs a
 * second person, and how privileged their pods may be. Pure data and pure functions; the backend reads them from
 * app-config (`fusioninfer.projects`) and enforces them on its one write path.
 */

import { ApprovalPolicy } from '../approval';
import { normalizeEntityRef } from '../entity';
import type { ProjectBudget } from '../showback/showback';

/** A pod-security profile by level name, with the project's exceptions (see `checkPodSecurity`). @public */
export interface ProjectPodSecurity {
  level: 'privileged' | 'baseline-gpu' | 'restricted-gpu';
  /** Capabilities allowed beyond the level's set. */
  allowedCapabilities?: string[];
  /** Service accounts pods may run as besides `default`. */
  serviceAccounts?: string[];
  /** hostPath prefixes allowed (baseline forbids every hostPath). */
  allowedHostPaths?: string[];
  /** Volume types allowed beyond the level's set (restricted only). */
  allowedVolumeTypes?: string[];
}

/** Where a project's services may run. @public */
export interface ProjectDestination {
  cluster: string;
  /** Exact namespace names, or a prefix with `*` at the end (`team-a-*`); `*` alone matches any namespace except protected ones. */
  namespaces: string[];
}

/** One team project (`fusioninfer.projects.<name>`). @public */
export interface TeamProject {
  name: string;
  /** Groups (entity refs) whose services belong to the project: a service's owner selects its project. */
  owners: string[];
  destinations: ProjectDestination[];
  /** Hard GPU quota per cluster (GPU equivalents, all the project's services in that cluster). Absent: no quota. */
  gpuQuota?: Record<string, number>;
  /** The approval policy of this project's changes (replaces the global one's fields it sets). */
  approvals?: ApprovalPolicy;
  /** Pod security of the project's pods (default: the global default, `baseline-gpu`). */
  podSecurity?: ProjectPodSecurity;
  /** DRA `resourceClaims` are held for approval unless this is true. */
  allowResourceClaims?: boolean;
  /** Monthly GPU budget of the project's services (showback warns and notifies at 80 % and 100 %). */
  budget?: ProjectBudget;
}

/**
 * Namespaces that nothing reaches through a pattern or a default: `kube-*` and the ones given (the backend's own
 * namespace, say). Only an exact entry in a project's (or a cluster's) namespace list opens them.
 * @public
 */
export function isProtectedNamespace(
  namespace: string,
  extra: readonly string[] = [],
): boolean {
  return namespace.startsWith('kube-') || extra.includes(namespace);
}

const matches = (pattern: string, namespace: string, protect: boolean) => {
  if (pattern === namespace) return true;
  if (protect) return false; // protected namespaces only by exact name
  if (pattern === '*') return true;
  return pattern.endsWith('*') && namespace.startsWith(pattern.slice(0, -1));
};

/**
 * Whether a project may place services in `cluster`/`namespace`. Protected namespaces (`kube-*` and the
 * `protectedNamespaces` given, e.g. the backend's own) match only an exact entry, never a pattern.
 * @public
 */
export function projectAllowsDestination(
  project: TeamProject,
  cluster: string,
  namespace: string,
  protectedNamespaces: readonly string[] = [],
): boolean {
  const protect = isProtectedNamespace(namespace, protectedNamespaces);
  return project.destinations.some(
    d =>
      d.cluster === cluster &&
      d.namespaces.some(p => matches(p, namespace, protect)),
  );
}

/** The project a service owned by `owner` belongs to (the first that lists the owner), if any. @public */
export function projectOfOwner(
  projects: readonly TeamProject[],
  owner: string | undefined,
): TeamProject | undefined {
  const ref = owner && normalizeEntityRef(owner, 'group');
  if (!ref) return undefined;
  return projects.find(p =>
    p.owners.some(o => normalizeEntityRef(o, 'group') === ref),
  );
}

/** Every cluster/namespace a project may use, in configuration order (for forms and sign-in cards). @public */
export function projectNamespaces(
  project: TeamProject,
): Array<{ cluster: string; namespace: string }> {
  return project.destinations.flatMap(d =>
    d.namespaces.map(namespace => ({ cluster: d.cluster, namespace })),
  );
}
