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
 * What every simulated controller shares: the API, the resource types, events with the reporting component, the
 * container logs, and the helpers controllers use (status writes only when changed, owner references).
 */

import { createHash } from 'crypto';
import {
  parseQuantity,
  quantityToNumber,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KObject, KubeApi } from '../api';
import { ResourceType } from '../resources';
import {
  behaviourOf,
  ModelServerBehaviour,
  ModelServerBehaviours,
  validateBehaviours,
} from './behaviours';
import { EngineOptions, SimEngine } from './engine';
import { PodLogs } from './logs';

export const LWS = {
  name: 'leaderworkerset.sigs.k8s.io/name',
  group: 'leaderworkerset.sigs.k8s.io/group-index',
  worker: 'leaderworkerset.sigs.k8s.io/worker-index',
  groupKey: 'leaderworkerset.sigs.k8s.io/group-key',
  rev: 'leaderworkerset.sigs.k8s.io/template-revision-hash',
  size: 'leaderworkerset.sigs.k8s.io/size',
  leader: 'leaderworkerset.sigs.k8s.io/leader-name',
};
export const GROUP_ANNOTATION = 'scheduling.k8s.io/group-name';
export const TASK_ANNOTATION = 'volcano.sh/task-spec';
export const CRASH_BACKOFF_MS = 10_000;

export const hash = (v: unknown, n = 10) =>
  createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, n);
export const nowIso = () => `${new Date().toISOString().slice(0, 19)}Z`;
export const isReady = (p: KObject) =>
  (p.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  );
export const stable = (v: unknown) =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map(k => [k, x[k]]),
        )
      : x,
  );

/** Structural equality of JSON values, ignoring key order (cheaper than comparing canonical strings). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameJson(x, bb[i]));
  }
  const ka = Object.keys(a).filter(k => (a as any)[k] !== undefined);
  const kb = Object.keys(b).filter(k => (b as any)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every(k => sameJson((a as any)[k], (b as any)[k]))
  );
}

/** hash() of a value that only changes with `version` (an object's uid and resourceVersion), computed once. */
const memo = new Map<string, string>();
export function memoHash(version: string, v: unknown, n = 10): string {
  const key = `${n}/${version}`;
  let h = memo.get(key);
  if (h === undefined) {
    if (memo.size > 100_000) memo.clear();
    h = hash(v, n);
    memo.set(key, h);
  }
  return h;
}

/** Pods grouped once per pass: by controller uid and by LWS name. */
export function indexPods(pods: KObject[]) {
  const byOwner = new Map<string, KObject[]>();
  const byLws = new Map<string, KObject[]>();
  for (const p of pods) {
    for (const r of p.metadata.ownerReferences ?? []) {
      const list = byOwner.get(r.uid) ?? [];
      list.push(p);
      byOwner.set(r.uid, list);
    }
    const lws = p.metadata.labels?.[LWS.name];
    if (lws) {
      const key = `${p.metadata.namespace}/${lws}`;
      const list = byLws.get(key) ?? [];
      list.push(p);
      byLws.set(key, list);
    }
  }
  return {
    owned: (uid: string) => byOwner.get(uid) ?? [],
    ofLws: (ns: string, name: string) => byLws.get(`${ns}/${name}`) ?? [],
  };
}

export type Resources = Record<string, number>;

export function podRequests(pod: KObject): Resources {
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

export function nodeAllocatable(node: KObject): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(node.status?.allocatable ?? {})) {
    const q = parseQuantity(v as string);
    if (q) out[k] = quantityToNumber(q);
  }
  return out;
}

export const fits = (free: Resources, req: Resources) =>
  Object.entries(req).every(([k, v]) => v <= 0 || (free[k] ?? 0) >= v);
export const take = (free: Resources, req: Resources) => {
  for (const [k, v] of Object.entries(req)) free[k] = (free[k] ?? 0) - v;
};

/** Records an Event (reporting component: default-scheduler, kubelet, volcano, ...). */
export type EventRecorder = (
  involved: KObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component?: string,
) => void;

export interface SimContext {
  api: KubeApi;
  podsT: ResourceType;
  nodesT: ResourceType;
  svcT: ResourceType;
  cmT: ResourceType;
  depT: ResourceType;
  lwsT(): ResourceType | undefined;
  pgT(): ResourceType | undefined;
  /** Time from a pod's start to Ready (ms). */
  startupDelay: number;
  engineDefaults?: Partial<EngineOptions>;
  /** The configured behaviour table (validated). */
  behaviours: ModelServerBehaviours;
  /**
   * The behaviour of a model-server pod (an LWS pod, leader or worker, other than an EPP), chosen by its first
   * container's image; undefined for other pods and for images without a behaviour.
   */
  behaviourOf(pod: KObject): ModelServerBehaviour | undefined;
  /** Model-server engines by pod uid. */
  engines: Map<string, SimEngine>;
  /** When each pod's containers started (ms), by pod uid. */
  startedAt: Map<string, number>;
  logs: PodLogs;
  /** An Event, once per object, reason and message. */
  event(
    obj: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    /** Distinguishes events of one reason about different parts (containers); default: the reason. */
    key?: string,
  ): void;
  /** Runs a write; a conflicting concurrent write is retried by the next pass. */
  safe<R>(fn: () => R): R | undefined;
  /** Writes a status subresource when it changed. */
  setStatus(t: ResourceType, o: KObject, status: unknown): void;
  nextPodIp(): string;
  /**
   * Bounds the time of one controller step before each write (pods created or bound, statuses), as real controllers
   * batch and rate-limit theirs: false once this step's time is spent; the simulation then runs another pass at once.
   */
  spend(): boolean;
  /** Starts a step with a fresh budget; returns whether the previous step ran out. */
  resetBudget(): boolean;
}

/** Time per controller step, in ms (keeps every step short, so API requests are answered in between). */
export const STEP_BUDGET_MS = 15;

export const FIELD_MANAGER = 'fusioninfer-dev-sim';

export function createContext(options: {
  api: KubeApi;
  recordEvent?: EventRecorder;
  podStartupDelayMs?: number;
  engine?: Partial<EngineOptions>;
  behaviours?: ModelServerBehaviours;
}): SimContext {
  const { api } = options;
  const startupDelay = options.podStartupDelayMs ?? 3000;
  const behaviours = validateBehaviours(options.behaviours);
  // resolved once per image: the kubelet asks for every pod on every pass
  const byImage = new Map<string, ModelServerBehaviour | undefined>();
  const T = (g: string, v: string, p: string) =>
    api.findType(g, v, p) as ResourceType;
  const lastEvent = new Map<string, string>();
  let ipCounter = 10;
  let stepStart = Date.now();
  let exhausted = false;
  const spend = () => {
    if (exhausted || Date.now() - stepStart > STEP_BUDGET_MS) {
      exhausted = true;
      return false;
    }
    return true;
  };
  const safe = <R>(fn: () => R): R | undefined => {
    try {
      return fn();
    } catch {
      return undefined;
    }
  };
  return {
    api,
    podsT: T('', 'v1', 'pods'),
    nodesT: T('', 'v1', 'nodes'),
    svcT: T('', 'v1', 'services'),
    cmT: T('', 'v1', 'configmaps'),
    depT: T('apps', 'v1', 'deployments'),
    lwsT: () =>
      api.findType('leaderworkerset.x-k8s.io', 'v1', 'leaderworkersets'),
    pgT: () => api.findType('scheduling.volcano.sh', 'v1beta1', 'podgroups'),
    startupDelay,
    engineDefaults: options.engine,
    behaviours,
    behaviourOf(pod) {
      if (!pod.metadata.labels?.[LWS.name]) return undefined;
      if (String(pod.metadata.labels?.app ?? '').endsWith('-epp'))
        return undefined;
      const image = String(pod.spec?.containers?.[0]?.image ?? '');
      if (!byImage.has(image)) {
        if (byImage.size > 1000) byImage.clear();
        byImage.set(image, behaviourOf(image, behaviours, startupDelay));
      }
      return byImage.get(image);
    },
    engines: new Map(),
    startedAt: new Map(),
    logs: new PodLogs(),
    event(obj, type, reason, message, component, part) {
      const key = `${obj.metadata.uid}/${part ?? reason}`;
      if (lastEvent.get(key) === message) return;
      lastEvent.set(key, message);
      options.recordEvent?.(obj, type, reason, message, component);
    },
    safe,
    setStatus(t, o, status) {
      if (sameJson(o.status, status)) return;
      if (!spend()) return; // written by a later pass
      safe(() =>
        api.update(
          t,
          o.metadata.namespace,
          o.metadata.name,
          { ...o, status },
          { subresource: 'status', fieldManager: FIELD_MANAGER },
        ),
      );
    },
    spend,
    resetBudget() {
      const was = exhausted;
      stepStart = Date.now();
      exhausted = false;
      return was;
    },
    nextPodIp() {
      const n = ipCounter++;
      return `127.0.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
    },
  };
}

export const ownerRef = (o: KObject) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  controller: true,
  blockOwnerDeletion: true,
});
