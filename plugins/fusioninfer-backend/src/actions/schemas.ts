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
import {
  applyRequestSchema,
  capacityFitSchema,
  inferenceServiceStatusSchema,
  rolloutRequestSchema,
  canaryRequestSchema,
  scaleRequestSchema,
  SERVICE_STATE_KINDS,
  serviceDetailSchema,
  serviceParamsSchema,
  strategyRequestSchema,
} from '@fusioninfer/plugin-fusioninfer-common';

/**
 * Inputs and outputs of the registered actions, in zod v4 like the REST contract they reuse (`serviceParamsSchema`,
 * `scaleRequestSchema`, `applyRequestSchema` …). The registry gets them converted to zod v3 (`zodV3.ts`); the actions
 * parse their input with these, so they accept exactly what the REST routes accept.
 */

/** `cluster`, `namespace`, `name` of one InferenceService (the REST path parameters). */
export const serviceInput = serviceParamsSchema;

export const scaleInput = z.strictObject({
  ...serviceParamsSchema.shape,
  ...scaleRequestSchema.shape,
});

export const strategyInput = z.strictObject({
  ...serviceParamsSchema.shape,
  ...strategyRequestSchema.shape,
});

export const rolloutInput = z.strictObject({
  ...serviceParamsSchema.shape,
  ...rolloutRequestSchema.shape,
});

export const canaryInput = z.strictObject({
  ...serviceParamsSchema.shape,
  ...canaryRequestSchema.shape,
});

export const metricsInput = z.strictObject({
  ...serviceParamsSchema.shape,
  historyPoints: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe(
      'How many of the most recent history points to include (default 10; the collector keeps fusioninfer.metrics.historySize)',
    ),
});

const { cluster, namespace, manifest, entityRef, children, update } =
  applyRequestSchema.shape;

/** `POST /apply` with `dryRun: true`. */
export const dryRunInput = z.strictObject({
  cluster,
  namespace,
  manifest,
  entityRef,
});

/** `POST /apply` (not a dry run; no scaffolder task id). */
export const applyInput = z.strictObject({
  cluster,
  namespace,
  manifest,
  entityRef,
  children,
  update,
});

const gangSchema = serviceDetailSchema.shape.gang.unwrap();
const eventSchema = serviceDetailSchema.shape.events.element;

/** `get-service-status`: the counts and state words of the REST detail, without pods and events. */
export const serviceStatusOutput = z.strictObject({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  entityRef: z
    .string()
    .describe('The catalog entity whose permissions govern the service'),
  ready: z
    .boolean()
    .describe(
      'The service serves its current spec: Active=True for the current generation, no Failed=True, no crashing pod, conflict, missing replica or unready endpoint picker (state Ready)',
    ),
  state: z
    .enum(SERVICE_STATE_KINDS)
    .describe(
      "One word for the service, as the Inference tab's header shows it; Stale: the status describes an older generation than the spec",
    ),
  message: z.string().describe('Why, in one line'),
  stale: z
    .boolean()
    .describe(
      'observedGeneration is below generation: phase, conditions and counts describe an older spec (never ready)',
    ),
  progress: z
    .string()
    .describe(
      'One line: phase (Updating while stale), ready/desired replicas per role, router readiness',
    ),
  missing: z
    .array(z.string())
    .describe(
      'What keeps the service from Ready, most specific first; empty when ready',
    ),
  fatal: z
    .string()
    .optional()
    .describe(
      'Why the service cannot become ready without a spec change (invalid spec)',
    ),
  generation: z.number().int().optional(),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .describe('The generation the status describes'),
  phase: inferenceServiceStatusSchema.shape.phase.describe(
    'Least advanced phase of any role (Pending, Deploying, Running, Failed, Unknown) in the status, which describes observedGeneration',
  ),
  replicas: z
    .number()
    .int()
    .optional()
    .describe('Replicas wanted, summed over workload roles'),
  readyReplicas: z
    .number()
    .int()
    .optional()
    .describe('Ready replicas, summed over workload roles'),
  conditions: z.array(
    z.strictObject({
      type: z.string(),
      status: z.string(),
      reason: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
  roles: z
    .array(
      z.strictObject({
        name: z.string(),
        componentType: z.string(),
        desiredReplicas: z
          .number()
          .int()
          .describe(
            "Replicas the status's generation asks for (the current spec's while stale)",
          ),
        readyReplicas: z
          .number()
          .int()
          .describe('Replicas (LeaderWorkerSet groups) with every pod ready'),
        nodesPerReplica: z.number().int(),
        readyPods: z.number().int(),
        totalPods: z.number().int(),
        phase: z.string().optional(),
        problems: z
          .array(z.string())
          .describe(
            'Pods with a crash reason: `<pod>: <reason>` (CrashLoopBackOff, ImagePullBackOff, OOMKilled …)',
          ),
      }),
    )
    .describe('Workload roles (worker, prefiller, decoder)'),
  router: z
    .strictObject({
      role: z.string(),
      strategy: z.string(),
      eppReady: z.boolean().optional(),
      inferencePool: z.string().optional(),
      httpRoute: z.string().optional(),
    })
    .optional(),
  gang: z
    .strictObject({
      name: z.string(),
      phase: z
        .string()
        .describe(
          'The Volcano PodGroup phase: Pending, Inqueue, Running, Unknown, Completed',
        ),
      minMember: z.number().int().optional(),
      running: z.number().int(),
      unschedulable: gangSchema.shape.unschedulable,
    })
    .optional()
    .describe('Gang scheduling (Volcano PodGroup), when the service has one'),
});

/** `explain-gang`: what the REST detail knows about a gang that does not run, and the facts in sentences. */
export const gangExplanationOutput = z.strictObject({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  gangScheduling: z
    .boolean()
    .describe(
      'The spec asks for gang scheduling (multi-node roles get a Volcano PodGroup)',
    ),
  running: z
    .boolean()
    .describe(
      'The gang runs (phase Running with minMember pods running, or Completed); true when there is no gang',
    ),
  gang: gangSchema
    .optional()
    .describe(
      "The REST detail's gang: PodGroup phase, tasks with scheduled pods, Volcano's Unschedulable reason, the cluster's GPU capacity",
    ),
  waitingTasks: z.array(
    z.strictObject({
      task: z.string(),
      role: z.string(),
      min: z.number().int().describe('Pods the task needs at the same time'),
      scheduled: z.number().int(),
      gpusPerPod: z.number().optional(),
      gpusNeeded: z
        .number()
        .optional()
        .describe('GPUs the unscheduled pods of the task still need'),
    }),
  ),
  capacityFit: capacityFitSchema
    .optional()
    .describe(
      'Whether the GPUs the waiting pods need fit what is free now (a necessary check, not bin packing)',
    ),
  schedulerEvents: z
    .array(eventSchema)
    .describe(
      'Recent Warning events of the service (FailedScheduling, Unschedulable …)',
    ),
  findings: z.array(z.string()).describe('The facts above, one sentence each'),
});
