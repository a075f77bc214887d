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

import { CONDITIONS } from './constants';
import type { ServiceDetail } from './rest/services';
import type { ComponentType } from './types';

/**
 * The words for a service's state, in the order {@link serviceState} decides them: `Stale` (the status describes an
 * older spec), `Failed`, `Unknown` (conditions without `Active`), `Degraded`, `Ready`, `Progressing`.
 * @public
 */
export const SERVICE_STATE_KINDS = [
  'Stale',
  'Failed',
  'Unknown',
  'Degraded',
  'Ready',
  'Progressing',
] as const;

/** The one word for a service's state: one of {@link SERVICE_STATE_KINDS}. @public */
export type ServiceStateKind = (typeof SERVICE_STATE_KINDS)[number];

/** One workload role (worker, prefiller, decoder) in a {@link ServiceState}. @public */
export interface ServiceRoleState {
  /** Role name (`spec.roles[].name`). */
  name: string;
  /** `worker`, `prefiller` or `decoder`. */
  componentType: ComponentType;
  /** Replicas the spec asks for: the status's `desiredReplicas`, or the current spec's while the status is stale. */
  replicas: number;
  /**
   * Replicas (LeaderWorkerSet groups) with every pod ready: the status's `readyReplicas`, or — while the status is
   * stale or absent — the replicas whose LeaderWorkerSet reports a ready group.
   */
  readyReplicas: number;
  /** The role's phase in the status (Pending, Deploying, Running, Failed, Unknown); absent while stale. */
  phase?: string;
  /** Pods with a crash reason, as `<pod>: <reason>` (CrashLoopBackOff, ImagePullBackOff, Failed …). */
  problems: string[];
}

/** What {@link serviceState} answers about a service. @public */
export interface ServiceState {
  /** The one word for the service (the Inference tab's header). */
  kind: ServiceStateKind;
  /** One line that says why: a condition message, the problems, or `x of N replicas ready`. */
  message: string;
  /**
   * The service serves its current spec: the status is for the current generation, `Active=True`, no `Failed=True`,
   * no crashing pod, conflict, missing replica or unready endpoint picker. Exactly `kind === 'Ready'`.
   */
  ready: boolean;
  /**
   * `status.phase` (Pending, Deploying, Running, Failed, Unknown); `Updating` while the status is stale, `Pending`
   * before the controller wrote any.
   */
  phase: string;
  /** The status describes an older spec: `observedGeneration` is below `generation`. Never ready then. */
  stale: boolean;
  /** `metadata.generation` of the service (the spec version). */
  generation?: number;
  /**
   * The generation the status describes: `status.observedGeneration`, or the `Active` condition's when that is
   * older or the only one set. Absent when the controller sets neither: the status then counts as current.
   */
  observedGeneration?: number;
  /** Why the service cannot become ready without a spec change (`Active=False/InvalidSpec` for the current spec). */
  fatal?: string;
  /**
   * One line for progress logs, e.g. `Running — inference 1/1 replicas ready, router ready`
   * (`invalid spec` when {@link ServiceState.fatal}).
   */
  progress: string;
  /**
   * What still keeps the service from Ready, most specific first (no status yet or an older generation, invalid
   * spec, a failed reconcile, a conflict, a gang that cannot be placed, roles short of replicas with their crashing
   * and unscheduled pods, the endpoint picker); empty when ready.
   */
  missing: string[];
  /** The workload roles, in spec order. */
  roles: ServiceRoleState[];
  /** The router role: `ready` when its endpoint picker Deployment has an available pod. */
  router?: { name: string; ready: boolean };
  /** The Volcano PodGroup, when the service is gang-scheduled; `running` as {@link isGangRunning} says. */
  gang?: { name: string; phase: string; running: boolean };
}

/** Options of {@link serviceState}. @public */
export interface ServiceStateOptions {
  /** How many crashing pods of one role {@link ServiceState.missing} names (default 3). */
  maxPodProblems?: number;
}

/**
 * Whether a Volcano gang runs, read the way Volcano means its status: phase `Completed`, or `Running` with at least
 * `minMember` pods running. A stale `Unschedulable` condition beside a later `Scheduled` one does not matter.
 * @public
 */
export function isGangRunning(gang: {
  /** PodGroup phase: Pending, Inqueue, Running, Unknown, Completed. */
  phase: string;
  /** Pods running. */
  running: number;
  /** Pods the gang needs at the same time. */
  minMember?: number;
}): boolean {
  return (
    gang.phase === 'Completed' ||
    (gang.phase === 'Running' && gang.running >= (gang.minMember ?? 0))
  );
}

const plural = (n: number, noun: string) =>
  `${n} ${n === 1 ? noun : `${noun}s`}`;

/**
 * What state a service is in, from its REST detail (`GET …/services/:name`). Pure; the one reading the Inference
 * tab, the scaffolder's `wait` and the backend's `get-service-status` action share.
 *
 * The rules, in order:
 * 1. **Stale** when `observedGeneration` (status level, or the `Active` condition's) is below `metadata.generation`:
 *    every condition then describes an older spec, so nothing in it counts — not even `Failed` — until the
 *    controller reports on the current one. Without any `observedGeneration` the status counts as current.
 * 2. **Failed** on `Failed=True` (a reconcile error; the controller retries) or `Active=False/InvalidSpec` (then
 *    also `fatal`: only a spec change helps).
 * 3. Without an `Active` condition: **Degraded** when something fails, else **Unknown** (other conditions) or
 *    **Progressing** (no status yet).
 * 4. `Active=True`: **Ready**, or **Degraded** when a pod crashes, the endpoint picker fails or is not ready, a
 *    child is controlled by another owner (`ChildConflict=True`) or fewer replicas are ready than desired.
 * 5. `Active=False`: **Degraded** when something fails, else **Progressing**.
 *
 * `ready` is `kind === 'Ready'`.
 * @public
 */
export function serviceState(
  detail: ServiceDetail,
  options: ServiceStateOptions = {},
): ServiceState {
  const maxPodProblems = options.maxPodProblems ?? 3;
  const status = detail.status ?? {};
  const conditions = status.conditions ?? [];
  const condition = (type: string) => conditions.find(c => c.type === type);
  const active = condition(CONDITIONS.active.type);
  const failed = condition(CONDITIONS.failed.type);
  const conflict = conditions.find(
    c => c.type === 'ChildConflict' && c.status === 'True',
  );
  const { generation } = detail;
  const generations = [
    status.observedGeneration,
    active?.observedGeneration,
  ].filter((g): g is number => typeof g === 'number');
  const observedGeneration = generations.length
    ? Math.min(...generations)
    : undefined;
  const stale =
    generation !== undefined &&
    observedGeneration !== undefined &&
    observedGeneration < generation;

  const specRoles = new Map((detail.spec?.roles ?? []).map(r => [r.name, r]));
  const podsOf = (detail.roles ?? []).map(r => r.replicas.flatMap(x => x.pods));
  const roles: ServiceRoleState[] = (detail.roles ?? []).map((r, i) => {
    const current = stale ? undefined : r.status;
    const pods = podsOf[i];
    return {
      name: r.name,
      componentType: r.componentType,
      replicas:
        current?.desiredReplicas ??
        specRoles.get(r.name)?.replicas ??
        r.replicas.length,
      readyReplicas:
        current?.readyReplicas ??
        r.replicas.filter(x => x.readyGroups > 0).length,
      ...(current?.phase ? { phase: current.phase } : {}),
      problems: pods.filter(p => p.problem).map(p => `${p.name}: ${p.problem}`),
    };
  });
  const epp = detail.router?.epp;
  const router = detail.router
    ? { name: detail.router.role, ready: !!epp?.ready }
    : undefined;
  const gang = detail.gang
    ? {
        name: detail.gang.name,
        phase: detail.gang.phase,
        running: isGangRunning(detail.gang),
      }
    : undefined;

  const fatal =
    !stale &&
    active?.status === 'False' &&
    active.reason === CONDITIONS.active.invalidReason
      ? `the InferenceService is invalid: ${active.message ?? ''}`.trim()
      : undefined;
  const { kind, message } = decide();
  const ready = kind === 'Ready';
  const phase = stale ? 'Updating' : (status.phase ?? 'Pending');
  const roleLines = roles.map(
    r => `${r.name} ${r.readyReplicas}/${r.replicas}`,
  );
  const progress = fatal
    ? 'invalid spec'
    : `${phase}${roleLines.length ? ` — ${roleLines.join(', ')} replicas ready` : ''}${router ? `, router ${router.ready ? 'ready' : 'not ready'}` : ''}`;
  return {
    kind,
    message,
    ready,
    phase,
    stale,
    ...(generation !== undefined ? { generation } : {}),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    ...(fatal ? { fatal } : {}),
    progress,
    missing: ready ? [] : missingParts(),
    roles,
    ...(router ? { router } : {}),
    ...(gang ? { gang } : {}),
  };

  function decide(): { kind: ServiceStateKind; message: string } {
    if (stale)
      return {
        kind: 'Stale',
        message: `The status describes generation ${observedGeneration}; the spec is at generation ${generation} and the controller has not reported on it yet`,
      };
    if (failed?.status === 'True')
      return {
        kind: 'Failed',
        message: failed.message || failed.reason || 'Failed',
      };
    if (fatal) return { kind: 'Failed', message: active?.message || fatal };
    const crashing = podsOf.flat().flatMap(p => (p.problem ? [p.problem] : []));
    const eppProblems = epp?.problems ?? [];
    const problems = [
      ...(conflict
        ? [conflict.message || 'a child is controlled by another owner']
        : []),
      ...(crashing.length
        ? [
            `${plural(crashing.length, 'pod')} failing (${[...new Set(crashing)].join(', ')})`,
          ]
        : []),
      ...(eppProblems.length
        ? [
            `endpoint picker failing (${[...new Set(eppProblems.map(p => p.reason))].join(', ')})`,
          ]
        : []),
    ];
    const replicas =
      status.replicas ?? roles.reduce((s, r) => s + r.replicas, 0);
    const readyReplicas =
      status.readyReplicas ?? roles.reduce((s, r) => s + r.readyReplicas, 0);
    const counts = `${readyReplicas} of ${plural(replicas, 'replica')} ready`;
    if (!active) {
      if (problems.length)
        return { kind: 'Degraded', message: problems.join('; ') };
      return conditions.length
        ? { kind: 'Unknown', message: 'No Active condition reported' }
        : {
            kind: 'Progressing',
            message: 'Waiting for the controller to report status',
          };
    }
    if (active.status === 'True') {
      const degraded = [
        ...problems,
        ...(router && !router.ready && !eppProblems.length
          ? ['endpoint picker not ready']
          : []),
        ...(replicas - readyReplicas > 0 ? [counts] : []),
      ];
      return degraded.length
        ? { kind: 'Degraded', message: degraded.join('; ') }
        : { kind: 'Ready', message: active.message || 'Ready' };
    }
    if (problems.length)
      return { kind: 'Degraded', message: problems.join('; ') };
    return {
      kind: 'Progressing',
      message: `${active.message || active.reason || 'Reconciling'} (${counts})`,
    };
  }

  function missingParts(): string[] {
    if (fatal) return [active?.message ?? 'invalid spec'];
    const out: string[] = [];
    if (!conditions.length)
      out.push('the controller has not reported a status yet');
    else if (stale)
      out.push(`the controller has not observed generation ${generation} yet`);
    if (!stale && failed?.status === 'True')
      out.push(
        `the last reconcile failed: ${failed.message || failed.reason || 'Failed'}`,
      );
    if (!stale && conflict)
      out.push(conflict.message || 'a child is controlled by another owner');
    const g = detail.gang;
    if (g && !isGangRunning(g)) {
      if (g.unschedulable)
        out.push(
          `PodGroup ${g.name} cannot be placed (gang of ${g.minMember ?? '?'} pods): ${g.unschedulable.message ?? g.unschedulable.reason ?? 'Unschedulable'}`,
        );
      else {
        const short = g.tasks.filter(t => t.scheduled < t.min);
        out.push(
          `PodGroup ${g.name} is ${g.phase}${g.phase === 'Running' ? ` with ${g.running} of ${plural(g.minMember ?? 0, 'required pod')}` : ''}${short.length ? ` (${short.map(t => `${t.task}: ${t.scheduled}/${t.min} scheduled`).join(', ')})` : ''}`,
        );
      }
    }
    roles.forEach((role, i) => {
      const short = role.readyReplicas < role.replicas;
      if (short)
        out.push(
          `role ${role.name}: ${role.readyReplicas}/${role.replicas} replicas ready${role.phase ? ` (${role.phase})` : ''}`,
        );
      for (const p of role.problems.slice(0, maxPodProblems))
        out.push(`pod ${p}`);
      const unscheduled = podsOf[i].filter(p => !p.node).length;
      if (short && unscheduled && !g?.unschedulable)
        out.push(`role ${role.name}: ${unscheduled} pod(s) not scheduled yet`);
    });
    if (router && !router.ready) {
      const why = (epp?.problems ?? [])
        .map(p => `${p.pod}: ${p.reason}${p.message ? ` (${p.message})` : ''}`)
        .join('; ');
      out.push(
        epp
          ? `endpoint picker not ready${why ? `: ${why}` : ''}`
          : 'endpoint picker not created yet',
      );
    }
    if (!out.length) out.push(message);
    return out;
  }
}
