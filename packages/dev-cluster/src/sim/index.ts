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
 * Simulated controllers of the development cluster, driven by the API's change feed:
 * - LeaderWorkerSet: pods named and labelled as the LWS controller does, a headless Service, status and conditions;
 * - Volcano gang scheduling over the Node inventory, with the real PodGroup conditions and messages;
 * - a default scheduler, a kubelet (phases, pod IPs, readiness after a start-up delay, crash loops);
 * - a Deployment controller (pods with pod-template-hash, status, conditions);
 * - model servers on LWS leader pods (OpenAI API + vLLM /metrics) and EPP pods (/metrics, 401 unless auth is off).
 */

import { createHash } from 'crypto';
import {
  LLM_D_ONLY_PLUGIN_TYPES,
  parseEndpointPickerConfig,
  parseQuantity,
  quantityToNumber,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KObject, KubeApi } from '../api';
import { PodHttpResolver } from '../http';
import { ResourceType } from '../resources';
import { engineOptionsFromArgs, EngineOptions, SimEngine } from './engine';
import { modelServerHandler, eppMetricsHandler } from './servers';

export interface SimulationOptions {
  api: KubeApi;
  registerPodHttpHandler?: (r: PodHttpResolver) => void;
  recordEvent?: (
    involved: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => void;
  /** Time from a pod's start to Ready (ms). Default 3000. */
  podStartupDelayMs?: number;
  /** Engine defaults for every model server. */
  engine?: Partial<EngineOptions>;
}

export interface Simulation {
  stop(): Promise<void>;
  /** The engine of a model-server pod (by namespace/name), for tests and the load generator. */
  engineFor(namespace: string, pod: string): SimEngine | undefined;
  /** Runs one reconcile pass now (tests). */
  settle(): Promise<void>;
}

const LWS = {
  name: 'leaderworkerset.sigs.k8s.io/name',
  group: 'leaderworkerset.sigs.k8s.io/group-index',
  worker: 'leaderworkerset.sigs.k8s.io/worker-index',
  groupKey: 'leaderworkerset.sigs.k8s.io/group-key',
  rev: 'leaderworkerset.sigs.k8s.io/template-revision-hash',
  size: 'leaderworkerset.sigs.k8s.io/size',
  leader: 'leaderworkerset.sigs.k8s.io/leader-name',
};
const GROUP_ANNOTATION = 'scheduling.k8s.io/group-name';
const TASK_ANNOTATION = 'volcano.sh/task-spec';
const CRASH_BACKOFF_MS = 10_000;

const hash = (v: unknown, n = 10) =>
  createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, n);
const nowIso = () => `${new Date().toISOString().slice(0, 19)}Z`;
const isReady = (p: KObject) =>
  (p.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  );
const stable = (v: unknown) =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map(k => [k, x[k]]),
        )
      : x,
  );

type Resources = Record<string, number>;

function podRequests(pod: KObject): Resources {
  const out: Resources = {};
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const k of new Set([...Object.keys(req), ...Object.keys(lim)])) {
      const q = parseQuantity(req[k] ?? lim[k]);
      if (q) out[k] = (out[k] ?? 0) + quantityToNumber(q);
    }
  }
  return out;
}

function nodeAllocatable(node: KObject): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(node.status?.allocatable ?? {})) {
    const q = parseQuantity(v as string);
    if (q) out[k] = quantityToNumber(q);
  }
  return out;
}

const fits = (free: Resources, req: Resources) =>
  Object.entries(req).every(([k, v]) => v <= 0 || (free[k] ?? 0) >= v);
const take = (free: Resources, req: Resources) => {
  for (const [k, v] of Object.entries(req)) free[k] = (free[k] ?? 0) - v;
};

export function startSimulation(options: SimulationOptions): Simulation {
  const { api } = options;
  const T = (g: string, v: string, p: string) =>
    api.findType(g, v, p) as ResourceType;
  const podsT = T('', 'v1', 'pods');
  const nodesT = T('', 'v1', 'nodes');
  const svcT = T('', 'v1', 'services');
  const cmT = T('', 'v1', 'configmaps');
  const depT = T('apps', 'v1', 'deployments');
  const lwsT = () =>
    api.findType('leaderworkerset.x-k8s.io', 'v1', 'leaderworkersets');
  const pgT = () =>
    api.findType('scheduling.volcano.sh', 'v1beta1', 'podgroups');
  const startupDelay = options.podStartupDelayMs ?? 3000;
  const engines = new Map<string, SimEngine>(); // pod uid -> engine
  const startedAt = new Map<string, number>(); // pod uid -> ms when containers started
  const lastEvent = new Map<string, string>();
  let ipCounter = 10;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;

  const event = (
    obj: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => {
    const key = `${obj.metadata.uid}/${reason}`;
    if (lastEvent.get(key) === message) return;
    lastEvent.set(key, message);
    options.recordEvent?.(obj, type, reason, message);
  };
  const sim = 'fusioninfer-dev-sim';
  const safe = <R>(fn: () => R): R | undefined => {
    try {
      return fn();
    } catch {
      return undefined; // a conflicting concurrent write: the next pass retries
    }
  };
  const setStatus = (t: ResourceType, o: KObject, status: unknown) => {
    if (stable(o.status) === stable(status)) return;
    safe(() =>
      api.update(
        t,
        o.metadata.namespace,
        o.metadata.name,
        { ...o, status },
        { subresource: 'status', fieldManager: sim },
      ),
    );
  };
  const ownerRef = (o: KObject) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  });

  // ------------------------------------------------------------ LeaderWorkerSet
  function reconcileLws() {
    const t = lwsT();
    if (!t) return;
    const allPods = api.list(podsT, undefined).items;
    for (const lws of api.list(t, undefined).items) {
      if (lws.metadata.deletionTimestamp) continue;
      const ns = lws.metadata.namespace;
      const name = lws.metadata.name;
      const replicas = lws.spec?.replicas ?? 1;
      const tpl = lws.spec?.leaderWorkerTemplate ?? {};
      const size = tpl.size ?? 1;
      const revision = hash({
        l: tpl.leaderTemplate,
        w: tpl.workerTemplate,
        size,
      });
      const pods = allPods.filter(
        p =>
          p.metadata.namespace === ns && p.metadata.labels?.[LWS.name] === name,
      );
      if (!safe(() => api.tryGet(svcT, ns, name))) {
        safe(() =>
          api.create(
            svcT,
            ns,
            {
              metadata: {
                name,
                namespace: ns,
                labels: { [LWS.name]: name },
                ownerReferences: [ownerRef(lws)],
              },
              spec: {
                clusterIP: 'None',
                selector: { [LWS.name]: name },
                publishNotReadyAddresses: true,
              },
            },
            { fieldManager: sim },
          ),
        );
      }
      for (const p of pods) {
        const g = Number(p.metadata.labels?.[LWS.group]);
        const w = Number(p.metadata.labels?.[LWS.worker]);
        if (
          g >= replicas ||
          w >= size ||
          p.metadata.labels?.[LWS.rev] !== revision
        ) {
          if (!p.metadata.deletionTimestamp)
            safe(() => api.delete(podsT, ns, p.metadata.name));
        }
      }
      for (let g = 0; g < replicas; g++) {
        const leaderName = `${name}-${g}`;
        const groupKey = hash({ ns, name, g }, 40);
        const leader = pods.find(p => p.metadata.name === leaderName);
        const startWorkers =
          lws.spec?.startupPolicy === 'LeaderReady'
            ? !!leader && isReady(leader)
            : true;
        for (let w = 0; w < size; w++) {
          const podName = w === 0 ? leaderName : `${name}-${g}-${w}`;
          if (
            pods.some(
              p =>
                p.metadata.name === podName &&
                p.metadata.labels?.[LWS.rev] === revision,
            )
          )
            continue;
          if (pods.some(p => p.metadata.name === podName)) continue; // old revision still terminating
          if (w > 0 && (!leader || !startWorkers)) continue;
          const template =
            (w === 0 ? tpl.leaderTemplate : undefined) ??
            tpl.workerTemplate ??
            {};
          const spec = structuredClone(template.spec ?? { containers: [] });
          const env = [
            {
              name: 'LWS_LEADER_ADDRESS',
              value: `${leaderName}.${name}.${ns}`,
            },
            { name: 'LWS_GROUP_SIZE', value: String(size) },
            { name: 'LWS_WORKER_INDEX', value: String(w) },
          ];
          for (const c of spec.containers ?? [])
            c.env = [
              ...(c.env ?? []).filter(
                (e: any) => !env.some(x => x.name === e.name),
              ),
              ...env,
            ];
          spec.hostname = podName;
          spec.subdomain = name;
          safe(() =>
            api.create(
              podsT,
              ns,
              {
                metadata: {
                  name: podName,
                  namespace: ns,
                  labels: {
                    ...(template.metadata?.labels ?? {}),
                    [LWS.name]: name,
                    [LWS.group]: String(g),
                    [LWS.worker]: String(w),
                    [LWS.groupKey]: groupKey,
                    [LWS.rev]: revision,
                  },
                  annotations: {
                    ...(template.metadata?.annotations ?? {}),
                    [LWS.size]: String(size),
                    ...(w > 0 ? { [LWS.leader]: leaderName } : {}),
                  },
                  ownerReferences: [ownerRef(lws)],
                },
                spec,
              },
              { fieldManager: sim },
            ),
          );
        }
      }
      const fresh = api
        .list(podsT, ns)
        .items.filter(p => p.metadata.labels?.[LWS.name] === name);
      let ready = 0;
      let created = 0;
      let updated = 0;
      for (let g = 0; g < replicas; g++) {
        const group = fresh.filter(
          p => p.metadata.labels?.[LWS.group] === String(g),
        );
        if (group.some(p => p.metadata.labels?.[LWS.worker] === '0')) created++;
        if (
          group.length === size &&
          group.every(p => p.metadata.labels?.[LWS.rev] === revision)
        )
          updated++;
        if (group.length === size && group.every(isReady)) ready++;
      }
      const available = ready === replicas;
      const prevConds: any[] = lws.status?.conditions ?? [];
      const cond = (
        type: string,
        status: boolean,
        reason: string,
        message: string,
      ) => {
        const prev = prevConds.find(c => c.type === type);
        const s = status ? 'True' : 'False';
        if (!status && !prev) return undefined;
        if (!status)
          return {
            ...prev,
            status: 'False',
            lastTransitionTime:
              prev.status === 'False' ? prev.lastTransitionTime : nowIso(),
          };
        return {
          type,
          status: s,
          reason,
          message,
          lastTransitionTime:
            prev?.status === s ? prev.lastTransitionTime : nowIso(),
        };
      };
      const conditions = [
        cond(
          'Available',
          available,
          'AllGroupsReady',
          'All replicas are ready',
        ),
        cond(
          'Progressing',
          !available,
          'GroupsProgressing',
          'Replicas are progressing',
        ),
        cond(
          'UpdateInProgress',
          updated < replicas && created === replicas,
          'GroupsUpdating',
          'Rolling Upgrade is in progress',
        ),
      ].filter(Boolean);
      const status = {
        ...(created ? { replicas: created } : {}),
        ...(ready ? { readyReplicas: ready } : {}),
        ...(updated ? { updatedReplicas: updated } : {}),
        hpaPodSelector: `${LWS.name}=${name},${LWS.worker}=0`,
        conditions,
      };
      if (
        stable(
          lws.status?.conditions?.find((c: any) => c.type === 'Available')
            ?.status,
        ) !== stable(available ? 'True' : 'False')
      ) {
        event(
          lws,
          'Normal',
          available ? 'GroupsReady' : 'GroupsProgressing',
          `${available ? 'All replicas are ready' : 'Replicas are progressing'}, with ${ready} groups ready of total ${replicas} groups`,
        );
      }
      setStatus(t, lws, status);
    }
  }

  // ------------------------------------------------------------ Deployments
  function reconcileDeployments() {
    const allPods = api.list(podsT, undefined).items;
    for (const dep of api.list(depT, undefined).items) {
      if (dep.metadata.deletionTimestamp) continue;
      const ns = dep.metadata.namespace;
      const replicas = dep.spec?.replicas ?? 1;
      const templateHash = hash(dep.spec?.template ?? {});
      const selector: Record<string, string> =
        dep.spec?.selector?.matchLabels ?? {};
      const owned = allPods.filter(
        p =>
          p.metadata.namespace === ns &&
          (p.metadata.ownerReferences ?? []).some(
            (r: any) => r.uid === dep.metadata.uid,
          ),
      );
      const current = owned.filter(
        p =>
          p.metadata.labels?.['pod-template-hash'] === templateHash &&
          !p.metadata.deletionTimestamp,
      );
      const old = owned.filter(
        p => p.metadata.labels?.['pod-template-hash'] !== templateHash,
      );
      const recreate = dep.spec?.strategy?.type === 'Recreate';
      for (const p of old) {
        // RollingUpdate keeps old pods until a new one is ready; Recreate removes them first.
        if (recreate || current.some(isReady))
          safe(() => api.delete(podsT, ns, p.metadata.name));
      }
      for (const p of current.slice(replicas))
        safe(() => api.delete(podsT, ns, p.metadata.name));
      if (!(recreate && old.length > 0)) {
        for (let i = current.length; i < replicas; i++) {
          const suffix = hash(
            { uid: dep.metadata.uid, i, t: Date.now(), r: Math.random() },
            5,
          );
          safe(() =>
            api.create(
              podsT,
              ns,
              {
                metadata: {
                  name: `${dep.metadata.name}-${templateHash.slice(0, 10)}-${suffix}`,
                  namespace: ns,
                  labels: {
                    ...(dep.spec?.template?.metadata?.labels ?? {}),
                    ...selector,
                    'pod-template-hash': templateHash,
                  },
                  annotations: dep.spec?.template?.metadata?.annotations ?? {},
                  ownerReferences: [ownerRef(dep)],
                },
                spec: structuredClone(
                  dep.spec?.template?.spec ?? { containers: [] },
                ),
              },
              { fieldManager: sim },
            ),
          );
        }
      }
      const pods = api
        .list(podsT, ns)
        .items.filter(p =>
          (p.metadata.ownerReferences ?? []).some(
            (r: any) => r.uid === dep.metadata.uid,
          ),
        );
      const readyPods = pods.filter(isReady);
      const updatedPods = pods.filter(
        p => p.metadata.labels?.['pod-template-hash'] === templateHash,
      );
      const available = readyPods.filter(
        p => p.metadata.labels?.['pod-template-hash'] === templateHash,
      ).length;
      const prev: any[] = dep.status?.conditions ?? [];
      const keep = (
        type: string,
        status: string,
        reason: string,
        message: string,
      ) => {
        const p = prev.find(c => c.type === type);
        const t = p && p.status === status ? p.lastTransitionTime : nowIso();
        return {
          type,
          status,
          reason,
          message,
          lastTransitionTime: t,
          lastUpdateTime:
            p && p.status === status && p.reason === reason
              ? p.lastUpdateTime
              : nowIso(),
        };
      };
      const status = {
        observedGeneration: dep.metadata.generation,
        ...(pods.length ? { replicas: pods.length } : {}),
        ...(updatedPods.length ? { updatedReplicas: updatedPods.length } : {}),
        ...(readyPods.length ? { readyReplicas: readyPods.length } : {}),
        ...(available ? { availableReplicas: available } : {}),
        ...(pods.length - available > 0
          ? { unavailableReplicas: pods.length - available }
          : {}),
        conditions: [
          keep(
            'Available',
            available >= replicas ? 'True' : 'False',
            available >= replicas
              ? 'MinimumReplicasAvailable'
              : 'MinimumReplicasUnavailable',
            available >= replicas
              ? 'Deployment has minimum availability.'
              : 'Deployment does not have minimum availability.',
          ),
          keep(
            'Progressing',
            'True',
            available >= replicas && updatedPods.length === replicas
              ? 'NewReplicaSetAvailable'
              : 'ReplicaSetUpdated',
            available >= replicas
              ? `ReplicaSet "${dep.metadata.name}-${templateHash.slice(0, 10)}" has successfully progressed.`
              : `ReplicaSet "${dep.metadata.name}-${templateHash.slice(0, 10)}" is progressing.`,
          ),
        ],
      };
      setStatus(depT, dep, status);
    }
  }

  // ------------------------------------------------------------ scheduling
  function freeResources(pods: KObject[]): Map<string, Resources> {
    const free = new Map<string, Resources>();
    for (const n of api.list(nodesT, undefined).items) {
      if (n.spec?.unschedulable) continue;
      free.set(n.metadata.name, nodeAllocatable(n));
    }
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (
        !node ||
        !free.has(node) ||
        ['Succeeded', 'Failed'].includes(p.status?.phase)
      )
        continue;
      take(free.get(node)!, podRequests(p));
      free.get(node)!.pods = (free.get(node)!.pods ?? 110) - 1;
    }
    return free;
  }

  function place(
    pods: KObject[],
    free: Map<string, Resources>,
  ): Map<string, string> | undefined {
    const trial = new Map([...free.entries()].map(([k, v]) => [k, { ...v }]));
    const out = new Map<string, string>();
    const sorted = [...pods].sort(
      (a, b) =>
        (podRequests(b)['nvidia.com/gpu'] ?? 0) -
        (podRequests(a)['nvidia.com/gpu'] ?? 0),
    );
    for (const p of sorted) {
      const req = { ...podRequests(p), pods: 1 };
      const node = [...trial.entries()].find(([, f]) => fits(f, req));
      if (!node) return undefined;
      take(node[1], req);
      out.set(p.metadata.uid, node[0]);
    }
    return out;
  }

  function insufficient(pod: KObject, free: Map<string, Resources>): string {
    const req = { ...podRequests(pod), pods: 1 };
    const reasons = new Map<string, number>();
    for (const f of free.values()) {
      for (const [k, v] of Object.entries(req))
        if (v > 0 && (f[k] ?? 0) < v) reasons.set(k, (reasons.get(k) ?? 0) + 1);
    }
    const parts = [...reasons.entries()]
      .sort()
      .map(([k, n]) => `${n} Insufficient ${k}`);
    return `0/${free.size} nodes are available: ${parts.join(', ') || 'no node fits'}.`;
  }

  function bind(pod: KObject, node: string) {
    const fresh = safe(() =>
      api.get(podsT, pod.metadata.namespace, pod.metadata.name),
    );
    if (!fresh || fresh.spec?.nodeName) return;
    safe(() =>
      api.update(
        podsT,
        fresh.metadata.namespace,
        fresh.metadata.name,
        { ...fresh, spec: { ...fresh.spec, nodeName: node } },
        {
          fieldManager:
            fresh.spec?.schedulerName === 'volcano'
              ? 'volcano'
              : 'default-scheduler',
        },
      ),
    );
    const bound = safe(() =>
      api.get(podsT, fresh.metadata.namespace, fresh.metadata.name),
    );
    if (bound) {
      const conditions = [
        ...(bound.status?.conditions ?? []).filter(
          (c: any) => c.type !== 'PodScheduled',
        ),
        { type: 'PodScheduled', status: 'True', lastTransitionTime: nowIso() },
      ];
      setStatus(podsT, bound, { ...(bound.status ?? {}), conditions });
      event(
        bound,
        'Normal',
        'Scheduled',
        `Successfully assigned ${bound.metadata.namespace}/${bound.metadata.name} to ${node}`,
      );
    }
  }

  function unschedulable(pod: KObject, message: string, scheduler: string) {
    const conditions = [
      ...(pod.status?.conditions ?? []).filter(
        (c: any) => c.type !== 'PodScheduled',
      ),
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
        lastTransitionTime:
          pod.status?.conditions?.find((c: any) => c.type === 'PodScheduled')
            ?.lastTransitionTime ?? nowIso(),
      },
    ];
    setStatus(podsT, pod, {
      ...(pod.status ?? {}),
      phase: 'Pending',
      conditions,
    });
    event(pod, 'Warning', 'FailedScheduling', message);
    void scheduler;
  }

  function schedule() {
    let pods = api.list(podsT, undefined).items;
    const pending = pods.filter(
      p => !p.spec?.nodeName && !p.metadata.deletionTimestamp,
    );
    // Volcano gangs
    const pgType = pgT();
    const groups = new Map<string, KObject[]>();
    for (const p of pending.filter(x => x.spec?.schedulerName === 'volcano')) {
      const g = p.metadata.annotations?.[GROUP_ANNOTATION];
      if (!g) continue;
      const key = `${p.metadata.namespace}/${g}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    if (pgType) {
      for (const pg of api.list(pgType, undefined).items) {
        const key = `${pg.metadata.namespace}/${pg.metadata.name}`;
        const members = pods.filter(
          p =>
            p.metadata.namespace === pg.metadata.namespace &&
            p.metadata.annotations?.[GROUP_ANNOTATION] === pg.metadata.name &&
            !p.metadata.deletionTimestamp,
        );
        const unbound = groups.get(key) ?? [];
        groups.delete(key);
        const minMember = pg.spec?.minMember ?? 1;
        const minTask: Record<string, number> = pg.spec?.minTaskMember ?? {};
        const running = members.filter(
          p => p.status?.phase === 'Running',
        ).length;
        const prevConds: any[] = pg.status?.conditions ?? [];
        const transitionID = hash(
          { uid: pg.metadata.uid, t: Math.floor(Date.now() / 60000) },
          36,
        );
        const cond = (type: string, reason: string, message: string) => {
          const prev = prevConds.find(c => c.type === type);
          const same =
            prev && prev.reason === reason && prev.message === message;
          return {
            type,
            status: 'True',
            transitionID: same ? prev.transitionID : transitionID,
            lastTransitionTime: same ? prev.lastTransitionTime : nowIso(),
            reason,
            message,
          };
        };
        const others = (type: string) => prevConds.filter(c => c.type !== type);
        let phase: string = pg.status?.phase ?? 'Pending';
        let conditions = prevConds;
        const free = freeResources(pods);
        const capacity = [...free.values()].reduce(
          (acc, f) => ({
            gpus: acc.gpus + Math.max(0, f['nvidia.com/gpu'] ?? 0),
          }),
          { gpus: 0 },
        );
        const wantGpus = Number(pg.spec?.minResources?.['nvidia.com/gpu'] ?? 0);
        if (unbound.length > 0) {
          const taskCounts = new Map<string, number>();
          for (const p of members) {
            const task = p.metadata.annotations?.[TASK_ANNOTATION] ?? '';
            taskCounts.set(task, (taskCounts.get(task) ?? 0) + 1);
          }
          if (members.length < minMember) {
            phase = running > 0 ? 'Unknown' : 'Pending';
            conditions = [
              ...others('Unschedulable'),
              cond(
                'Unschedulable',
                'NotEnoughTasks',
                `Not enough valid tasks for gang-scheduling, valid: ${members.length}, min: ${minMember}`,
              ),
            ];
          } else if (
            Object.entries(minTask).some(
              ([task, n]) => (taskCounts.get(task) ?? 0) < n,
            )
          ) {
            phase = 'Pending';
            conditions = [
              ...others('Unschedulable'),
              cond(
                'Unschedulable',
                'NotEnoughPodsOfTask',
                'Not enough valid pods of each task for gang-scheduling',
              ),
            ];
          } else {
            const placement = place(unbound, free);
            if (placement) {
              for (const p of unbound) bind(p, placement.get(p.metadata.uid)!);
              phase = 'Inqueue';
              conditions = [
                ...others('Scheduled'),
                cond(
                  'Scheduled',
                  'tasks in gang are ready to be scheduled',
                  '',
                ),
              ];
              event(pg, 'Normal', 'Scheduled', 'pod group is ready');
              pods = api.list(podsT, undefined).items;
            } else {
              let schedulable = 0;
              const trial = new Map(
                [...free.entries()].map(([k, v]) => [k, { ...v }]),
              );
              const notPlaced: KObject[] = [];
              for (const p of unbound) {
                const req = { ...podRequests(p), pods: 1 };
                const node = [...trial.values()].find(f => fits(f, req));
                if (node) {
                  take(node, req);
                  schedulable++;
                } else notPlaced.push(p);
              }
              const msg = `${unbound.length}/${members.length} tasks in gang unschedulable: pod group is not ready, ${unbound.length} Pending, ${minMember} minAvailable; Pending: ${unbound.length - schedulable} Unschedulable, ${schedulable} Schedulable`;
              phase =
                wantGpus > 0 &&
                wantGpus <=
                  capacity.gpus +
                    members
                      .filter(p => p.spec?.nodeName)
                      .reduce(
                        (s, p) => s + (podRequests(p)['nvidia.com/gpu'] ?? 0),
                        0,
                      )
                  ? 'Inqueue'
                  : 'Pending';
              conditions = [
                ...others('Unschedulable'),
                cond('Unschedulable', 'NotEnoughResources', msg),
              ];
              event(pg, 'Warning', 'Unschedulable', msg);
              // Pods that found no room once their gang-mates were placed get the node-level reason; the others the gang's.
              for (const p of unbound)
                unschedulable(
                  p,
                  notPlaced.includes(p) ? insufficient(p, trial) : msg,
                  'volcano',
                );
            }
          }
        } else if (members.length > 0 && running >= minMember) {
          phase = 'Running';
        } else if (members.length > 0 && running > 0) {
          phase = 'Unknown';
        }
        const status = {
          ...(pg.status ?? {}),
          phase,
          conditions,
          ...(running ? { running } : {}),
        };
        if (!running) delete (status as any).running;
        const failed = members.filter(p => p.status?.phase === 'Failed').length;
        if (failed) (status as any).failed = failed;
        setStatus(pgType, pg, status);
      }
    }
    // Volcano pods whose PodGroup does not exist yet wait (as with Volcano).
    for (const unboundPods of groups.values())
      for (const p of unboundPods)
        unschedulable(
          p,
          `pod group ${p.metadata.annotations?.[GROUP_ANNOTATION]} not found`,
          'volcano',
        );
    // default scheduler
    for (const p of pending.filter(x => x.spec?.schedulerName !== 'volcano')) {
      const free = freeResources(pods);
      const placement = place([p], free);
      if (placement) {
        bind(p, placement.get(p.metadata.uid)!);
        pods = api.list(podsT, undefined).items;
      } else unschedulable(p, insufficient(p, free), 'default-scheduler');
    }
  }

  // ------------------------------------------------------------ kubelet
  function eppConfigProblem(pod: KObject): string | undefined {
    const c = pod.spec?.containers?.[0];
    if (
      !c ||
      (!String(c.image ?? '').includes('epp') &&
        !String(c.image ?? '').includes('inference-scheduler'))
    )
      return undefined;
    const vol = (pod.spec?.volumes ?? []).find((v: any) => v.configMap?.name);
    const cm = vol
      ? safe(() => api.get(cmT, pod.metadata.namespace, vol.configMap.name))
      : undefined;
    const text = cm?.data?.['config.yaml'];
    if (!text)
      return vol ? `configmap "${vol.configMap.name}" not found` : undefined;
    const parsed = parseEndpointPickerConfig(text);
    const error = parsed.issues.find(i => i.severity === 'error');
    if (error)
      return `failed to load the EPP config: ${error.path} ${error.message}`;
    const llmd = String(c.image).includes('llm-d');
    const missing = parsed.pluginTypes.find(t =>
      LLM_D_ONLY_PLUGIN_TYPES.includes(t),
    );
    if (missing && !llmd)
      return `plugin type '${missing}' is not found in registry`;
    return undefined;
  }

  function kubelet() {
    const now = Date.now();
    for (const pod of api.list(podsT, undefined).items) {
      if (!pod.spec?.nodeName || pod.metadata.deletionTimestamp) continue;
      const uid = pod.metadata.uid;
      if (!startedAt.has(uid)) startedAt.set(uid, now);
      const started = startedAt.get(uid)!;
      const crash = (pod.spec.containers ?? []).some((c: any) =>
        String(c.image ?? '').includes('crashloop'),
      )
        ? 'Back-off restarting failed container'
        : eppConfigProblem(pod);
      const prev = pod.status ?? {};
      const podIP =
        prev.podIP ??
        `127.0.${Math.floor(ipCounter / 250) % 250}.${(ipCounter++ % 250) + 2}`;
      const ready = !crash && now - started >= startupDelay;
      const restarts = crash
        ? Math.floor((now - started) / CRASH_BACKOFF_MS)
        : 0;
      const keep = (type: string, status: string) => {
        const p = (prev.conditions ?? []).find((c: any) => c.type === type);
        return {
          type,
          status,
          lastTransitionTime:
            p && p.status === status ? p.lastTransitionTime : nowIso(),
        };
      };
      const status = {
        ...prev,
        phase: 'Running',
        hostIP: '127.0.0.1',
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: prev.startTime ?? nowIso(),
        qosClass: prev.qosClass ?? 'BestEffort',
        conditions: [
          keep('PodScheduled', 'True'),
          keep('Initialized', 'True'),
          keep('ContainersReady', ready ? 'True' : 'False'),
          keep('Ready', ready ? 'True' : 'False'),
        ],
        containerStatuses: (pod.spec.containers ?? []).map(
          (c: any, i: number) => ({
            name: c.name,
            image: c.image,
            imageID: `docker.io/${c.image}@sha256:${hash(c.image, 64)}`,
            containerID: `containerd://${hash({ uid, i }, 64)}`,
            ready,
            started: !crash,
            restartCount: restarts,
            state: crash
              ? {
                  waiting: {
                    reason: 'CrashLoopBackOff',
                    message: `back-off 10s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid}): ${crash}`,
                  },
                }
              : {
                  running: {
                    startedAt:
                      prev.containerStatuses?.[i]?.state?.running?.startedAt ??
                      nowIso(),
                  },
                },
            ...(crash
              ? {
                  lastState: {
                    terminated: {
                      exitCode: 1,
                      reason: 'Error',
                      message: crash,
                    },
                  },
                }
              : {}),
          }),
        ),
      };
      if (crash)
        event(
          pod,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${pod.spec.containers?.[0]?.name} in pod ${pod.metadata.name}: ${crash}`,
        );
      setStatus(podsT, pod, status);
    }
  }

  // ------------------------------------------------------------ model servers
  const engineByName = (ns: string, name: string) => {
    const pod = safe(() => api.get(podsT, ns, name));
    return pod ? engines.get(pod.metadata.uid) : undefined;
  };
  const resolver: PodHttpResolver = (pod, port) => {
    if (!isReady(pod)) return undefined;
    const labels = pod.metadata.labels ?? {};
    if (labels.app && String(labels.app).endsWith('-epp')) {
      if (port !== 9090) return undefined;
      return eppMetricsHandler(api, pod, (ns, name) => engineByName(ns, name));
    }
    if (labels[LWS.worker] !== '0') return undefined;
    const c = pod.spec?.containers?.[0];
    const declared: number[] = (c?.ports ?? []).map(
      (p: any) => p.containerPort,
    );
    if (port !== 8000 && !declared.includes(port)) return undefined;
    let engine = engines.get(pod.metadata.uid);
    if (!engine) {
      const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
      engine = new SimEngine(engineOptionsFromArgs(argv, options.engine));
      engines.set(pod.metadata.uid, engine);
    }
    return modelServerHandler(engine);
  };
  options.registerPodHttpHandler?.(resolver);

  // ------------------------------------------------------------ loop
  async function pass() {
    if (stopped) return;
    reconcileLws();
    reconcileDeployments();
    schedule();
    kubelet();
    reconcileLws();
    reconcileDeployments();
  }
  const trigger = () => {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = pass().finally(() => {
        inFlight = undefined;
        if (again) {
          again = false;
          trigger();
        }
      });
    }, 5);
  };
  const unsubscribe = api.subscribe(e => {
    if (e.resource.plural === 'events') return;
    if (e.type === 'DELETED' && e.resource.plural === 'pods') {
      engines.delete(e.object.metadata.uid);
      startedAt.delete(e.object.metadata.uid);
    }
    trigger();
  });
  // Time-driven transitions (readiness after the start-up delay, crash-loop restarts).
  const ticker = setInterval(
    trigger,
    Math.max(50, Math.min(1000, Math.floor(startupDelay / 3))),
  );
  trigger();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(ticker);
      if (timer) clearTimeout(timer);
      await inFlight;
    },
    engineFor: engineByName,
    async settle() {
      await inFlight;
      await pass();
    },
  };
}

export type { EngineOptions } from './engine';
export { SimEngine } from './engine';
