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

import { z } from 'zod';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  applyAppliedResponseSchema,
  applyDryRunResponseSchema,
  approvalRequiredResponseSchema,
  capacityFit,
  deleteResponseSchema,
  isGangRunning,
  metricsResponseSchema,
  rolloutResponseSchema,
  canaryResponseSchema,
  scaleResponseSchema,
  serviceState,
  strategyResponseSchema,
  summarizeInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  applyServiceManifest,
  ChangeOperationsDeps,
  deleteServiceAs,
  scaleServiceRole,
  setServiceRolloutPaused,
  setServiceCanary,
  setServiceStrategy,
} from '../changes/operations';
import { parseOrThrow } from '../contract/parse';
import {
  readServiceDetail,
  readServiceMetrics,
  ServiceReadDeps,
} from '../views/reads';
import {
  applyInput,
  dryRunInput,
  gangExplanationOutput,
  metricsInput,
  rolloutInput,
  canaryInput,
  scaleInput,
  serviceInput,
  serviceStatusOutput,
  strategyInput,
} from './schemas';
import { objectToZodV3, outcomesToZodV3 } from './zodV3';

/**
 * What the actions share with the REST routes: the change operations' and the read views' dependencies (built once
 * in the plugin, `FusionInferServices` of `http/router.ts`).
 */
export type FusionInferActionDeps = ChangeOperationsDeps & ServiceReadDeps;

/** Names of the registered actions (ids are `fusioninfer:<name>`). */
export const FUSIONINFER_ACTIONS = {
  getServiceStatus: 'get-service-status',
  explainGang: 'explain-gang',
  getRoutingMetrics: 'get-routing-metrics',
  dryRun: 'dry-run',
  scaleRole: 'scale-role',
  setStrategy: 'set-strategy',
  setRolloutPaused: 'set-rollout-paused',
  canary: 'canary',
  deleteService: 'delete-service',
  applyService: 'apply-service',
} as const;

const READ_ONLY = { readOnly: true, destructive: false, idempotent: true };
// Idempotent: the same input again changes nothing more — a write finds the state it set, a held change finds the
// caller's pending request for the same manifest (the gate reuses it), a second delete finds nothing to delete.
const DESTRUCTIVE = { readOnly: false, destructive: true, idempotent: true };

const SERVICE_REF =
  'The service is named by the cluster (fusioninfer.clusters[].name), its namespace and its name.';
const WRITE_PATH =
  'Runs as the caller through the same writer as the REST API: fusioninfer.service.update (delete: .delete) on the entity the service belongs to, the policy (team project, pod security, GPU quota), and the approval policy — a change it holds becomes an approval request and nothing changes (outcome "approval-required" with the request and reasons).';

/**
 * The state (common's `serviceState`: ready, stale, what is missing), roles, phase and gang words of a service
 * detail (what `get-service-status` answers).
 */
function statusOf(
  detail: Awaited<ReturnType<typeof readServiceDetail>>['detail'],
): z.input<typeof serviceStatusOutput> {
  const { status } = detail;
  const state = serviceState(detail);
  return {
    cluster: detail.cluster,
    namespace: detail.namespace,
    name: detail.name,
    entityRef: detail.entityRef,
    ready: state.ready,
    state: state.kind,
    message: state.message,
    stale: state.stale,
    progress: state.progress,
    missing: state.missing,
    ...(state.fatal ? { fatal: state.fatal } : {}),
    ...(detail.generation !== undefined
      ? { generation: detail.generation }
      : {}),
    ...(state.observedGeneration !== undefined
      ? { observedGeneration: state.observedGeneration }
      : {}),
    ...(status.phase ? { phase: status.phase } : {}),
    ...(status.replicas !== undefined ? { replicas: status.replicas } : {}),
    ...(status.readyReplicas !== undefined
      ? { readyReplicas: status.readyReplicas }
      : {}),
    conditions: (status.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    })),
    roles: detail.roles.map((r, i) => {
      const pods = r.replicas.flatMap(x => x.pods);
      const role = state.roles[i];
      // A stale status counts an older spec: the pod counts then come from the spec and the live pods too.
      const current = state.stale ? undefined : r.status;
      const nodesPerReplica =
        current?.nodesPerReplica ??
        detail.spec.roles.find(x => x.name === r.name)?.nodesPerReplica ??
        1;
      return {
        name: r.name,
        componentType: r.componentType,
        desiredReplicas: role.replicas,
        readyReplicas: role.readyReplicas,
        nodesPerReplica,
        readyPods: current?.readyPods ?? pods.filter(p => p.ready).length,
        totalPods: current?.totalPods ?? role.replicas * nodesPerReplica,
        ...(role.phase ? { phase: role.phase } : {}),
        problems: role.problems,
      };
    }),
    ...(detail.router
      ? {
          router: {
            role: detail.router.role,
            strategy: detail.router.strategy,
            ...(detail.router.epp ? { eppReady: detail.router.epp.ready } : {}),
            ...(detail.router.inferencePool
              ? { inferencePool: detail.router.inferencePool.name }
              : {}),
            ...(detail.router.httpRoute
              ? { httpRoute: detail.router.httpRoute.name }
              : {}),
          },
        }
      : {}),
    ...(detail.gang
      ? {
          gang: {
            name: detail.gang.name,
            phase: detail.gang.phase,
            ...(detail.gang.minMember !== undefined
              ? { minMember: detail.gang.minMember }
              : {}),
            running: detail.gang.running,
            ...(detail.gang.unschedulable
              ? { unschedulable: detail.gang.unschedulable }
              : {}),
          },
        }
      : {}),
  };
}

/** Why a gang does not start, from the REST detail and the render summary (what `explain-gang` answers). */
function explainGang(
  read: Awaited<ReturnType<typeof readServiceDetail>>,
): z.input<typeof gangExplanationOutput> {
  const { isvc, detail } = read;
  const summary = summarizeInferenceService(isvc, {
    namespace: detail.namespace,
  });
  const gang = detail.gang;
  const base = {
    cluster: detail.cluster,
    namespace: detail.namespace,
    name: detail.name,
    gangScheduling: summary.gangScheduling,
  };
  const schedulerEvents = detail.events
    .filter(e => e.type === 'Warning')
    .slice(0, 10);
  if (!gang)
    return {
      ...base,
      running: true,
      waitingTasks: [],
      schedulerEvents,
      findings: [
        summary.gangScheduling
          ? `${detail.name} asks for gang scheduling but has no PodGroup yet: the controller has not created its children (see the service's conditions).`
          : `${detail.name} is not gang-scheduled (no multi-node role): its pods are scheduled one by one.`,
      ],
    };
  const min = gang.minMember ?? 0;
  const running = isGangRunning(gang);
  const waitingTasks = gang.tasks
    .filter(t => t.scheduled < t.min)
    .map(t => {
      const role = t.task.replace(/-\d+$/, '');
      const per = summary.roles.find(r => r.name === role)?.gpusPerPod;
      return {
        task: t.task,
        role,
        min: t.min,
        scheduled: t.scheduled,
        ...(per !== undefined
          ? {
              gpusPerPod: per,
              gpusNeeded: Math.round(per * (t.min - t.scheduled) * 1000) / 1000,
            }
          : {}),
      };
    });
  const fit = waitingTasks.length
    ? capacityFit(
        {
          gpus: waitingTasks.reduce((s, t) => s + (t.gpusNeeded ?? 0), 0),
          gpusPerPod: Math.max(0, ...waitingTasks.map(t => t.gpusPerPod ?? 0)),
        },
        gang.capacity,
      )
    : undefined;
  const findings: string[] = [
    running
      ? `The gang ${gang.name} runs: ${gang.running} of ${min} required pods running (phase ${gang.phase}).`
      : `The gang ${gang.name} does not run: phase ${gang.phase}, ${gang.running} of ${min} required pods running; Volcano starts none of them until all can be placed.`,
  ];
  if (gang.unschedulable)
    findings.push(
      `Volcano reports ${gang.unschedulable.reason ?? 'Unschedulable'}${gang.unschedulable.message ? `: ${gang.unschedulable.message}` : ''}.`,
    );
  for (const t of waitingTasks)
    findings.push(
      `Task ${t.task} (role ${t.role}) needs ${t.min} pods at the same time, ${t.scheduled} scheduled${t.gpusPerPod !== undefined ? `; ${t.gpusPerPod} GPUs per pod, ${t.gpusNeeded} GPUs still to place` : ''}.`,
    );
  if (fit && !running)
    findings.push(`Cluster ${detail.cluster}: ${fit.message}.`);
  // The kube-scheduler's own words ("0/4 nodes are available: …"), as the Inference tab quotes them.
  const failed = schedulerEvents.find(
    e =>
      e.reason === 'FailedScheduling' &&
      /nodes are available/.test(e.message ?? ''),
  );
  if (failed?.message)
    findings.push(`The scheduler reports: ${failed.message}`);
  return {
    ...base,
    running,
    gang,
    waitingTasks,
    ...(fit ? { capacityFit: fit } : {}),
    schedulerEvents,
    findings,
  };
}

/**
 * Registers the plugin's operations with Backstage's actions registry (ids `fusioninfer:<name>`; the MCP actions
 * backend exposes them as tools). Every action runs as the caller and calls the same function as its REST route:
 * the same permission checks before anything is loaded, the same writer, policy and approval hold, the same errors
 * (403 NotAllowedError, 400 InputError naming the field, 409, generic 503).
 */
export function registerFusionInferActions(
  registry: ActionsRegistryService,
  deps: FusionInferActionDeps,
) {
  registry.register({
    name: FUSIONINFER_ACTIONS.getServiceStatus,
    title: 'Get InferenceService status',
    description: `Phase, conditions, ready replicas and pods per workload role, router (EPP) readiness and gang-scheduling state of one FusionInfer InferenceService. ${SERVICE_REF} Needs fusioninfer.service.read on the entity the service belongs to.`,
    attributes: READ_ONLY,
    schema: {
      input: z3 => objectToZodV3(z3, serviceInput, 'input'),
      output: z3 => objectToZodV3(z3, serviceStatusOutput, 'output'),
    },
    action: async ({ input, credentials }) => {
      const ref = parseOrThrow(serviceInput, input);
      const { detail } = await readServiceDetail(deps, credentials, ref);
      return { output: statusOf(detail) };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.explainGang,
    title: 'Explain why a gang cannot start',
    description: `Why the Volcano gang (PodGroup) of an InferenceService does not run: its phase, Volcano's Unschedulable reason, the tasks whose pods are not all placed with the GPUs they need, whether that fits the cluster's free GPUs, and the scheduler's warnings. ${SERVICE_REF} Needs fusioninfer.service.read.`,
    attributes: READ_ONLY,
    schema: {
      input: z3 => objectToZodV3(z3, serviceInput, 'input'),
      output: z3 => objectToZodV3(z3, gangExplanationOutput, 'output'),
    },
    action: async ({ input, credentials }) => {
      const ref = parseOrThrow(serviceInput, input);
      return {
        output: explainGang(await readServiceDetail(deps, credentials, ref)),
      };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.getRoutingMetrics,
    title: 'Get routing metrics',
    description: `Routing metrics of an InferenceService from the metrics collector (pod proxy or Prometheus): per endpoint (queue, running requests, KV-cache use, request and token rates), per role and for the pool, the EPP's state, warnings and the most recent history points. ${SERVICE_REF} Needs fusioninfer.service.read.`,
    attributes: READ_ONLY,
    schema: {
      input: z3 => objectToZodV3(z3, metricsInput, 'input'),
      output: z3 => objectToZodV3(z3, metricsResponseSchema, 'output'),
    },
    action: async ({ input, credentials }) => {
      const { historyPoints = 10, ...ref } = parseOrThrow(metricsInput, input);
      const m = await readServiceMetrics(deps, credentials, ref);
      return {
        output: {
          ...m,
          history: historyPoints ? m.history.slice(-historyPoints) : [],
        },
      };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.dryRun,
    title: 'Dry-run an InferenceService manifest',
    description:
      "What POST /apply with dryRun answers for a manifest in a cluster and namespace, without storing or applying anything: validation, GPU/pod summary, whether the approval policy would hold it (approvalRequired, reasons), the policy verdict (team project, pod security, GPU quota; allowed: false means it would be refused) and whether it fits the cluster's free GPUs. Needs fusioninfer.service.create on <cluster>/<namespace> and, for an existing service, .update on its entity.",
    attributes: READ_ONLY,
    schema: {
      input: z3 => objectToZodV3(z3, dryRunInput, 'input'),
      output: z3 => objectToZodV3(z3, applyDryRunResponseSchema, 'output'),
    },
    action: async ({ input, credentials }) => {
      const body = parseOrThrow(dryRunInput, input);
      const reply = await applyServiceManifest(deps, credentials, {
        ...body,
        dryRun: true,
      });
      return { output: reply.body };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.scaleRole,
    title: 'Scale a role of an InferenceService',
    description: `Sets the replicas of a worker, prefiller or decoder role (not the router). ${SERVICE_REF} ${WRITE_PATH}`,
    attributes: DESTRUCTIVE,
    schema: {
      input: z3 => objectToZodV3(z3, scaleInput, 'input'),
      output: z3 =>
        outcomesToZodV3(z3, [
          scaleResponseSchema,
          approvalRequiredResponseSchema,
        ]),
    },
    examples: [
      {
        title: 'Scale the worker role of qwen to 2 replicas',
        input: {
          cluster: 'dev',
          namespace: 'demo',
          name: 'qwen-inference',
          role: 'worker',
          replicas: 2,
        },
      },
    ],
    action: async ({ input, credentials }) => {
      const { role, replicas, ...ref } = parseOrThrow(scaleInput, input);
      const reply = await scaleServiceRole(deps, credentials, ref, {
        role,
        replicas,
      });
      return { output: reply.body };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.setStrategy,
    title: "Set the router's routing strategy",
    description: `Sets the routing strategy of the router role (prefix-cache, kv-cache-utilization, queue-size, lora-affinity, pd-disaggregation). ${SERVICE_REF} ${WRITE_PATH}`,
    attributes: DESTRUCTIVE,
    schema: {
      input: z3 => objectToZodV3(z3, strategyInput, 'input'),
      output: z3 =>
        outcomesToZodV3(z3, [
          strategyResponseSchema,
          approvalRequiredResponseSchema,
        ]),
    },
    action: async ({ input, credentials }) => {
      const { strategy, ...ref } = parseOrThrow(strategyInput, input);
      const reply = await setServiceStrategy(deps, credentials, ref, {
        strategy,
      });
      return { output: reply.body };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.setRolloutPaused,
    title: "Pause or resume a role's rollout",
    description: `Sets paused for a worker, prefiller or decoder role in the service's rollout policy (the annotation fusioninfer.io/rollout): a paused role moves no further replica to the new spec, a resumed one goes on. ${SERVICE_REF} ${WRITE_PATH}`,
    attributes: DESTRUCTIVE,
    schema: {
      input: z3 => objectToZodV3(z3, rolloutInput, 'input'),
      output: z3 =>
        outcomesToZodV3(z3, [
          rolloutResponseSchema,
          approvalRequiredResponseSchema,
        ]),
    },
    action: async ({ input, credentials }) => {
      const { role, paused, ...ref } = parseOrThrow(rolloutInput, input);
      const reply = await setServiceRolloutPaused(deps, credentials, ref, {
        role,
        paused,
      });
      return { output: reply.body };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.canary,
    title: "Promote, roll back, pause or resume a service's canary",
    description: `Acts on the canary of the service's current revision (services with the annotation fusioninfer.io/canary): promote moves the stable replicas to the canary's revision in waves; rollback sends all traffic back to the stable pool at once and removes the canary; pause holds its traffic weight; resume goes on (or starts a rolled-back canary again). A command the canary's phase does not allow is refused with the reason. ${SERVICE_REF} ${WRITE_PATH}`,
    // Not idempotent: a second rollback finds nothing to roll back and says so (409).
    attributes: { ...DESTRUCTIVE, idempotent: false },
    schema: {
      input: z3 => objectToZodV3(z3, canaryInput, 'input'),
      output: z3 =>
        outcomesToZodV3(z3, [
          canaryResponseSchema,
          approvalRequiredResponseSchema,
        ]),
    },
    action: async ({ input, credentials }) => {
      const { action, ...ref } = parseOrThrow(canaryInput, input);
      const reply = await setServiceCanary(deps, credentials, ref, { action });
      return { output: reply.body };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.deleteService,
    title: 'Delete an InferenceService',
    description: `Deletes an InferenceService (its children are garbage-collected), with its live UID as precondition. ${SERVICE_REF} Needs fusioninfer.service.delete on the entity the service belongs to; like DELETE on the REST API it is never held for approval.`,
    attributes: DESTRUCTIVE,
    schema: {
      input: z3 => objectToZodV3(z3, serviceInput, 'input'),
      output: z3 =>
        objectToZodV3(
          z3,
          z.strictObject({
            outcome: z.literal('applied'),
            ...deleteResponseSchema.shape,
          }),
          'output',
        ),
    },
    action: async ({ input, credentials }) => {
      const ref = parseOrThrow(serviceInput, input);
      const reply = await deleteServiceAs(deps, credentials, ref);
      return { output: { outcome: 'applied' as const, ...reply.body } };
    },
  });

  registry.register({
    name: FUSIONINFER_ACTIONS.applyService,
    title: 'Apply an InferenceService manifest',
    description: `Server-side applies an InferenceService (fusioninfer.io/v1alpha1) to a cluster and namespace, as POST /apply: fusioninfer.service.create on <cluster>/<namespace> for a new service, .update on the entity of an existing one and on the entity the manifest names; a service that belongs to another entity or field manager is refused (409) unless update is true; children: true also applies the rendered children (clusters without a controller). ${WRITE_PATH} Use dry-run first to see what policy says.`,
    attributes: DESTRUCTIVE,
    schema: {
      input: z3 => objectToZodV3(z3, applyInput, 'input'),
      output: z3 =>
        outcomesToZodV3(z3, [
          applyAppliedResponseSchema,
          approvalRequiredResponseSchema,
        ]),
    },
    action: async ({ input, credentials }) => {
      const body = parseOrThrow(applyInput, input);
      const reply = await applyServiceManifest(deps, credentials, body);
      return { output: reply.body };
    },
  });
}
