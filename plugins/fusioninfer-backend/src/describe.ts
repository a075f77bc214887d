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
  InferenceService,
  KubeObject,
  LABELS,
  Pod,
  PodGroup,
  Deployment,
  LeaderWorkerSet,
  isPodReady,
  podCrashReason,
  deriveStatus,
  childNames,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { ClusterReconciler } from './reconciler/ClusterReconciler';

const UNSCHEDULABLE_TASKS = /(\d+)\/(\d+) tasks in gang unschedulable/;

/** Everything the Inference tab shows about one service: spec summary, status, roles with replicas and pods, gang and router state. */
export async function describeService(
  client: ClusterClient,
  isvc: InferenceService,
  reconciler?: ClusterReconciler,
) {
  const ns = isvc.metadata.namespace!;
  const name = isvc.metadata.name!;
  const selector = `${LABELS.service}=${name}`;
  const [lws, pods, podGroups, deployments, pools, routes, events] =
    await Promise.all([
      client.list<LeaderWorkerSet>(KINDS.LeaderWorkerSet, ns, selector),
      client.list<Pod>(KINDS.Pod, ns, selector),
      client.list<PodGroup>(KINDS.PodGroup, ns, selector),
      client.list<Deployment>(KINDS.Deployment, ns, selector),
      client.list<KubeObject>(KINDS.InferencePool, ns, selector),
      client.list<KubeObject>(KINDS.HTTPRoute, ns, selector),
      client
        .list<
          KubeObject & {
            reason?: string;
            message?: string;
            type?: string;
            lastTimestamp?: string;
            involvedObject?: { kind?: string; name?: string };
          }
        >(KINDS.Event, ns)
        .catch(() => []),
    ]);
  const status =
    reconciler?.statuses.get(`${ns}/${name}`) ??
    isvc.status ??
    deriveStatus(isvc, {
      leaderWorkerSets: lws,
      pods,
      podGroup: podGroups[0],
      eppDeployment: deployments[0],
    }).status;
  const podView = (p: Pod) => ({
    name: p.metadata.name,
    role: p.metadata.labels?.[LABELS.roleName],
    replica: Number(p.metadata.labels?.[LABELS.replicaIndex] ?? 0),
    leader: p.metadata.labels?.[LABELS.lwsWorkerIndex] === '0',
    phase: p.status?.phase,
    ready: isPodReady(p),
    node: p.spec?.nodeName,
    restarts: (p.status?.containerStatuses ?? []).reduce(
      (s, c) => s + (c.restartCount ?? 0),
      0,
    ),
    problem: podCrashReason(p),
  });
  const roles = isvc.spec.roles
    .filter(r => r.componentType !== 'router')
    .map(r => ({
      name: r.name,
      componentType: r.componentType,
      status: status.components?.[r.name],
      replicas: Array.from({ length: r.replicas ?? 1 }, (_, i) => {
        const lwsName = childNames.lws(name, r.name, i);
        const l = lws.find(x => x.metadata.name === lwsName);
        return {
          index: i,
          leaderWorkerSet: lwsName,
          readyGroups: l?.status?.readyReplicas ?? 0,
          pods: pods
            .filter(
              p =>
                p.metadata.labels?.[LABELS.roleName] === r.name &&
                p.metadata.labels?.[LABELS.replicaIndex] === String(i),
            )
            .map(podView),
        };
      }),
    }));
  const pg = podGroups[0];
  const unschedulable = pg?.status?.conditions?.find(
    c => c.type === 'Unschedulable' && c.status === 'True',
  );
  const m = unschedulable?.message
    ? UNSCHEDULABLE_TASKS.exec(unschedulable.message)
    : null;
  const podsOfTask = (task: string) =>
    pods.filter(p => p.metadata.annotations?.['volcano.sh/task-spec'] === task);
  const gang = pg
    ? {
        name: pg.metadata.name,
        phase: pg.status?.phase ?? 'Pending',
        minMember: pg.spec.minMember,
        running: pg.status?.running ?? 0,
        tasks: Object.entries(pg.spec.minTaskMember ?? {}).map(
          ([task, min]) => ({
            task,
            min,
            scheduled: podsOfTask(task).filter(p => !!p.spec?.nodeName).length,
          }),
        ),
        unschedulable: unschedulable
          ? {
              reason: unschedulable.reason,
              message: unschedulable.message,
              unschedulableTasks: m ? Number(m[1]) : undefined,
              totalTasks: m ? Number(m[2]) : undefined,
            }
          : undefined,
      }
    : undefined;
  const routerRole = isvc.spec.roles.find(r => r.componentType === 'router');
  const epp = deployments.find(d => d.metadata.name === childNames.epp(name));
  const eppPods = pods.filter(
    p => p.metadata.labels?.app === childNames.epp(name),
  );
  const router = routerRole
    ? {
        role: routerRole.name,
        strategy: routerRole.endpointPickerConfig
          ? 'custom'
          : (routerRole.strategy ?? 'prefix-cache'),
        epp: epp
          ? {
              image: epp.spec.template.spec?.containers?.[0]?.image,
              ready: (epp.status?.availableReplicas ?? 0) >= 1,
              conditions: epp.status?.conditions ?? [],
              problems: eppPods
                .map(p => ({
                  pod: p.metadata.name,
                  reason: podCrashReason(p),
                  message:
                    p.status?.containerStatuses?.[0]?.state?.waiting?.message,
                }))
                .filter(x => x.reason),
            }
          : undefined,
        inferencePool: pools[0]
          ? {
              name: pools[0].metadata.name,
              parents: (pools[0] as any).status?.parents ?? [],
            }
          : undefined,
        httpRoute: routes[0]
          ? {
              name: routes[0].metadata.name,
              parents: (routes[0] as any).status?.parents ?? [],
            }
          : undefined,
      }
    : undefined;
  const related = new Set([
    name,
    ...lws.map(l => l.metadata.name),
    ...pods.map(p => p.metadata.name),
    ...deployments.map(d => d.metadata.name),
    ...(pg ? [pg.metadata.name] : []),
  ]);
  return {
    cluster: client.name,
    namespace: ns,
    name,
    generation: isvc.metadata.generation,
    spec: {
      roles: isvc.spec.roles.map(r => ({
        name: r.name,
        componentType: r.componentType,
        replicas: r.componentType === 'router' ? undefined : (r.replicas ?? 1),
        nodesPerReplica: r.multinode?.nodeCount ?? 1,
        strategy: r.strategy,
      })),
    },
    status,
    roles,
    gang,
    router,
    events: events
      .filter(e => related.has(e.involvedObject?.name))
      .sort((a, b) =>
        String(b.lastTimestamp ?? '').localeCompare(
          String(a.lastTimestamp ?? ''),
        ),
      )
      .slice(0, 50)
      .map(e => ({
        type: e.type,
        reason: e.reason,
        message: e.message,
        object: `${e.involvedObject?.kind}/${e.involvedObject?.name}`,
        lastTimestamp: e.lastTimestamp,
      })),
  };
}
