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
 * The one policy of every change the backend makes to an InferenceService: team project (where, how many GPUs),
 * pod security, the approval threshold and "shrink only". Pure: the backend resolves the project and the project's
 * current use and passes them in; the dry run, the preview field, the approval page and the writer all ask this
 * function, so they cannot disagree.
 */

import { ApprovalPolicy } from '../approval';
import { canonicalJson } from '../hash';
import { plural } from '../plural';
import { summarizeInferenceService } from '../render';
import { InferenceService } from '../types';
import { checkPodSecurity } from './podSecurity';
import {
  isProtectedNamespace,
  ProjectPodSecurity,
  projectAllowsDestination,
  TeamProject,
} from './projects';

/** One reason a change is refused, naming the field and the rule. @public */
export interface PolicyFinding {
  /** The field the finding is about (`metadata.namespace`, `spec.roles[0].template.spec.containers[0]…`). */
  field: string;
  /** The rule (`project.destination`, `project.quota`, `baseline-gpu: …`). */
  rule: string;
  message: string;
}

/** What {@link evaluateChange} is asked about. @public */
export interface ChangeInput {
  action: 'create' | 'update' | 'scale' | 'delete';
  cluster: string;
  namespace: string;
  /** The service as it would be (absent for delete). */
  next?: InferenceService;
  /** The live service (absent for create). */
  previous?: InferenceService;
  /** Tenancy is on when projects are configured: every create or change then needs the owner's project. */
  projects?: readonly TeamProject[];
  /** The project of the service's owner (resolved by the caller; undefined: the owner has none). */
  project?: TeamProject;
  /** The owner group of the service (for messages). */
  owner?: string;
  /** GPUs the project's other services hold in this cluster now (for the quota). */
  projectGpusInUse?: number;
  /** The global approval policy (`fusioninfer.approvals`); the project's fields replace its fields. */
  approvals?: ApprovalPolicy;
  /** The pod-security default when the project sets none (default `baseline-gpu`). */
  podSecurity?: ProjectPodSecurity;
  /** Protected namespaces besides `kube-*` (the backend's own). */
  protectedNamespaces?: readonly string[];
  /** Without projects: protected namespaces listed by exact name in `fusioninfer.clusters[].namespaces`. */
  explicitNamespaces?: readonly string[];
  /** Accelerator resource names or patterns (default: the built-in list). */
  acceleratorResources?: readonly string[];
}

/** The verdict of {@link evaluateChange}. @public */
export interface PolicyVerdict {
  /** False: nothing may be applied, not even after approval; `denials` say why. */
  allowed: boolean;
  denials: PolicyFinding[];
  /** True: the change waits for a second person (`reasons`). */
  approvalRequired: boolean;
  reasons: string[];
  /** The next spec equals the previous one apart from lower replica counts. */
  shrinkOnly: boolean;
  summary: {
    gpus: number;
    pods: number;
    resourceClaims: number;
    previousGpus?: number;
    previousPods?: number;
  };
  project?: string;
  owner?: string;
  /** The project's GPU use in this cluster before and after the change, against its quota. */
  quota?: { cluster: string; limit: number; before: number; after: number };
  podSecurity: { level: string; violations: PolicyFinding[] };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function totalsOf(
  isvc: InferenceService | undefined,
  namespace: string,
  acceleratorResources?: readonly string[],
) {
  if (!isvc) return { gpus: 0, pods: 0, resourceClaims: 0 };
  const s = summarizeInferenceService(isvc, {
    namespace,
    ...(acceleratorResources
      ? { acceleratorResources: [...acceleratorResources] }
      : {}),
  });
  return {
    gpus: round(s.totals.gpus),
    pods: s.totals.pods,
    resourceClaims: s.totals.resourceClaims ?? 0,
  };
}

/** The spec and the metadata a change can carry, with every role's replica count taken out. */
function withoutReplicas(isvc: InferenceService): unknown {
  const roles = Array.isArray(isvc.spec?.roles) ? isvc.spec.roles : [];
  return {
    labels: isvc.metadata?.labels ?? {},
    annotations: isvc.metadata?.annotations ?? {},
    spec: {
      ...isvc.spec,
      roles: roles.map(r => {
        const { replicas: _r, ...rest } = r as { replicas?: number };
        return rest;
      }),
    },
  };
}

/**
 * "Shrink only": the next spec equals the previous one (labels, annotations and spec) apart from replica counts, and
 * no role has more replicas than before while at least one has fewer. A change bundled with a scale-down is not.
 * @public
 */
export function isShrinkOnly(
  previous: InferenceService | undefined,
  next: InferenceService | undefined,
): boolean {
  if (!previous || !next) return false;
  try {
    if (
      canonicalJson(withoutReplicas(previous)) !==
      canonicalJson(withoutReplicas(next))
    )
      return false;
    const before = previous.spec.roles;
    const after = next.spec.roles;
    let lower = false;
    for (let i = 0; i < after.length; i++) {
      const b = before[i]?.replicas ?? 1;
      const a = after[i]?.replicas ?? 1;
      if (a > b) return false;
      if (a < b) lower = true;
    }
    return lower;
  } catch {
    return false;
  }
}

const findingKey = (f: { field?: string; path?: string; rule: string }) =>
  `${f.field ?? f.path}\u0000${f.rule}`;

/**
 * The policy on one change. Refusals (`allowed: false`) hold whatever anybody approves: a namespace outside the
 * project, a project's GPU quota exceeded by growth, pods that break the pod-security profile (a violation the live
 * service already had is not held against a change that keeps it). Approval (`approvalRequired`) follows the
 * thresholds of the project (or the global policy): GPU and pod thresholds when the change grows over them,
 * `always`/`namespaces`/`clusters` and DRA claims the project does not allow for every change except a shrink-only
 * one. Deletes are never refused or held by this policy (permissions decide them).
 * @public
 */
export function evaluateChange(input: ChangeInput): PolicyVerdict {
  const next = totalsOf(
    input.next,
    input.namespace,
    input.acceleratorResources,
  );
  const prev = input.previous
    ? totalsOf(input.previous, input.namespace, input.acceleratorResources)
    : undefined;
  const profile: ProjectPodSecurity = input.project?.podSecurity ??
    input.podSecurity ?? { level: 'baseline-gpu' };
  const verdict: PolicyVerdict = {
    allowed: true,
    denials: [],
    approvalRequired: false,
    reasons: [],
    shrinkOnly: false,
    summary: {
      ...next,
      ...(prev ? { previousGpus: prev.gpus, previousPods: prev.pods } : {}),
    },
    ...(input.project ? { project: input.project.name } : {}),
    ...(input.owner ? { owner: input.owner } : {}),
    podSecurity: { level: profile.level, violations: [] },
  };
  if (input.action === 'delete' || !input.next) return verdict;
  const deny = (f: PolicyFinding) => verdict.denials.push(f);
  const shrinkOnly = isShrinkOnly(input.previous, input.next);
  verdict.shrinkOnly = shrinkOnly;
  const tenancy = (input.projects?.length ?? 0) > 0;
  const protectedNs = isProtectedNamespace(
    input.namespace,
    input.protectedNamespaces,
  );

  // Where.
  if (tenancy) {
    if (!input.project)
      deny({
        field: 'metadata.annotations["fusioninfer.io/owner"]',
        rule: 'project',
        message: `${input.owner ?? 'the owner'} has no team project (fusioninfer.projects); name an owner group that has one`,
      });
    else if (
      !projectAllowsDestination(
        input.project,
        input.cluster,
        input.namespace,
        input.protectedNamespaces,
      )
    )
      deny({
        field: 'metadata.namespace',
        rule: 'project.destination',
        message: `namespace ${input.namespace} of cluster ${input.cluster} is not one of project ${input.project.name}'s (${
          input.project.destinations
            .filter(d => d.cluster === input.cluster)
            .flatMap(d => d.namespaces)
            .join(', ') || 'none in this cluster'
        })`,
      });
  } else if (
    protectedNs &&
    !(input.explicitNamespaces ?? []).includes(input.namespace)
  )
    deny({
      field: 'metadata.namespace',
      rule: 'protected-namespace',
      message: `namespace ${input.namespace} is protected (kube-* and the backend's own); list it by name in fusioninfer.clusters[].namespaces to allow it`,
    });

  // How privileged: only violations the live service does not already have.
  if (profile.level !== 'privileged') {
    const before = new Set(
      input.previous
        ? checkPodSecurity(input.previous, profile).map(findingKey)
        : [],
    );
    const violations = checkPodSecurity(input.next, profile).map(v => ({
      field: v.path,
      rule: v.rule,
      message: v.message,
    }));
    verdict.podSecurity.violations = violations;
    for (const v of violations) if (!before.has(findingKey(v))) deny(v);
  }

  // How much: the project's quota in this cluster.
  const limit = input.project?.gpuQuota?.[input.cluster];
  if (limit !== undefined) {
    const inUse = input.projectGpusInUse ?? 0;
    const quota = {
      cluster: input.cluster,
      limit,
      before: round(inUse + (prev?.gpus ?? 0)),
      after: round(inUse + next.gpus),
    };
    verdict.quota = quota;
    if (quota.after > limit && quota.after > quota.before)
      deny({
        field: 'spec.roles',
        rule: 'project.quota',
        message: `project ${input.project!.name} would hold ${quota.after} GPUs in cluster ${input.cluster} (${quota.before} before this change), over its quota of ${limit}; an approver with fusioninfer.project.quota.update can raise it (until then nothing is applied, not even after approval)`,
      });
  }

  // Who else must agree.
  // The project's settings replace the global ones they set (an unset field keeps the global value).
  const policy: ApprovalPolicy | undefined =
    input.approvals || input.project?.approvals
      ? {
          ...(input.approvals ?? {}),
          ...Object.fromEntries(
            Object.entries(input.project?.approvals ?? {}).filter(
              ([, v]) => v !== undefined,
            ),
          ),
        }
      : undefined;
  const reasons: string[] = [];
  const grows = !prev || next.gpus > prev.gpus || next.pods > prev.pods;
  if (policy && grows) {
    if (
      policy.maxGpusWithoutApproval !== undefined &&
      next.gpus > policy.maxGpusWithoutApproval
    )
      reasons.push(
        `${plural(next.gpus, 'GPU')} requested; more than ${policy.maxGpusWithoutApproval} need approval`,
      );
    if (
      policy.maxPodsWithoutApproval !== undefined &&
      next.pods > policy.maxPodsWithoutApproval
    )
      reasons.push(
        `${plural(next.pods, 'pod')} requested; more than ${policy.maxPodsWithoutApproval} need approval`,
      );
  }
  if (!shrinkOnly) {
    if (policy?.always)
      reasons.push(
        'every deployment needs approval (fusioninfer.approvals.always)',
      );
    if (policy?.namespaces?.includes(input.namespace))
      reasons.push(`namespace ${input.namespace} requires approval`);
    if (policy?.clusters?.includes(input.cluster))
      reasons.push(`cluster ${input.cluster} requires approval`);
    if (next.resourceClaims > 0 && !input.project?.allowResourceClaims)
      reasons.push(
        `${plural(next.resourceClaims, 'DRA resource claim')} (devices the GPU count cannot see) need approval${input.project ? ` (project ${input.project.name} does not allow them)` : ''}`,
      );
  }
  verdict.reasons = reasons;
  verdict.approvalRequired = reasons.length > 0;
  verdict.allowed = verdict.denials.length === 0;
  return verdict;
}
