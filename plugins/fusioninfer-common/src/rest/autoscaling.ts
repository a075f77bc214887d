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

const text = z.string().max(4096);
const count = z.number().int().min(0);
const instant = z.iso.datetime();

/** Why an autoscaling decision does not (fully) happen now (common `AutoscalingBlockReason`). @public */
export const autoscalingBlockSchema = z.strictObject({
  reason: z.enum([
    'no-signal',
    'max',
    'stabilization',
    'cooldown',
    'ratio',
    'quota',
    'gang-cannot-fit',
    'approval-pending',
    'at-zero',
  ]),
  message: text,
});

/** One role of `GET …/autoscaling`: its policy, the signal now and the last decision. @public */
export const autoscalingRoleSchema = z
  .strictObject({
    role: text,
    mode: z.enum(['advisory', 'acting']),
    signal: z.enum([
      'waitingRequests',
      'kvCacheUsage',
      'prefillBacklogSeconds',
    ]),
    /** The metric the signal is read from, and the unit of its value and target. */
    metric: text,
    unit: text,
    /** The signal at the last decision (absent: not measured). */
    value: z.number().finite().optional(),
    target: z.number().finite(),
    minReplicas: count,
    maxReplicas: count,
    /** Replicas of the role's spec now. */
    actual: count,
    /** What the signal alone asked for at the last decision. */
    desired: count.optional(),
    /** The recommendation of the last decision (within min/max, stabilised, P/D ratio). */
    recommendation: count.optional(),
    /** What the last decision set, or would set in acting mode (within quota and fit, or held). */
    next: count.optional(),
    blockedBy: z.array(autoscalingBlockSchema).max(20),
    /** The last decision in one sentence. */
    summary: text,
    /** The last change of the role's replicas the autoscaler saw or made. */
    lastChange: z
      .strictObject({ at: instant, from: count, to: count })
      .optional(),
    /** What the autoscaler last did for this role. */
    lastAction: z
      .strictObject({
        at: instant,
        outcome: z.enum(['scaled', 'approval-requested', 'refused', 'failed']),
        message: text,
        approvalId: z.uuid().optional(),
      })
      .optional(),
  })
  .meta({ id: 'AutoscalingRole' });

/** `GET …/services/:name/autoscaling`. @public */
export const autoscalingResponseSchema = z
  .strictObject({
    cluster: text,
    namespace: text,
    name: text,
    /** Whether the service carries the `fusioninfer.io/autoscaling` annotation. */
    annotated: z.boolean(),
    /** Problems of the annotation (nothing is decided while there are any), each naming its field. */
    issues: z.array(z.strictObject({ path: text, message: text })).max(200),
    autoscaler: z.strictObject({
      /** `fusioninfer.autoscaler.enabled`. */
      enabled: z.boolean(),
      intervalSeconds: z.number().finite().min(0),
      /** `deciding`: decisions are recent; `waiting`: none yet or none recent (the message says why). */
      state: z.enum(['deciding', 'waiting', 'disabled']),
      message: text.optional(),
    }),
    /** When the last decision was made. */
    decidedAt: instant.optional(),
    /** The prefill:decode ratio kept within ±1 replica, e.g. "1:2". */
    pdRatio: text.optional(),
    roles: z.array(autoscalingRoleSchema).max(1000),
    /** The autoscaler's latest approval request for this service, when one was filed. */
    approval: z
      .strictObject({
        id: z.uuid(),
        status: z.enum([
          'pending',
          'approved',
          'rejected',
          'cancelled',
          'expired',
        ]),
        requestedAt: instant,
      })
      .optional(),
  })
  .meta({ id: 'AutoscalingResponse' });
/** The answer of `GET …/autoscaling`. @public */
export type AutoscalingResponse = z.infer<typeof autoscalingResponseSchema>;
/** One role of {@link AutoscalingResponse}. @public */
export type AutoscalingRoleView = z.infer<typeof autoscalingRoleSchema>;
