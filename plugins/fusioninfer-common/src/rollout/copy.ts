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
 * A replica the count adds while a canary holds the stable track joins it at the stable spec (issue 19): a copy of a
 * live stable replica of its role. Never more than the spec the policy approved: the copy is made only when its pods
 * ask for no more of any resource than the replica rendered from the spec.
 */

import { ANNOTATIONS, LABELS } from '../constants';
import {
  effectivePodRequests,
  podResourceClaims,
} from '../governance/accelerators';
import { specHash } from '../hash';
import { KubeObject } from '../types';

type Template = {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

const templatesOf = (lws: KubeObject) => {
  const t = (lws as { spec?: any }).spec?.leaderWorkerTemplate ?? {};
  return {
    leader: t.leaderTemplate ?? t.workerTemplate,
    worker: t.workerTemplate,
    size: Number(t.size ?? 1),
  };
};

/** What one replica's pods ask for together: every resource, the DRA claims (`#claims`) and the pods (`#pods`). */
function replicaRequests(lws: KubeObject): Map<string, number> {
  const { leader, worker, size } = templatesOf(lws);
  const pods = Number.isInteger(size) && size >= 1 ? size : 1;
  const out = new Map<string, number>([['#pods', pods]]);
  const add = (template: unknown, count: number) => {
    if (count <= 0) return;
    for (const [name, amount] of Object.entries(effectivePodRequests(template)))
      out.set(name, (out.get(name) ?? 0) + amount * count);
    out.set(
      '#claims',
      (out.get('#claims') ?? 0) + podResourceClaims(template) * count,
    );
  };
  add(leader, 1);
  add(worker, pods - 1);
  return out;
}

/**
 * A new replica at the spec of a live one (`source`, another replica of the role): the pod templates of the source, the
 * name, index labels, volcano task names and owner of the replica rendered at that index (`want`), and a spec hash of
 * its own (the copy's spec hashed, so it never equals the rendered one: after promotion the waves move it like every
 * other stable replica). Undefined when the source's pods ask for more of any resource (GPUs in any container or
 * sidecar, under any name; DRA claims; pods per replica) than `want`'s: the policy approved `want`, so that is what
 * the caller creates then.
 * @public
 */
export function copyStableReplica(
  source: KubeObject,
  want: KubeObject,
): KubeObject | undefined {
  const allowed = replicaRequests(want);
  for (const [name, amount] of replicaRequests(source))
    if (amount > (allowed.get(name) ?? 0)) return undefined;
  const index = want.metadata.labels?.[LABELS.replicaIndex] ?? '';
  const spec = JSON.parse(
    JSON.stringify((source as { spec?: unknown }).spec ?? {}),
  );
  const wantTemplates =
    (want as { spec?: any }).spec?.leaderWorkerTemplate ?? {};
  const pairs: Array<[Template | undefined, Template | undefined]> = [
    [spec.leaderWorkerTemplate?.leaderTemplate, wantTemplates.leaderTemplate],
    [spec.leaderWorkerTemplate?.workerTemplate, wantTemplates.workerTemplate],
  ];
  for (const [t, w] of pairs) {
    if (!t?.metadata) continue;
    const labels = { ...(t.metadata.labels ?? {}) };
    delete labels[LABELS.specHash];
    labels[LABELS.replicaIndex] = index;
    t.metadata.labels = labels;
    const task = w?.metadata?.annotations?.[ANNOTATIONS.volcanoTaskSpec];
    if (task && t.metadata.annotations?.[ANNOTATIONS.volcanoTaskSpec])
      t.metadata.annotations = {
        ...t.metadata.annotations,
        [ANNOTATIONS.volcanoTaskSpec]: task,
      };
  }
  const hash = specHash(spec);
  for (const [t] of pairs)
    if (t?.metadata?.labels) t.metadata.labels[LABELS.specHash] = hash;
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    metadata: {
      name: want.metadata.name,
      namespace: want.metadata.namespace,
      labels: {
        ...(source.metadata.labels ?? {}),
        [LABELS.replicaIndex]: index,
        [LABELS.specHash]: hash,
      },
      ...(want.metadata.ownerReferences
        ? { ownerReferences: want.metadata.ownerReferences }
        : {}),
    },
    spec,
  } as KubeObject;
}
