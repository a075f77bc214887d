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
 * Volcano gang scheduling: a PodGroup's pods bind together once the whole gang (minMember, minTaskMember) fits, with
 * the PodGroup phases (Pending, Inqueue, Running, Unknown), the real Unschedulable reasons and messages
 * (NotEnoughTasks, NotEnoughPodsOfTask, NotEnoughResources) and events.
 */

import { KObject } from '../api';
import {
  fits,
  GROUP_ANNOTATION,
  hash,
  nowIso,
  podRequests,
  SimContext,
  take,
  TASK_ANNOTATION,
} from './context';
import {
  bind,
  freeResources,
  insufficient,
  place,
  unschedulable,
} from './scheduler';

/**
 * One pass of Volcano's gang scheduler: a PodGroup's pods bind together or not at all; returns the pods as they are
 * after binding.
 */
export function scheduleGangs(ctx: SimContext, initial: KObject[]): KObject[] {
  const { api, podsT, setStatus } = ctx;
  let pods = initial;
  const pending = pods.filter(
    p => !p.spec?.nodeName && !p.metadata.deletionTimestamp,
  );
  // Volcano gangs
  const pgType = ctx.pgT();
  const groups = new Map<string, KObject[]>();
  for (const p of pending.filter(x => x.spec?.schedulerName === 'volcano')) {
    const g = p.metadata.annotations?.[GROUP_ANNOTATION];
    if (!g) continue;
    const key = `${p.metadata.namespace}/${g}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  if (pgType) {
    for (const pg of api.scan(pgType)) {
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
      const running = members.filter(p => p.status?.phase === 'Running').length;
      const prevConds: any[] = pg.status?.conditions ?? [];
      const transitionID = hash(
        { uid: pg.metadata.uid, t: Math.floor(Date.now() / 60000) },
        36,
      );
      const cond = (type: string, reason: string, message: string) => {
        const prev = prevConds.find(c => c.type === type);
        const same = prev && prev.reason === reason && prev.message === message;
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
      const free = freeResources(ctx, pods);
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
            for (const p of unbound)
              bind(ctx, p, placement.get(p.metadata.uid)!);
            phase = 'Inqueue';
            conditions = [
              ...others('Scheduled'),
              cond('Scheduled', 'tasks in gang are ready to be scheduled', ''),
            ];
            ctx.event(
              pg,
              'Normal',
              'Scheduled',
              'pod group is ready',
              'volcano',
            );
            pods = api.scan(podsT);
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
            ctx.event(pg, 'Warning', 'Unschedulable', msg, 'volcano');
            // Pods that found no room once their gang-mates were placed get the node-level reason; the others the gang's.
            for (const p of unbound)
              unschedulable(
                ctx,
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
        ctx,
        p,
        `pod group ${p.metadata.annotations?.[GROUP_ANNOTATION]} not found`,
        'volcano',
      );
  return pods;
}
