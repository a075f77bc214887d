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
  ApprovalSummary,
  capacityFit,
  ClusterCapacity,
} from '@fusioninfer/plugin-fusioninfer-common';

/** The most GPUs one pod of a deployment asks for (a role's GPUs over its pods). */
export function gpusPerPodOf(summary: ApprovalSummary): number {
  return summary.roles.reduce((most, r) => {
    const pods = Math.max(1, r.replicas * r.nodesPerReplica);
    return r.replicas > 0 ? Math.max(most, Math.ceil(r.gpus / pods)) : most;
  }, 0);
}

/** The capacity fields of a dry run / approval check: the cluster's GPUs (when known) and whether the deployment fits. */
export function capacityAnswer(
  summary: ApprovalSummary,
  capacity: ClusterCapacity | undefined,
) {
  return {
    ...(capacity ? { capacity } : {}),
    capacityFit: capacityFit(
      { gpus: summary.gpus, gpusPerPod: gpusPerPodOf(summary) },
      capacity,
    ),
  };
}
