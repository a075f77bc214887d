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
 * The default scheduler over the Node inventory (allocatable minus what bound pods request), and the binding and
 * Unschedulable helpers Volcano's gang scheduler uses too (the real "0/N nodes are available: ..." messages).
 */

import { KObject } from '../api';
import {
  fits,
  nodeAllocatable,
  nowIso,
  podRequests,
  Resources,
  SimContext,
  take,
} from './context';

export function freeResources(
  ctx: SimContext,
  pods: KObject[],
): Map<string, Resources> {
  const { api, nodesT } = ctx;
  const free = new Map<string, Resources>();
  for (const n of api.scan(nodesT)) {
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

export function place(
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

export function insufficient(
  pod: KObject,
  free: Map<string, Resources>,
): string {
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

/** Binds a pod to a node (spec.nodeName), sets PodScheduled and records Scheduled. */
export function bind(ctx: SimContext, pod: KObject, node: string): void {
  const { api, podsT, safe, setStatus } = ctx;
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
    ctx.event(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${bound.metadata.namespace}/${bound.metadata.name} to ${node}`,
      bound.spec?.schedulerName === 'volcano' ? 'volcano' : 'default-scheduler',
    );
  }
}

/** Marks a pod Unschedulable (PodScheduled=False) and records FailedScheduling. */
export function unschedulable(
  ctx: SimContext,
  pod: KObject,
  message: string,
  scheduler: string,
): void {
  const { podsT, setStatus } = ctx;
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
  ctx.event(pod, 'Warning', 'FailedScheduling', message, scheduler);
}

/** One pass of the default scheduler over pending pods not handed to Volcano. */
export function scheduleDefault(ctx: SimContext, pods: KObject[]): void {
  const pending = pods.filter(
    p =>
      !p.spec?.nodeName &&
      !p.metadata.deletionTimestamp &&
      p.spec?.schedulerName !== 'volcano',
  );
  if (pending.length === 0) return;
  // free capacity computed once per pass and updated as pods bind
  const free = freeResources(ctx, pods);
  for (const p of pending) {
    if (!ctx.spend()) break;
    const placement = place([p], free);
    if (placement) {
      const node = placement.get(p.metadata.uid)!;
      bind(ctx, p, node);
      take(free.get(node)!, { ...podRequests(p), pods: 1 });
    } else unschedulable(ctx, p, insufficient(p, free), 'default-scheduler');
  }
}
