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

import { plural } from './plural';
import { parseQuantity, quantityValueCeil } from './quantity';
import { KubeObject, Pod } from './types';

/** The extended resource GPU capacity is counted in. @public */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** GPUs of one cluster: allocatable on its nodes, and what scheduled, non-terminated pods leave free. @public */
export interface ClusterCapacity {
  /** Allocatable GPUs summed over schedulable nodes. */
  totalGpus: number;
  /** Allocatable minus what scheduled, non-terminated pods request, summed over schedulable nodes. */
  freeGpus: number;
  /** The most GPUs free on one node (what one pod can get). */
  largestFreeBlockGpus: number;
  /** Schedulable nodes with GPUs. */
  nodes: number;
}

type Resources = {
  requests?: Record<string, unknown>;
  limits?: Record<string, unknown>;
};
type Container = { resources?: Resources };

const count = (v: unknown): number => {
  if (typeof v !== 'string' && typeof v !== 'number') return 0;
  const q = parseQuantity(v);
  const n = q ? quantityValueCeil(q) : 0;
  return Number.isFinite(n) && n > 0 ? n : 0;
};

/** GPUs one container asks for (extended resources: the request, else the limit). */
const containerGpus = (c: Container | undefined): number =>
  count(
    c?.resources?.requests?.[GPU_RESOURCE] ??
      c?.resources?.limits?.[GPU_RESOURCE],
  );

/** GPUs a pod holds on its node: its containers summed, or its largest init container if more (Kubernetes' rule). @public */
export function podGpuRequest(pod: Pod): number {
  const spec = (pod.spec ?? {}) as {
    containers?: unknown;
    initContainers?: unknown;
  };
  const list = (x: unknown) => (Array.isArray(x) ? (x as Container[]) : []);
  const sum = list(spec.containers).reduce((a, c) => a + containerGpus(c), 0);
  const init = list(spec.initContainers).reduce(
    (a, c) => Math.max(a, containerGpus(c)),
    0,
  );
  return Math.max(sum, init);
}

/**
 * The GPU capacity of a cluster from its nodes and pods: per schedulable node (not cordoned) its allocatable
 * `nvidia.com/gpu` minus what the pods bound to it request (pods that ended, Succeeded or Failed, hold nothing).
 * @public
 */
export function clusterCapacityOf(
  nodes: KubeObject[],
  pods: Pod[],
): ClusterCapacity {
  const used = new Map<string, number>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (
      !node ||
      p.status?.phase === 'Succeeded' ||
      p.status?.phase === 'Failed'
    )
      continue;
    used.set(node, (used.get(node) ?? 0) + podGpuRequest(p));
  }
  const out: ClusterCapacity = {
    totalGpus: 0,
    freeGpus: 0,
    largestFreeBlockGpus: 0,
    nodes: 0,
  };
  for (const n of nodes) {
    const node = n as KubeObject & {
      spec?: { unschedulable?: boolean };
      status?: { allocatable?: Record<string, unknown> };
    };
    if (node.spec?.unschedulable) continue;
    const allocatable = count(node.status?.allocatable?.[GPU_RESOURCE]);
    if (!allocatable) continue;
    const free = Math.max(
      0,
      allocatable - (used.get(node.metadata.name ?? '') ?? 0),
    );
    out.nodes++;
    out.totalGpus += allocatable;
    out.freeGpus += free;
    out.largestFreeBlockGpus = Math.max(out.largestFreeBlockGpus, free);
  }
  return out;
}

/** What a deployment needs, for {@link capacityFit}: GPUs in total and the most one pod needs. @public */
export interface GpuNeed {
  gpus: number;
  gpusPerPod: number;
}

/**
 * Whether a deployment fits a cluster's free GPUs, as one sentence. A necessary check (GPUs in total, the largest pod
 * against the largest free block), not a full bin packing; `fits` is absent when the capacity is unknown.
 * @public
 */
export function capacityFit(
  need: GpuNeed,
  capacity: ClusterCapacity | undefined,
): { fits?: boolean; message: string } {
  if (!capacity)
    return {
      message:
        'cluster capacity unknown: the backend cannot list the nodes and pods of this cluster',
    };
  const { gpus, gpusPerPod } = need;
  if (gpus <= 0) return { fits: true, message: 'needs no GPUs' };
  const free = `${capacity.freeGpus} of ${plural(capacity.totalGpus, 'GPU')} ${capacity.freeGpus === 1 ? 'is' : 'are'} free on ${plural(capacity.nodes, 'node')}`;
  if (gpus > capacity.freeGpus)
    return {
      fits: false,
      message: `does not fit: needs ${plural(gpus, 'GPU')}, ${free}`,
    };
  if (gpusPerPod > capacity.largestFreeBlockGpus)
    return {
      fits: false,
      message: `does not fit: a pod needs ${plural(gpusPerPod, 'GPU')} on one node, the largest free block is ${capacity.largestFreeBlockGpus}`,
    };
  return {
    fits: true,
    message: `fits: needs ${plural(gpus, 'GPU')} (${gpusPerPod} per pod), ${free}, the largest free block is ${capacity.largestFreeBlockGpus}`,
  };
}
