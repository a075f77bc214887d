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
 * The LeaderWorkerSet controller: per group a leader pod and size-1 workers, named and labelled as the LWS
 * controller does (group index, worker index, group key, template revision hash), the env the LWS controller
 * injects, a headless Service, status counts and the Available / Progressing / UpdateInProgress conditions, and the
 * restart policy: with RecreateGroupOnPodRestart (the default) a group one of whose containers has restarted is
 * deleted and created anew, as the LWS pod controller deletes the group's leader.
 */

import {
  FIELD_MANAGER,
  indexPods,
  isReady,
  LWS,
  memoHash,
  nowIso,
  ownerRef,
  SimContext,
  stable,
} from './context';

/** One pass of the LeaderWorkerSet controller. */
export function reconcileLws(ctx: SimContext): void {
  const { api, podsT, svcT, safe, setStatus } = ctx;
  const t = ctx.lwsT();
  if (!t) return;
  const index = indexPods(api.scan(podsT));
  for (const lws of api.scan(t)) {
    if (lws.metadata.deletionTimestamp) continue;
    const ns = lws.metadata.namespace;
    const name = lws.metadata.name;
    const replicas = lws.spec?.replicas ?? 1;
    const tpl = lws.spec?.leaderWorkerTemplate ?? {};
    const size = tpl.size ?? 1;
    const revision = memoHash(
      `${lws.metadata.uid}/${lws.metadata.generation}`,
      {
        l: tpl.leaderTemplate,
        w: tpl.workerTemplate,
        size,
      },
    );
    const pods = index.ofLws(ns, name);
    const before = api.resourceVersion;
    if (!api.peek(svcT, ns, name) && ctx.spend()) {
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
          { fieldManager: FIELD_MANAGER },
        ),
      );
    }
    // LWS's pod controller: a restarted container (restartCount > 0 in a Running or Pending pod) makes it delete the
    // group's leader with foreground propagation, so the whole group goes and is created again
    if (
      (tpl.restartPolicy ?? 'RecreateGroupOnPodRestart') ===
      'RecreateGroupOnPodRestart'
    ) {
      const restarted = new Set<string>();
      for (const p of pods)
        if (
          !p.metadata.deletionTimestamp &&
          ['Running', 'Pending'].includes(p.status?.phase) &&
          (p.status?.containerStatuses ?? []).some(
            (s: any) => (s.restartCount ?? 0) > 0,
          )
        )
          restarted.add(String(p.metadata.labels?.[LWS.group]));
      for (const p of pods)
        if (
          restarted.has(String(p.metadata.labels?.[LWS.group])) &&
          !p.metadata.deletionTimestamp
        )
          safe(() => api.delete(podsT, ns, p.metadata.name));
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
      const groupKey = memoHash(
        `${lws.metadata.uid}/g${g}`,
        { ns, name, g },
        40,
      );
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
        if (!ctx.spend()) continue;
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
            { fieldManager: FIELD_MANAGER },
          ),
        );
      }
    }
    // the pods as they are now (re-read only when this pass wrote something)
    const fresh =
      api.resourceVersion === before
        ? pods
        : api
            .scan(podsT, ns)
            .filter(p => p.metadata.labels?.[LWS.name] === name);
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
      cond('Available', available, 'AllGroupsReady', 'All replicas are ready'),
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
      ctx.event(
        lws,
        'Normal',
        available ? 'GroupsReady' : 'GroupsProgressing',
        `${available ? 'All replicas are ready' : 'Replicas are progressing'}, with ${ready} groups ready of total ${replicas} groups`,
        'leaderworkerset',
      );
    }
    setStatus(t, lws, status);
  }
}
