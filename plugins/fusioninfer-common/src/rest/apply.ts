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
import { preflightReportSchema } from './preflight';
import {
  capacityFitSchema,
  clusterCapacitySchema,
  jsonObjectSchema,
  kubernetesName,
  validationResultSchema,
} from './common';
import {
  approvalRequestSchema,
  approvalSummarySchema,
  policyVerdictSchema,
} from './approvals';

/** `POST /apply` body. @public */
export const applyRequestSchema = z
  .strictObject({
    cluster: kubernetesName('cluster'),
    namespace: kubernetesName('namespace'),
    manifest: jsonObjectSchema.describe(
      'An InferenceService (fusioninfer.io/v1alpha1). metadata.namespace, when set, must equal `namespace`.',
    ),
    children: z
      .boolean()
      .optional()
      .describe(
        'Also apply the rendered children with owner references (clusters where no controller runs)',
      ),
    update: z
      .boolean()
      .optional()
      .describe(
        'Allow changing a service that exists and belongs to another entity or field manager',
      ),
    entityRef: z
      .string()
      .max(512)
      .optional()
      .describe(
        'Catalog entity of the service; must equal the one the manifest names (backstage.io/entity-ref) when it names one',
      ),
    taskId: z.string().min(1).max(255).optional(),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        'Validate and evaluate policy only: nothing is stored or applied',
      ),
  })
  .meta({ id: 'ApplyRequest' });
/** `POST /apply` body. @public */
export type ApplyRequest = z.infer<typeof applyRequestSchema>;

/** `200` of `POST /apply`: the service was server-side applied. @public */
export const applyAppliedResponseSchema = z
  .strictObject({
    outcome: z.literal('applied'),
    /** True when the service did not exist before. */
    created: z.boolean(),
    service: z.strictObject({
      cluster: z.string(),
      namespace: z.string(),
      name: z.string(),
      uid: z.string().optional(),
    }),
    entityRef: z.string(),
    children: z
      .array(
        z.strictObject({
          apiVersion: z.string(),
          kind: z.string(),
          name: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'ApplyAppliedResponse' });
/** `200` of `POST /apply`. @public */
export type ApplyAppliedResponse = z.infer<typeof applyAppliedResponseSchema>;

/**
 * `202` of `POST /apply`, `…/scale` and `…/strategy`: the policy holds the change for a second person. Nothing was
 * changed; `approval` is the pending request (the same caller asking for the same manifest gets the same request).
 * @public
 */
export const approvalRequiredResponseSchema = z
  .strictObject({
    outcome: z.literal('approval-required'),
    approval: approvalRequestSchema,
    reasons: z.array(z.string()),
  })
  .meta({ id: 'ApprovalRequiredResponse' });
/** `202` of a mutation held for approval. @public */
export type ApprovalRequiredResponse = z.infer<
  typeof approvalRequiredResponseSchema
>;

/** `200` of `POST /apply` with `dryRun: true`: nothing stored, nothing applied. @public */
export const applyDryRunResponseSchema = z
  .strictObject({
    outcome: z.literal('dry-run'),
    approvalRequired: z.boolean(),
    reasons: z.array(z.string()),
    summary: approvalSummarySchema,
    validation: validationResultSchema,
    /** GPUs of the target cluster now (absent: unknown). */
    capacity: clusterCapacitySchema.optional(),
    /** Whether the deployment fits them. */
    capacityFit: capacityFitSchema.optional(),
    /** The policy's verdict: project, quota, pod security; `allowed: false` means the apply would be refused. */
    policy: policyVerdictSchema.optional(),
    /** Whether each role's model starts on the cluster's GPUs and whether the pods fit its nodes now. */
    preflight: preflightReportSchema.optional(),
  })
  .meta({ id: 'ApplyDryRunResponse' });
/** `200` of a dry run. @public */
export type ApplyDryRunResponse = z.infer<typeof applyDryRunResponseSchema>;

/** `200` of `POST /apply`: applied, or a dry run's answer (told apart by `outcome`). @public */
export const applyOkResponseSchema = z.union([
  applyAppliedResponseSchema,
  applyDryRunResponseSchema,
]);

/** Every successful answer of `POST /apply`, told apart by `outcome`. @public */
export type ApplyResponse =
  ApplyAppliedResponse | ApprovalRequiredResponse | ApplyDryRunResponse;
