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
  ANNOTATIONS,
  InferenceService,
  InferenceServiceStatus,
  KubeObject,
  LABELS,
  LIMITS,
  Pod,
  PodGroup,
  Deployment,
  LeaderWorkerSet,
  isPodReady,
  podCrashReason,
  deriveStatus,
  childNames,
  ServiceDetail,
  entityRefOfService,
  validateInferenceService,
  readRolloutPolicies,
  renderInferenceService,
  RoleRollout,
  CanaryViewResponse,
  routeCanaryWeight,
  summarizeInferenceService,
  SURGE_LABEL,
  TRACK_LABEL,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import { CanaryView, gateRollout, replicaShape } from '../reconciler/rollout';

const UNSCHEDULABLE_TASKS = /(\d+)\/(\d+) tasks in gang unschedulable/;

/** A core/v1 Event as the detail reads it. */
export type EventObject = KubeObject & {
  reason?: string;
  message?: string;
  type?: string;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string };
};

/** The objects of one service a detail is built from (the informer caches, or live lists). */
export interface ServiceObjects {
  leaderWorkerSets: LeaderWorkerSet[];
  pods: Pod[];
  podGroups: PodGroup[];
  deployments: Deployment[];
  pools: KubeObject[];
  routes: KubeObject[];
  /** Events of the namespace (filtered to the service's objects here). */
  events: EventObject[];
}

type PodGroupCondition = {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

/**
 * The scheduling problem of a Volcano PodGroup, read the way Volcano means its status: the phase says where the
 * gang is, and Volcano leaves an old `Unschedulable` condition in place beside a later `Scheduled` one. A gang
 * whose phase is Running or Completed, or whose latest condition is `Scheduled`, has no scheduling problem.
 */
export function gangProblem(
  pg: PodGroup | undefined,
): PodGroupCondition | undefined {
  if (!pg) return undefined;
  const phase = pg.status?.phase;
  if (phase === 'Running' || phase === 'Completed') return undefined;
  const conditions = (pg.status?.conditions ?? []) as PodGroupCondition[];
  const time = (c?: PodGroupCondition) =>
    c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) || 0 : 0;
  const latest = (type: string) =>
    conditions
      .filter(c => c.type === type && c.status === 'True')
      .sort((a, b) => time(b) - time(a))[0];
  const unschedulable = latest('Unschedulable');
  if (!unschedulable) return undefined;
  const scheduled = latest('Scheduled');
  if (scheduled && time(scheduled) >= time(unschedulable)) return undefined;
  return unschedulable;
}

/**
 * Where each workload role's rollout stands, by role name: the reconciler's own gate (`reconciler/rollout.ts`) run on
 * the same objects — the rendered spec hash against each live replica LeaderWorkerSet's, readiness from the pods at
 * the replica's current spec — so the tab shows what the reconciler decides. Only roles whose rollout is under way
 * (a live replica at another spec, or a surge replica) or whose service carries the rollout annotation. The LWS spec
 * hash does not depend on the backend's render options (EPP images and flags), so the namespace and UID suffice.
 */
function rolloutsOf(
  isvc: InferenceService,
  lws: LeaderWorkerSet[],
  pods: Pod[],
  route: KubeObject | undefined,
): { rollouts: Map<string, RoleRollout>; canary?: CanaryViewResponse } {
  const out = new Map<string, RoleRollout>();
  const { policies, annotated } = readRolloutPolicies(isvc);
  // GPUs of one replica as the scheduler counts them (sidecars included): what a surge replica adds.
  const summaries = summarizeInferenceService(isvc).roles;
  const gpusPerReplica = (role: string) => {
    const shape = replicaShape(summaries, role);
    return shape.gpusPerPod * shape.pods;
  };
  const render = {
    namespace: isvc.metadata.namespace,
    ownerUid: isvc.metadata.uid,
  };
  const desired = renderInferenceService(isvc, render).children;
  const uid = isvc.metadata.uid;
  // Only the service's own replicas (a foreign LWS with its labels is not a replica of it).
  const liveLws = lws.filter(
    l =>
      !uid ||
      (l.metadata.ownerReferences ?? []).some(
        r => r.controller && r.uid === uid,
      ),
  ) as KubeObject[];
  const { step, canary } = gateRollout({
    isvc,
    desired,
    liveLws,
    pods,
    render,
    liveRoute: route,
  });
  const rendered = new Map(
    desired
      .filter(c => c.kind === 'LeaderWorkerSet')
      .map(c => [c.metadata.name, c.metadata.labels?.[LABELS.specHash]]),
  );
  const condition = (isvc.status?.conditions ?? []).find(
    c => c.type === 'RolloutProgressing',
  );
  // The condition's message is one part per moving role, "<role>: …", joined by ". ".
  const parts = (condition?.message ?? '').split('. ');
  for (const s of step?.roles ?? []) {
    const mine = liveLws.filter(
      l =>
        l.metadata.labels?.[LABELS.roleName] === s.role &&
        l.metadata.labels?.[TRACK_LABEL] !== 'canary',
    );
    const active = mine.some(l => {
      if (l.metadata.labels?.[SURGE_LABEL] === 'true') return true;
      const want = rendered.get(l.metadata.name);
      return (
        want !== undefined && want !== l.metadata.labels?.[LABELS.specHash]
      );
    });
    if (!active && !annotated) continue;
    const policy = policies[s.role];
    if (!policy) continue;
    const surge = mine.filter(
      l => l.metadata.labels?.[SURGE_LABEL] === 'true',
    ).length;
    const role = (isvc.spec?.roles ?? []).find(r => r?.name === s.role);
    const message =
      condition?.status === 'True'
        ? parts.find(p => p.startsWith(`${s.role}: `))
        : undefined;
    out.set(s.role, {
      policy,
      configured: annotated,
      active,
      replicas: Math.max(0, role?.replicas ?? 1),
      updatedReplicas: s.updatedReplicas,
      readyReplicas: s.readyReplicas,
      surgeReplicas: surge,
      surgeGpus: surge * gpusPerReplica(s.role),
      paused: policy.paused,
      phase: active ? s.phase : 'complete',
      ...(active && s.reason ? { reason: s.reason } : {}),
      ...(message ? { message } : {}),
    });
  }
  return {
    rollouts: out,
    ...(canary
      ? { canary: canaryViewOf(canary, liveLws, route, isvc.metadata.name!) }
      : {}),
  };
}

/** The canary section of the detail: policy and state as recorded, and what the cluster shows now. */
function canaryViewOf(
  c: CanaryView,
  liveLws: KubeObject[],
  route: KubeObject | undefined,
  svc: string,
): CanaryViewResponse {
  const mine = liveLws.filter(
    l => l.metadata.labels?.[TRACK_LABEL] === 'canary',
  );
  return {
    policy: {
      ...c.policy,
      steps: [...c.policy.steps],
      analysis: { ...c.policy.analysis },
    },
    revision: c.revision,
    active: c.mode.active,
    ...(c.status ? { state: c.status } : {}),
    routeWeight: routeCanaryWeight(route, svc),
    canaryReplicas: mine.length,
    readyCanaryReplicas: mine.filter(
      l => ((l as LeaderWorkerSet).status?.readyReplicas ?? 0) >= 1,
    ).length,
    ...(c.mode.reason ? { message: c.mode.reason } : {}),
    ...(c.gatewayProblem ? { gatewayProblem: c.gatewayProblem } : {}),
  };
}

/**
 * Everything the Inference tab shows about one service, built from objects already at hand (no I/O). Bounded by the
 * validation limits: a valid service lists every replica its spec asks for (at most `LIMITS.replicasPerRole` per
 * role, `LIMITS.childrenPerService` in all); an invalid one (a stored object over a limit) lists only the replicas
 * whose LeaderWorkerSets exist, so nothing proportional to a hostile count is allocated.
 */
export function describeServiceFrom(
  cluster: string,
  isvc: InferenceService,
  objects: ServiceObjects,
  knownStatus?: InferenceServiceStatus,
): ServiceDetail {
  const ns = isvc.metadata.namespace!;
  const name = isvc.metadata.name!;
  const { pods, podGroups, deployments, pools, routes } = objects;
  const lws = objects.leaderWorkerSets;
  const valid = validateInferenceService(isvc).valid;
  const specRoles = (Array.isArray(isvc.spec?.roles) ? isvc.spec.roles : [])
    .filter(r => r && typeof r === 'object')
    .slice(0, LIMITS.roles);
  const status =
    knownStatus ??
    isvc.status ??
    (valid
      ? deriveStatus(isvc, {
          leaderWorkerSets: lws,
          pods,
          podGroup: podGroups.find(
            g => g.metadata.name === childNames.podGroup(name),
          ),
          eppDeployment: deployments.find(
            d => d.metadata.name === childNames.epp(name),
          ),
        }).status
      : {});
  const podView = (p: Pod) => ({
    name: p.metadata.name!,
    role: p.metadata.labels?.[LABELS.roleName],
    replica: Number(p.metadata.labels?.[LABELS.replicaIndex] ?? 0) || 0,
    leader: p.metadata.labels?.[LABELS.lwsWorkerIndex] === '0',
    phase: p.status?.phase,
    ready: isPodReady(p),
    node: p.spec?.nodeName,
    restarts: (p.status?.containerStatuses ?? []).reduce(
      (sum, c) => sum + (c.restartCount ?? 0),
      0,
    ),
    problem: podCrashReason(p),
  });
  // Pods by role and replica, so a detail costs O(pods), not O(replicas × pods).
  const podsByReplica = new Map<string, Pod[]>();
  for (const p of pods) {
    // A canary replica's pods share the role and index labels of a stable replica: filed apart.
    const track =
      p.metadata.labels?.[TRACK_LABEL] === 'canary' ? 'canary:' : '';
    const k = `${track}${p.metadata.labels?.[LABELS.roleName]}/${p.metadata.labels?.[LABELS.replicaIndex]}`;
    const list = podsByReplica.get(k);
    if (list) list.push(p);
    else podsByReplica.set(k, [p]);
  }
  const lwsByName = new Map(lws.map(l => [l.metadata.name, l]));
  // Rendering is bounded by the validation limits, so only a valid service is expanded.
  const route = routes.find(x => x.metadata.name === childNames.route(name));
  const { rollouts, canary } = valid
    ? rolloutsOf(isvc, lws, pods, route)
    : { rollouts: new Map<string, RoleRollout>(), canary: undefined };
  let budget: number = LIMITS.childrenPerService;
  const roles = specRoles
    .filter(r => r.componentType !== 'router')
    .map(r => {
      const requested =
        typeof r.replicas === 'number' && Number.isFinite(r.replicas)
          ? Math.max(0, Math.floor(r.replicas))
          : 1;
      let indexes: number[];
      if (valid) {
        const n = Math.min(requested, LIMITS.replicasPerRole, budget);
        budget -= n;
        indexes = Array.from({ length: n }, (_, i) => i);
      } else {
        // Never expand an invalid spec: only the replicas that exist.
        const prefix = `${childNames.lws(name, r.name, 0).slice(0, -1)}`;
        indexes = lws
          .map(l => l.metadata.name ?? '')
          .filter(n => n.startsWith(prefix))
          .map(n => Number(n.slice(prefix.length)))
          .filter(i => Number.isSafeInteger(i) && i >= 0)
          .sort((a, b) => a - b)
          .slice(0, Math.max(0, budget));
        budget -= indexes.length;
      }
      return {
        name: r.name,
        componentType: r.componentType,
        status: status.components?.[r.name],
        replicas: indexes.map(i => {
          const lwsName = childNames.lws(name, r.name, i);
          const l = lwsByName.get(lwsName);
          return {
            index: i,
            leaderWorkerSet: lwsName,
            readyGroups: l?.status?.readyReplicas ?? 0,
            pods: (podsByReplica.get(`${r.name}/${i}`) ?? []).map(podView),
          };
        }),
        ...(rollouts.has(r.name) ? { rollout: rollouts.get(r.name) } : {}),
      };
    });
  // The service's own PodGroup, pool and route (a surge or canary replica's PodGroup, the canary's pool are others).
  const pg = podGroups.find(g => g.metadata.name === childNames.podGroup(name));
  const pool = pools.find(x => x.metadata.name === childNames.pool(name));
  const unschedulable = gangProblem(pg);
  const m = unschedulable?.message
    ? UNSCHEDULABLE_TASKS.exec(unschedulable.message)
    : null;
  const podsOfTask = (task: string) =>
    pods.filter(
      p => p.metadata.annotations?.[ANNOTATIONS.volcanoTaskSpec] === task,
    );
  const gang = pg
    ? {
        name: pg.metadata.name!,
        phase: pg.status?.phase ?? 'Pending',
        minMember: pg.spec.minMember,
        running: pg.status?.running ?? 0,
        tasks: Object.entries(pg.spec.minTaskMember ?? {}).map(
          ([task, min]) => ({
            task,
            min,
            scheduled: podsOfTask(task).filter(p => !!p.spec?.nodeName).length,
          }),
        ),
        unschedulable: unschedulable
          ? {
              reason: unschedulable.reason,
              message: unschedulable.message,
              unschedulableTasks: m ? Number(m[1]) : undefined,
              totalTasks: m ? Number(m[2]) : undefined,
            }
          : undefined,
      }
    : undefined;
  const routerRole = specRoles.find(r => r.componentType === 'router');
  const epp = deployments.find(d => d.metadata.name === childNames.epp(name));
  const eppPods = pods.filter(
    p => p.metadata.labels?.app === childNames.epp(name),
  );
  const router = routerRole
    ? {
        role: routerRole.name,
        strategy: routerRole.endpointPickerConfig
          ? ('custom' as const)
          : (routerRole.strategy ?? 'prefix-cache'),
        epp: epp
          ? {
              image: epp.spec.template.spec?.containers?.[0]?.image,
              ready: (epp.status?.availableReplicas ?? 0) >= 1,
              conditions: epp.status?.conditions ?? [],
              problems: eppPods
                .map(p => ({
                  pod: p.metadata.name!,
                  reason: podCrashReason(p),
                  message:
                    p.status?.containerStatuses?.[0]?.state?.waiting?.message,
                }))
                .filter(x => x.reason),
            }
          : undefined,
        inferencePool: pool
          ? {
              name: pool.metadata.name!,
              parents: (pool as any).status?.parents ?? [],
            }
          : undefined,
        httpRoute: route
          ? {
              name: route.metadata.name!,
              parents: (route as any).status?.parents ?? [],
            }
          : undefined,
      }
    : undefined;
  const related = new Set([
    name,
    ...lws.map(l => l.metadata.name),
    ...pods.map(p => p.metadata.name),
    ...deployments.map(d => d.metadata.name),
    ...(pg ? [pg.metadata.name] : []),
  ]);
  const when = (e: EventObject) =>
    String(
      e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '',
    );
  return {
    cluster,
    namespace: ns,
    name,
    entityRef: entityRefOfService(isvc),
    createdAt: isvc.metadata.creationTimestamp,
    generation: isvc.metadata.generation,
    spec: {
      roles: specRoles.map(r => ({
        name: r.name,
        componentType: r.componentType,
        replicas: r.componentType === 'router' ? undefined : (r.replicas ?? 1),
        nodesPerReplica: r.multinode?.nodeCount ?? 1,
        strategy: r.strategy,
      })),
    },
    status,
    roles,
    ...(canary ? { canary } : {}),
    gang,
    router,
    events: objects.events
      .filter(e => related.has(e.involvedObject?.name))
      .sort((a, b) => when(b).localeCompare(when(a)))
      .slice(0, 50)
      .map(e => ({
        type: e.type,
        reason: e.reason,
        message: e.message,
        object: `${e.involvedObject?.kind}/${e.involvedObject?.name}`,
        lastTimestamp: e.lastTimestamp,
      })),
  } as ServiceDetail;
}

/** The detail from live LISTs (used only when no informer cache of the cluster is available). */
export async function describeService(
  client: ClusterClient,
  isvc: InferenceService,
  reconciler?: ClusterReconciler,
): Promise<ServiceDetail> {
  const ns = isvc.metadata.namespace!;
  const name = isvc.metadata.name!;
  const selector = `${LABELS.service}=${name}`;
  const [
    leaderWorkerSets,
    pods,
    podGroups,
    deployments,
    pools,
    routes,
    events,
  ] = await Promise.all([
    client.list<LeaderWorkerSet>(KINDS.LeaderWorkerSet, ns, selector),
    client.list<Pod>(KINDS.Pod, ns, selector),
    client.list<PodGroup>(KINDS.PodGroup, ns, selector),
    client.list<Deployment>(KINDS.Deployment, ns, selector),
    client.list<KubeObject>(KINDS.InferencePool, ns, selector),
    client.list<KubeObject>(KINDS.HTTPRoute, ns, selector),
    client.list<EventObject>(KINDS.Event, ns).catch(() => []),
  ]);
  return describeServiceFrom(
    client.name,
    isvc,
    { leaderWorkerSets, pods, podGroups, deployments, pools, routes, events },
    reconciler?.statuses.get(`${ns}/${name}`),
  );
}
