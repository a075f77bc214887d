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
  ANNOTATIONS,
  LABELS,
  RAY_HEAD_PORT,
  VOLCANO_SCHEDULER,
} from '../constants';
import { canaryLwsName, TRACK_LABEL } from '../canary/policy';
import { REVISION_LABEL } from '../rollout/policy';
import { specHash } from '../hash';
import { childNames } from '../names';
import { formatQuantity, parseQuantity, Quantity } from '../quantity';
import {
  Container,
  LeaderWorkerSet,
  PodGroup,
  PodSpec,
  PodTemplateSpec,
} from '../types';
import {
  cloneJson,
  isObject,
  NormalizedRole,
  RenderContext,
  roleNeedsGang,
} from './context';
import { shellJoin } from './shell';

const RAY_WORKER_LINE = `ray start --address=$LWS_LEADER_ADDRESS:${RAY_HEAD_PORT} --block`;

/**
 * Adds a role's share of a PodGroup's minResources to `totals`, by the upstream formula: the limits of its regular
 * containers, each rounded up to a whole unit per pod, × `pods`.
 */
function addGangResources(
  totals: Map<string, Quantity>,
  role: NormalizedRole,
  pods: number,
) {
  for (const c of role.podSpec?.containers ?? []) {
    const limits =
      isObject(c.resources) && isObject(c.resources.limits)
        ? c.resources.limits
        : {};
    for (const [name, raw] of Object.entries(limits)) {
      const q =
        typeof raw === 'string' || typeof raw === 'number'
          ? parseQuantity(raw)
          : undefined;
      if (!q) continue;
      const perPodUnits =
        q.nanos <= 0n ? 0n : (q.nanos + 999_999_999n) / 1_000_000_000n;
      const prev = totals.get(name);
      totals.set(name, {
        nanos:
          (prev?.nanos ?? 0n) + perPodUnits * BigInt(pods) * 1_000_000_000n,
        format: prev?.format ?? q.format,
      });
    }
  }
}

/** PodGroup `{svc}` (spec §3.2), or undefined when the service needs no gang scheduling. */
export function renderPodGroup(ctx: RenderContext): PodGroup | undefined {
  if (!ctx.gangScheduling) return undefined;
  const minTaskMember: Record<string, number> = {};
  let minMember = 0;
  const totals = new Map<string, Quantity>();
  for (const role of ctx.workloadRoles) {
    if (!roleNeedsGang(ctx, role)) continue;
    for (let i = 0; i < role.replicas; i++)
      minTaskMember[childNames.task(role.name, i)] = role.nodeCount;
    minMember += role.replicas * role.nodeCount;
    addGangResources(totals, role, role.replicas * role.nodeCount);
  }
  const minResources: Record<string, string> = {};
  for (const [name, q] of totals) minResources[name] = formatQuantity(q);
  const spec = { minMember, minTaskMember, minResources };
  return {
    apiVersion: 'scheduling.volcano.sh/v1beta1',
    kind: 'PodGroup',
    metadata: {
      name: childNames.podGroup(ctx.svc),
      namespace: ctx.namespace,
      labels: { [LABELS.service]: ctx.svc, [LABELS.specHash]: specHash(spec) },
      ...(ctx.ownerReferences
        ? { ownerReferences: cloneJson(ctx.ownerReferences) }
        : {}),
    },
    spec,
  };
}

function hasExecutorBackendFlag(argv: readonly string[]): boolean {
  return argv.some(
    a =>
      a === '--distributed-executor-backend' ||
      a.startsWith('--distributed-executor-backend='),
  );
}

function stringList(v: unknown): string[] {
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : [];
}

/** Upstream's default model server when the container has no command. */
const DEFAULT_SERVER = ['vllm', 'serve'];
const EXECUTOR_FLAG = ['--distributed-executor-backend', 'ray'];

/**
 * The shell script of a multi-node leader: start the Ray head, then `exec` the model server from the positional
 * parameters. The user's argv never becomes part of the script: the kubelet expands `$(VAR)` in each argv element
 * separately, and `sh` passes `"$@"` on without parsing it again, so no value (from a ConfigMap, Secret or the
 * downward API) can become shell code (review M1).
 * @public
 */
export function rayLeaderScript(
  command: readonly string[],
  args: readonly string[],
): string {
  const flag = hasExecutorBackendFlag([...command, ...args])
    ? ''
    : ` ${EXECUTOR_FLAG.join(' ')}`;
  return `ray start --head --port=${RAY_HEAD_PORT} && exec "$@"${flag}`;
}

/**
 * The `command` and `args` of a multi-node leader container: `["/bin/sh", "-c", <script>, "sh"]` and the model
 * server's argv (the user's command, or `vllm serve`, then the user's args), which the script runs with
 * `exec "$@"`, adding `--distributed-executor-backend ray` unless the argv sets an executor backend.
 * @public
 */
export function rayLeaderContainerArgv(
  command: readonly string[],
  args: readonly string[],
): { command: string[]; args: string[] } {
  return {
    command: ['/bin/sh', '-c', rayLeaderScript(command, args), 'sh'],
    args: [...(command.length > 0 ? command : DEFAULT_SERVER), ...args],
  };
}

/**
 * What a multi-node leader runs, as one shell-quoted line for people (upstream's `args[0]`, spec §3.3): the Ray head,
 * then the model server with every argument quoted, and the executor flag unless one is set. The container itself
 * no longer carries this line (see {@link rayLeaderContainerArgv}).
 * @public
 */
export function rayLeaderCommandLine(
  command: readonly string[],
  args: readonly string[],
): string {
  const cmd =
    command.length > 0 ? shellJoin(command) : DEFAULT_SERVER.join(' ');
  const parts = [`ray start --head --port=${RAY_HEAD_PORT}`, '&&', cmd];
  if (args.length > 0) parts.push(shellJoin(args));
  if (!hasExecutorBackendFlag([...command, ...args]))
    parts.push(EXECUTOR_FLAG.join(' '));
  return parts.join(' ');
}

function wrapLeader(c: Container): Container {
  const out: Container = { ...c };
  const argv = rayLeaderContainerArgv(
    stringList(c.command),
    stringList(c.args),
  );
  out.command = argv.command;
  out.args = argv.args;
  out.ports = [
    ...(Array.isArray(c.ports) ? c.ports : []),
    { name: 'ray-head', containerPort: RAY_HEAD_PORT, protocol: 'TCP' },
  ];
  if (!c.readinessProbe) {
    out.readinessProbe = {
      tcpSocket: { port: RAY_HEAD_PORT },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 6,
    };
  }
  return out;
}

function wrapWorker(c: Container): Container {
  return { ...c, command: ['/bin/sh', '-c'], args: [RAY_WORKER_LINE] };
}

/** The LeaderWorkerSets of one workload role, one per replica (spec §3.3). */
export function renderRoleLws(
  ctx: RenderContext,
  role: NormalizedRole,
): LeaderWorkerSet[] {
  const out: LeaderWorkerSet[] = [];
  for (let i = 0; i < role.replicas; i++)
    out.push(renderReplicaLws(ctx, role, i));
  return out;
}

/** The label of a rollout's surge replica (its LeaderWorkerSet, pods and PodGroup). @public */
export const SURGE_LABEL = 'fusioninfer.io/surge';

/**
 * The LeaderWorkerSet of one replica of a role. A surge replica (a rollout's extra replica, index from the role's
 * replicas up) is labelled as such and, when the role is gang-scheduled, joins a PodGroup of its own
 * ({@link renderSurgePodGroup}) rather than the service's, whose minMember it is not part of.
 */
export function renderReplicaLws(
  ctx: RenderContext,
  role: NormalizedRole,
  i: number,
  kind: ReplicaKind = 'stable',
): LeaderWorkerSet {
  const gang = roleNeedsGang(ctx, role);
  const multiNode = role.nodeCount >= 2;
  const canary = kind === 'canary';
  const name = canary
    ? canaryLwsName(ctx.svc, role.name, i)
    : childNames.lws(ctx.svc, role.name, i);
  const labels: Record<string, string> = {
    [LABELS.service]: ctx.svc,
    [LABELS.componentType]: role.componentType ?? '',
    [LABELS.roleName]: role.name,
    [LABELS.replicaIndex]: String(i),
    ...(kind === 'surge' ? { [SURGE_LABEL]: 'true' } : {}),
    // Only services with the canary annotation: their two pools tell stable from canary pods by this label.
    ...(ctx.canary || canary
      ? { [TRACK_LABEL]: canary ? 'canary' : 'stable' }
      : {}),
    // Only services that opt in (fusioninfer.io/revision-label): which revision a replica's pods run (P/D pairs share one).
    ...(ctx.revisions?.[role.name]
      ? { [REVISION_LABEL]: ctx.revisions[role.name] }
      : {}),
  };
  const annotations = gang
    ? {
        [ANNOTATIONS.podGroupName]:
          kind === 'stable'
            ? childNames.podGroup(ctx.svc)
            : ownPodGroupName(ctx.svc, role.name, i, kind),
        [ANNOTATIONS.volcanoTaskSpec]: childNames.task(role.name, i),
      }
    : undefined;
  const baseSpec = (): PodSpec => {
    const s = cloneJson(role.podSpec ?? { containers: [] });
    if (gang) s.schedulerName = VOLCANO_SCHEDULER;
    return s;
  };
  const template = (spec: PodSpec): PodTemplateSpec => ({
    metadata: {
      labels: { ...labels },
      ...(annotations ? { annotations: { ...annotations } } : {}),
    },
    spec,
  });
  const workerSpec = baseSpec();
  let leaderTemplate: PodTemplateSpec | undefined;
  if (multiNode && workerSpec.containers.length > 0) {
    const leaderSpec = baseSpec();
    leaderSpec.containers[0] = wrapLeader(leaderSpec.containers[0]);
    workerSpec.containers[0] = wrapWorker(workerSpec.containers[0]);
    leaderTemplate = template(leaderSpec);
  }
  const spec: LeaderWorkerSet['spec'] = {
    replicas: 1,
    startupPolicy: 'LeaderCreated',
    rolloutStrategy: { type: 'RollingUpdate' },
    leaderWorkerTemplate: {
      size: role.nodeCount,
      ...(leaderTemplate ? { leaderTemplate } : {}),
      workerTemplate: template(workerSpec),
    },
  };
  // The hash covers the spec before the hash label is added; pods then carry the hash label too (upstream).
  const hash = specHash(spec);
  for (const t of [
    spec.leaderWorkerTemplate.leaderTemplate,
    spec.leaderWorkerTemplate.workerTemplate,
  ]) {
    if (t?.metadata?.labels) t.metadata.labels[LABELS.specHash] = hash;
  }
  return {
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: {
      name,
      namespace: ctx.namespace,
      labels: { ...labels, [LABELS.specHash]: hash },
      ...(ctx.ownerReferences
        ? { ownerReferences: cloneJson(ctx.ownerReferences) }
        : {}),
    },
    spec,
  };
}

/** A replica of the service's spec (`stable`), a rollout's surge replica, or a canary replica. */
export type ReplicaKind = 'stable' | 'surge' | 'canary';

/** The PodGroup name of a gang-scheduled surge or canary replica (a gang of its own). */
export function ownPodGroupName(
  svc: string,
  role: string,
  index: number,
  kind: 'surge' | 'canary',
) {
  return kind === 'surge'
    ? `${svc}-${role}-${index}-surge`
    : canaryLwsName(svc, role, index);
}

/** The PodGroup of one gang-scheduled surge or canary replica: its own gang of `nodeCount` pods. */
export function renderOwnPodGroup(
  ctx: RenderContext,
  role: NormalizedRole,
  index: number,
  kind: 'surge' | 'canary' = 'surge',
): PodGroup | undefined {
  if (!roleNeedsGang(ctx, role)) return undefined;
  const task = childNames.task(role.name, index);
  const totals = new Map<string, Quantity>();
  addGangResources(totals, role, role.nodeCount);
  const minResources: Record<string, string> = {};
  for (const [name, q] of totals) minResources[name] = formatQuantity(q);
  const spec = {
    minMember: role.nodeCount,
    minTaskMember: { [task]: role.nodeCount },
    minResources,
  };
  return {
    apiVersion: 'scheduling.volcano.sh/v1beta1',
    kind: 'PodGroup',
    metadata: {
      name: ownPodGroupName(ctx.svc, role.name, index, kind),
      namespace: ctx.namespace,
      labels: {
        [LABELS.service]: ctx.svc,
        [LABELS.roleName]: role.name,
        ...(kind === 'surge'
          ? { [SURGE_LABEL]: 'true' }
          : { [TRACK_LABEL]: 'canary' }),
        [LABELS.specHash]: specHash(spec),
      },
      ...(ctx.ownerReferences
        ? { ownerReferences: cloneJson(ctx.ownerReferences) }
        : {}),
    },
    spec,
  };
}
