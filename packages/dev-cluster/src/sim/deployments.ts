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
 * The Deployment controller: pods labelled with pod-template-hash, RollingUpdate (old pods go once a new one is
 * ready) and Recreate, scaling, status counts and the Available / Progressing conditions kubectl rollout reads.
 */

import {
  FIELD_MANAGER,
  hash,
  indexPods,
  isReady,
  memoHash,
  nowIso,
  ownerRef,
  SimContext,
} from './context';

/** One pass of the Deployment controller. */
export function reconcileDeployments(ctx: SimContext): void {
  const { api, podsT, depT, safe, setStatus } = ctx;
  const index = indexPods(api.scan(podsT));
  for (const dep of api.scan(depT)) {
    if (dep.metadata.deletionTimestamp) continue;
    const ns = dep.metadata.namespace;
    const replicas = dep.spec?.replicas ?? 1;
    const templateHash = memoHash(
      `${dep.metadata.uid}/${dep.metadata.generation}`,
      dep.spec?.template ?? {},
    );
    const selector: Record<string, string> =
      dep.spec?.selector?.matchLabels ?? {};
    const owned = index
      .owned(dep.metadata.uid)
      .filter(p => p.metadata.namespace === ns);
    const before = api.resourceVersion;
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
        if (!ctx.spend()) break;
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
            { fieldManager: FIELD_MANAGER },
          ),
        );
      }
    }
    // the pods as they are now (re-read only when this pass wrote something)
    const pods = (
      api.resourceVersion === before ? owned : api.scan(podsT, ns)
    ).filter(p =>
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
