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
    // Upstream formula: limits of regular containers, each rounded up to a whole unit per pod, × pods of the role.
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
        const add =
          perPodUnits * BigInt(role.replicas * role.nodeCount) * 1_000_000_000n;
        const prev = totals.get(name);
        totals.set(name, {
          nanos: (prev?.nanos ?? 0n) + add,
          format: prev?.format ?? q.format,
        });
      }
    }
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

/**
 * The `/bin/sh -c` line of a multi-node leader: start the Ray head, then the model server with the user's argv.
 * Each argv element is shell-quoted (upstream joined them raw, mangling JSON arguments, gap 12).
 * @public
 */
export function rayLeaderCommandLine(
  command: readonly string[],
  args: readonly string[],
): string {
  const cmd = command.length > 0 ? shellJoin(command) : 'vllm serve';
  const parts = [`ray start --head --port=${RAY_HEAD_PORT}`, '&&', cmd];
  if (args.length > 0) parts.push(shellJoin(args));
  if (!hasExecutorBackendFlag([...command, ...args]))
    parts.push('--distributed-executor-backend ray');
  return parts.join(' ');
}

function wrapLeader(c: Container): Container {
  const out: Container = { ...c };
  out.command = ['/bin/sh', '-c'];
  out.args = [rayLeaderCommandLine(stringList(c.command), stringList(c.args))];
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
  const gang = roleNeedsGang(ctx, role);
  const multiNode = role.nodeCount >= 2;
  const out: LeaderWorkerSet[] = [];
  for (let i = 0; i < role.replicas; i++) {
    const name = childNames.lws(ctx.svc, role.name, i);
    const labels: Record<string, string> = {
      [LABELS.service]: ctx.svc,
      [LABELS.componentType]: role.componentType ?? '',
      [LABELS.roleName]: role.name,
      [LABELS.replicaIndex]: String(i),
    };
    const annotations = gang
      ? {
          [ANNOTATIONS.podGroupName]: childNames.podGroup(ctx.svc),
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
    out.push({
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
    });
  }
  return out;
}
