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

import { isGangRunning } from '@fusioninfer/plugin-fusioninfer-common';
import type {
  RenderSummary,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from './plural';

type Condition = NonNullable<ServiceDetail['status']['conditions']>[number];

const condition = (d: ServiceDetail, type: string): Condition | undefined =>
  d.status.conditions?.find(c => c.type === type);

/** Age of the service: its creation time, else (older backends) since the Initialized condition was set. */
export function serviceSince(d: ServiceDetail): string | undefined {
  return d.createdAt ?? condition(d, 'Initialized')?.lastTransitionTime;
}

export function formatAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** What the gang panel says about a PodGroup. */
export interface GangView {
  severity: 'ok' | 'info' | 'warning' | 'error';
  /** A plain sentence; absent when all is well. */
  sentence?: string;
  /** Tasks whose scheduled pods are fewer than required. */
  shortTasks: string[];
}

type Gang = NonNullable<ServiceDetail['gang']>;

const ACCEL = /(^|\/)(gpu|tpu|npu|neuron|neuroncore|xpu|mlu|dcu)$|gaudi$/i;

/** GPUs (all accelerators) one pod of `role` asks for, from the render summary. */
export function gpusPerPod(
  summary: RenderSummary | undefined,
  role: string,
): number | undefined {
  const r = summary?.roles.find(x => x.name === role);
  if (!r) return undefined;
  return Object.entries(r.acceleratorsPerPod ?? {})
    .filter(([k]) => ACCEL.test(k))
    .reduce((a, [, v]) => a + v, 0);
}

/**
 * Reads a Volcano PodGroup the way Volcano means it (metrics-and-status §4.2): phase first — a gang that runs
 * (`Running` with `running ≥ minMember`) is fine even when a stale `Unschedulable` condition is still set beside
 * `Scheduled`; then the Unschedulable reason. When stuck, says in one sentence which task cannot start and why.
 */
export function gangView(
  gang: Gang,
  d: Pick<ServiceDetail, 'events' | 'spec'>,
  summary?: RenderSummary,
): GangView {
  const shortTasks = gang.tasks
    .filter(t => t.scheduled < t.min)
    .map(t => t.task);
  const min = gang.minMember ?? 0;
  if (isGangRunning(gang)) return { severity: 'ok', shortTasks: [] };
  const u = gang.unschedulable;
  const reason = u?.reason;
  if (gang.phase === 'Unknown')
    return {
      severity: 'warning',
      sentence: `Partly running: ${gang.running} of ${plural(min, 'pod')} required by the gang ${gang.running === 1 ? 'is' : 'are'} running${u?.message ? ` (${u.message})` : ''}.`,
      shortTasks,
    };
  if (reason === 'NotEnoughTasks')
    return {
      severity: 'info',
      sentence: `Waiting for pods: the gang needs ${plural(min, 'pod')} before any of them starts, and not all exist yet (${u?.message ?? 'NotEnoughTasks'}).`,
      shortTasks,
    };
  if (reason === 'NotEnoughPodsOfTask')
    return {
      severity: 'info',
      sentence: `Waiting for pods of ${shortTasks.join(', ') || 'some tasks'}: each replica must have all its pods before the gang starts.`,
      shortTasks,
    };
  if (reason === 'NotEnoughResources' || (u && gang.phase !== 'Running')) {
    const nodeMessage = d.events.find(
      e =>
        e.reason === 'FailedScheduling' &&
        /nodes are available/.test(e.message ?? ''),
    )?.message;
    const task = gang.tasks.find(t => t.scheduled < t.min) ?? gang.tasks[0];
    const role = task ? task.task.replace(/-\d+$/, '') : undefined;
    const per = role ? gpusPerPod(summary, role) : undefined;
    let need = 'the gang does not fit';
    if (task && per !== undefined && per > 0)
      need = `it needs ${plural(per * task.min, 'GPU')} on ${plural(task.min, 'node')} (${per} per pod) at the same time`;
    else if (task)
      need = `it needs ${plural(task.min, 'pod')} placed at the same time`;
    // The cluster's GPUs now (from the backend's node and pod caches), when it knows them.
    const cap = gang.capacity;
    if (cap)
      need += `, the largest free block is ${cap.largestFreeBlockGpus} (${cap.freeGpus} of ${plural(cap.totalGpus, 'GPU')} free on ${plural(cap.nodes, 'node')})`;
    let why = 'the cluster has no room';
    if (nodeMessage)
      why = `the scheduler reports "${nodeMessage.replace(/\.$/, '')}"`;
    else if (u?.message) why = `Volcano reports "${u.message}"`;
    const others =
      shortTasks.length > 1
        ? ` (${plural(shortTasks.length - 1, 'more task', 'more tasks')} waiting too)`
        : '';
    return {
      severity: 'error',
      sentence: `${task ? task.task : 'The gang'} cannot start: ${need}, and ${why}${others}.`,
      shortTasks,
    };
  }
  if (gang.phase === 'Inqueue')
    return {
      severity: 'info',
      sentence:
        'Admitted by the queue: pods are being placed and started together.',
      shortTasks,
    };
  if (gang.phase === 'Pending')
    return {
      severity: 'warning',
      sentence:
        'Not admitted yet: the Volcano queue has not accepted the gang (check the queue capacity and that all pods exist).',
      shortTasks,
    };
  if (gang.phase === 'Running')
    return {
      severity: 'warning',
      sentence: `Running with ${gang.running} of ${plural(min, 'required pod')}.`,
      shortTasks,
    };
  return { severity: 'info', shortTasks };
}
