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
  MAX_PAGE_SIZE,
  validationIssueSchema,
} from './common';

/** Largest manifest the REST API takes (bytes of JSON). @public */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

const manifest = jsonObjectSchema.describe(
  'An InferenceService (fusioninfer.io/v1alpha1); checked by validateInferenceService. Its metadata.namespace, when set, must equal `namespace`.',
);
const entityRef = z
  .string()
  .max(512)
  .regex(
    /^[a-zA-Z][a-zA-Z0-9]*:[a-zA-Z0-9][-a-zA-Z0-9_.]*\/[a-zA-Z0-9][-a-zA-Z0-9_.]*$/,
    'must be a full entity reference kind:namespace/name',
  );
const taskId = z.string().min(1).max(255);

/** GPUs, pods and roles of a service, computed arithmetically from the spec. @public */
export const approvalSummarySchema = z
  .strictObject({
    gpus: z.number(),
    pods: z.number(),
    roles: z.array(
      z.strictObject({
        name: z.string(),
        componentType: z.string().optional(),
        replicas: z.number(),
        nodesPerReplica: z.number(),
        gpus: z.number(),
      }),
    ),
  })
  .meta({ id: 'ApprovalSummary' });

/** What the backend did with an approved request. @public */
export const approvalExecutionSchema = z
  .strictObject({
    state: z.enum(['applying', 'applied', 'failed']),
    at: z.string(),
    message: z.string().optional(),
  })
  .meta({ id: 'ApprovalExecution' });

const policyFindingSchema = z.strictObject({
  field: z.string(),
  rule: z.string(),
  message: z.string(),
});

/**
 * The one policy's verdict on a change (team project, pod security, GPU quota): what the dry run, the preview field
 * and the approval page show, and what the writer enforces.
 * @public
 */
export const policyVerdictSchema = z
  .strictObject({
    /** False: nothing is applied, not even after approval. */
    allowed: z.boolean(),
    denials: z.array(policyFindingSchema),
    /** The team project of the service's owner (with team projects configured). */
    project: z.string().optional(),
    owner: z.string().optional(),
    /** The project's GPUs in the cluster before and after the change, against its quota. */
    quota: z
      .strictObject({
        cluster: z.string(),
        limit: z.number(),
        before: z.number(),
        after: z.number(),
      })
      .optional(),
    podSecurity: z.strictObject({
      level: z.string(),
      violations: z.array(policyFindingSchema),
    }),
    /** DRA resource claims of the pods (devices the GPU count cannot see). */
    resourceClaims: z.number().optional(),
    /** The change concerns a service that belongs to this other entity now. */
    previousEntityRef: z.string().optional(),
  })
  .meta({ id: 'PolicyVerdict' });
/** The one policy's verdict on a change. @public */
export type PolicyVerdictBody = z.infer<typeof policyVerdictSchema>;

const approvalBase = {
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']),
  action: z.enum(['create', 'update', 'scale', 'delete']),
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  entityRef: z.string().optional(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  reasons: z.array(z.string()),
  summary: approvalSummarySchema.optional(),
  /** specHash of the stored manifest: what an approval approves. */
  specHash: z.string().optional(),
  /** Apply options stored with the request (POST /apply `children`, `update`). */
  options: z
    .strictObject({
      children: z.boolean().optional(),
      update: z.boolean().optional(),
    })
    .optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  comment: z.string().optional(),
  expiresAt: z.string().optional(),
  taskId: z.string().optional(),
  execution: approvalExecutionSchema.optional(),
  /** The policy's verdict when the request was filed (project, quota, pod security, entity changed). */
  policy: policyVerdictSchema.optional(),
};

/**
 * One approval request (`GET /approvals/:id` carries the manifest, and the pre-flight of that manifest on the
 * cluster as it is now). @public
 */
export const approvalRequestSchema = z
  .strictObject({
    ...approvalBase,
    manifest: z.unknown().optional(),
    preflight: preflightReportSchema.optional(),
  })
  .meta({ id: 'ApprovalRequest' });

/** One approval request in a list (no manifest). @public */
export const approvalListItemSchema = z
  .strictObject(approvalBase)
  .meta({ id: 'ApprovalListItem' });

/** `POST /approvals/check` body. @public */
export const approvalCheckRequestSchema = z
  .strictObject({
    cluster: kubernetesName('cluster'),
    namespace: kubernetesName('namespace'),
    manifest,
  })
  .meta({ id: 'ApprovalCheckRequest' });
/** `POST /approvals/check` body. @public */
export type ApprovalCheckRequest = z.infer<typeof approvalCheckRequestSchema>;

/** `POST /approvals/check`: whether policy holds this deployment for approval, and why. @public */
export const approvalCheckResponseSchema = z
  .strictObject({
    required: z.boolean(),
    reasons: z.array(z.string()),
    summary: approvalSummarySchema,
    warnings: z.array(validationIssueSchema),
    /** GPUs of the target cluster now (absent: unknown). */
    capacity: clusterCapacitySchema.optional(),
    /** Whether the deployment fits them. */
    capacityFit: capacityFitSchema.optional(),
    policy: policyVerdictSchema.optional(),
    /** Whether each role's model starts on the cluster's GPUs and whether the pods fit its nodes now. */
    preflight: preflightReportSchema.optional(),
  })
  .meta({ id: 'ApprovalCheckResponse' });
/** `POST /approvals/check`. @public */
export type ApprovalCheckResponse = z.infer<typeof approvalCheckResponseSchema>;

/** `POST /approvals` body. @public */
export const createApprovalRequestSchema = z
  .strictObject({
    cluster: kubernetesName('cluster'),
    namespace: kubernetesName('namespace'),
    manifest,
    action: z.enum(['create', 'update', 'scale', 'delete']).optional(),
    entityRef: entityRef
      .optional()
      .describe(
        'Must be the entity the manifest names (backstage.io/entity-ref), or one the caller may update',
      ),
    taskId: taskId.optional(),
    children: z.boolean().optional(),
    update: z.boolean().optional(),
  })
  .meta({ id: 'CreateApprovalRequest' });
/** `POST /approvals` body. @public */
export type CreateApprovalRequest = z.infer<typeof createApprovalRequestSchema>;

/** `GET /approvals` query. @public */
export const listApprovalsQuerySchema = z.strictObject({
  status: z
    .string()
    .max(200)
    .regex(
      /^(pending|approved|rejected|expired|cancelled)(,(pending|approved|rejected|expired|cancelled))*$/,
      'one or more of pending, approved, rejected, expired, cancelled (comma-separated)',
    )
    .optional(),
  cluster: z.string().max(63).optional(),
  namespace: z.string().max(63).optional(),
  name: z.string().max(253).optional(),
  requestedBy: z.string().max(512).optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .optional(),
  offset: z
    .string()
    .regex(/^\d{1,9}$/, 'a non-negative integer')
    .transform(Number)
    .optional(),
});
/** `GET /approvals` query (as sent: strings). @public */
export type ListApprovalsQuery = z.input<typeof listApprovalsQuerySchema>;

/** `GET /approvals`: a page of requests the caller may read (no manifests), and the exact total. @public */
export const approvalListResponseSchema = z
  .strictObject({
    items: z.array(approvalListItemSchema),
    totalCount: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: 'ApprovalListResponse' });

/** `POST /approvals/:id/decision` body. @public */
export const decisionRequestSchema = z
  .strictObject({
    approve: z.boolean(),
    comment: z.string().max(2000).optional(),
  })
  .meta({ id: 'DecisionRequest' });
/** `POST /approvals/:id/decision` body. @public */
export type DecisionRequest = z.infer<typeof decisionRequestSchema>;

/** GPUs, pods and roles of a service. @public */
export type ApprovalSummary = z.infer<typeof approvalSummarySchema>;
/** One approval request in a list (no manifest). @public */
export type ApprovalListItem = z.infer<typeof approvalListItemSchema>;
/** `GET /approvals`. @public */
export type ApprovalListResponse = z.infer<typeof approvalListResponseSchema>;
