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

import { CONDITIONS, LABELS } from './constants';
import { canonicalJson } from './hash';
import { TRACK_LABEL } from './canary/policy';
import { childNames } from './names';
import { buildContext } from './render';
import {
  ComponentPhase,
  ComponentStatus,
  Condition,
  Deployment,
  InferenceServiceStatus,
  LeaderWorkerSet,
  Pod,
  PodGroup,
} from './types';

/** What the controller observed of a service's children (any subset; missing means "not found"). @public */
export interface ObservedChildren {
  leaderWorkerSets?: LeaderWorkerSet[];
  /** Pods of the service (LWS pods and EPP pods); when given, readiness is counted per pod instead of per group. */
  pods?: Pod[];
  podGroup?: PodGroup;
  eppDeployment?: Deployment;
}

/** An extra condition the caller wants on the service (e.g. an ownership conflict). @public */
export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Options of {@link deriveStatus}. @public */
export interface DeriveStatusOptions {
  /** Clock; defaults to the current time. */
  now?: Date | string;
  /** Error text of a failed reconcile (transient or not); sets `Failed=True`. */
  error?: string;
  /** Validation errors of the spec; sets `Failed=True` and `Active=False/InvalidSpec`. */
  invalid?: string;
  /** Additional conditions to set (same semantics: transition time only moves when the status flips). */
  conditions?: ConditionInput[];
}

/** Result of {@link deriveStatus}. @public */
export interface DeriveStatusResult {
  status: InferenceServiceStatus;
  /** False when the derived status equals the current one: a controller then writes nothing. */
  changed: boolean;
}

const CRASH_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);
const MAX_MESSAGE = 32768;
const PHASE_ORDER: ComponentPhase[] = [
  'Failed',
  'Unknown',
  'Pending',
  'Deploying',
  'Running',
];

const isoSeconds = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

/** True when a pod counts as ready (Ready condition True, not terminating). @public */
export function isPodReady(pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return (pod.status?.conditions ?? []).some(
    c => c.type === 'Ready' && c.status === 'True',
  );
}

/** The crash reason of a pod (CrashLoopBackOff, ImagePullBackOff, Failed …), if any. @public */
export function podCrashReason(pod: Pod): string | undefined {
  if (pod.status?.phase === 'Failed') return 'Failed';
  for (const cs of pod.status?.containerStatuses ?? []) {
    const reason = cs.state?.waiting?.reason;
    if (reason && CRASH_REASONS.has(reason)) return reason;
  }
  return undefined;
}

function setCondition(
  list: Condition[],
  input: ConditionInput & { observedGeneration?: number },
  now: string,
): void {
  const message =
    input.message.length > MAX_MESSAGE
      ? `${input.message.slice(0, MAX_MESSAGE - 1)}…`
      : input.message;
  const i = list.findIndex(c => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message,
    lastTransitionTime: now,
    ...(input.observedGeneration !== undefined
      ? { observedGeneration: input.observedGeneration }
      : {}),
  };
  if (i < 0) {
    list.push(next);
    return;
  }
  if (list[i].status === input.status && list[i].lastTransitionTime)
    next.lastTransitionTime = list[i].lastTransitionTime;
  list[i] = next;
}

/**
 * Derives the status of an InferenceService from its observed children (spec §4), fixing upstream's gaps: `Failed`
 * is cleared on recovery, conditions carry `observedGeneration`, routers get a component, readiness is per pod when
 * pods are known, crash-looping pods make a component `Failed`, and nothing changes (not even a timestamp) when
 * nothing changed — so a controller writes nothing at steady state.
 * @public
 */
export function deriveStatus(
  isvc: unknown,
  observed: ObservedChildren = {},
  options: DeriveStatusOptions = {},
): DeriveStatusResult {
  const ctx = buildContext(isvc);
  const obj = (typeof isvc === 'object' && isvc !== null ? isvc : {}) as {
    metadata?: { generation?: number };
    status?: InferenceServiceStatus;
  };
  const prev: InferenceServiceStatus =
    obj.status && typeof obj.status === 'object' ? obj.status : {};
  const generation =
    typeof obj.metadata?.generation === 'number'
      ? obj.metadata.generation
      : undefined;
  const nowDate = options.now ? new Date(options.now) : new Date();
  const now = isoSeconds(
    Number.isNaN(nowDate.getTime()) ? new Date() : nowDate,
  );

  const objects = <T>(list: unknown): T[] | undefined =>
    Array.isArray(list)
      ? (list.filter(
          o => typeof o === 'object' && o !== null && !Array.isArray(o),
        ) as T[])
      : undefined;
  const lwsByName = new Map(
    (objects<LeaderWorkerSet>(observed.leaderWorkerSets) ?? []).map(l => [
      l.metadata?.name,
      l,
    ]),
  );
  const pods = objects<Pod>(observed.pods);
  const components: Record<string, ComponentStatus> = {};
  const prevComponents =
    prev.components && typeof prev.components === 'object'
      ? prev.components
      : {};

  const finish = (name: string, c: Omit<ComponentStatus, 'lastUpdateTime'>) => {
    const before = prevComponents[name];
    const same =
      before &&
      before.desiredReplicas === c.desiredReplicas &&
      before.readyReplicas === c.readyReplicas &&
      before.nodesPerReplica === c.nodesPerReplica &&
      before.totalPods === c.totalPods &&
      before.readyPods === c.readyPods &&
      before.phase === c.phase;
    components[name] = {
      ...c,
      lastUpdateTime:
        same && before.lastUpdateTime ? before.lastUpdateTime : now,
    };
  };

  for (const role of ctx.workloadRoles) {
    if (!role.name || components[role.name]) continue;
    let readyReplicas = 0;
    let readyPodsFromGroups = 0;
    let anyProgress = false;
    for (let i = 0; i < role.replicas; i++) {
      const lws = lwsByName.get(childNames.lws(ctx.svc, role.name, i));
      if (!lws) continue;
      const r = lws.status?.readyReplicas ?? 0;
      if (r >= 1) readyReplicas++;
      if (r >= 1 || (lws.status?.replicas ?? 0) > 0) anyProgress = true;
      readyPodsFromGroups += r * role.nodeCount;
    }
    let readyPods = readyPodsFromGroups;
    let crashed: string | undefined;
    if (pods) {
      const mine = pods.filter(
        p =>
          p.metadata?.labels?.[LABELS.service] === ctx.svc &&
          p.metadata?.labels?.[LABELS.roleName] === role.name &&
          // A canary's pods are not the role's replicas (their own pool and state say how they do).
          p.metadata?.labels?.[TRACK_LABEL] !== 'canary' &&
          Number(p.metadata?.labels?.[LABELS.replicaIndex] ?? -1) <
            role.replicas,
      );
      readyPods = Math.min(
        mine.filter(isPodReady).length,
        role.replicas * role.nodeCount,
      );
      if (mine.length > 0) anyProgress = true;
      crashed = mine.map(podCrashReason).find(Boolean);
    }
    let phase: ComponentPhase;
    if (readyReplicas >= role.replicas) phase = 'Running';
    else if (crashed) phase = 'Failed';
    else if (anyProgress) phase = 'Deploying';
    else phase = 'Pending';
    finish(role.name, {
      desiredReplicas: role.replicas,
      readyReplicas,
      nodesPerReplica: role.nodeCount,
      totalPods: role.replicas * role.nodeCount,
      readyPods,
      phase,
    });
  }

  const router = ctx.routers[0];
  if (router?.name && !components[router.name]) {
    const dep =
      observed.eppDeployment && typeof observed.eppDeployment === 'object'
        ? observed.eppDeployment
        : undefined;
    const ready = Math.min(1, dep?.status?.availableReplicas ?? 0);
    const eppPods = (pods ?? []).filter(
      p => p.metadata?.labels?.app === childNames.epp(ctx.svc),
    );
    const crashed = eppPods.map(podCrashReason).find(Boolean);
    let phase: ComponentPhase;
    if (ready >= 1) phase = 'Running';
    else if (crashed) phase = 'Failed';
    else if (dep) phase = 'Deploying';
    else phase = 'Pending';
    finish(router.name, {
      desiredReplicas: 1,
      readyReplicas: ready,
      nodesPerReplica: 1,
      totalPods: 1,
      readyPods: pods
        ? Math.min(1, eppPods.filter(isPodReady).length)
        : Math.min(1, dep?.status?.readyReplicas ?? 0),
      phase,
    });
  }

  const workloadNames = new Set(ctx.workloadRoles.map(r => r.name));
  const list = Object.entries(components);
  let phase: ComponentPhase = 'Pending';
  if (options.invalid) phase = 'Failed';
  else if (list.length > 0) {
    phase = list
      .map(([, c]) => c.phase)
      .reduce((a, b) =>
        PHASE_ORDER.indexOf(a) <= PHASE_ORDER.indexOf(b) ? a : b,
      );
  }

  const conditions: Condition[] = (
    objects<Condition>(prev.conditions) ?? []
  ).map(c => ({ ...c }));
  const og = generation !== undefined ? { observedGeneration: generation } : {};
  // Initialized is set once; afterwards only its observedGeneration follows the spec.
  const init = conditions.findIndex(
    c => c.type === CONDITIONS.initialized.type,
  );
  if (init < 0) {
    setCondition(
      conditions,
      {
        type: CONDITIONS.initialized.type,
        status: 'True',
        reason: CONDITIONS.initialized.reason,
        message: CONDITIONS.initialized.message,
        ...og,
      },
      now,
    );
  } else if (generation !== undefined) {
    conditions[init] = { ...conditions[init], observedGeneration: generation };
  }
  const allRunning =
    list.length > 0 && list.every(([, c]) => c.phase === 'Running');
  if (options.invalid) {
    setCondition(
      conditions,
      {
        type: CONDITIONS.active.type,
        status: 'False',
        reason: CONDITIONS.active.invalidReason,
        message: options.invalid,
        ...og,
      },
      now,
    );
  } else if (allRunning) {
    setCondition(
      conditions,
      {
        type: CONDITIONS.active.type,
        status: 'True',
        reason: CONDITIONS.active.readyReason,
        message: CONDITIONS.active.readyMessage,
        ...og,
      },
      now,
    );
  } else {
    setCondition(
      conditions,
      {
        type: CONDITIONS.active.type,
        status: 'False',
        reason: CONDITIONS.active.processingReason,
        message: CONDITIONS.active.processingMessage,
        ...og,
      },
      now,
    );
  }
  const failure = options.invalid ?? options.error;
  if (failure) {
    setCondition(
      conditions,
      {
        type: CONDITIONS.failed.type,
        status: 'True',
        reason: CONDITIONS.failed.reason,
        message: failure,
        ...og,
      },
      now,
    );
  } else if (
    conditions.some(
      c => c.type === CONDITIONS.failed.type && c.status === 'True',
    )
  ) {
    setCondition(
      conditions,
      {
        type: CONDITIONS.failed.type,
        status: 'False',
        reason: CONDITIONS.failed.recoveredReason,
        message: CONDITIONS.failed.recoveredMessage,
        ...og,
      },
      now,
    );
  } else {
    const i = conditions.findIndex(c => c.type === CONDITIONS.failed.type);
    if (
      i >= 0 &&
      generation !== undefined &&
      conditions[i].observedGeneration !== generation
    ) {
      conditions[i] = { ...conditions[i], observedGeneration: generation };
    }
  }
  for (const extra of options.conditions ?? [])
    setCondition(conditions, { ...extra, ...og }, now);

  const status: InferenceServiceStatus = {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    components,
    replicas: list
      .filter(([n]) => workloadNames.has(n))
      .reduce((s, [, c]) => s + c.desiredReplicas, 0),
    readyReplicas: list
      .filter(([n]) => workloadNames.has(n))
      .reduce((s, [, c]) => s + c.readyReplicas, 0),
    phase,
  };
  return { status, changed: canonicalJson(status) !== canonicalJson(prev) };
}
