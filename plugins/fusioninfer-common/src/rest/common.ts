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
import { KubernetesNameKind, nameProblems } from '../names';

/** A zod string schema for a Kubernetes name of the given kind (messages name the rule). @public */
export function kubernetesName(kind: KubernetesNameKind) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(kind === 'object' ? 253 : 63)
    .superRefine((v, ctx) => {
      for (const message of nameProblems(kind, v))
        ctx.addIssue({ code: 'custom', message });
    });
}

/** Path parameters of the routes of one service. @public */
export const serviceParamsSchema = z.strictObject({
  cluster: kubernetesName('cluster'),
  namespace: kubernetesName('namespace'),
  name: kubernetesName('service'),
});
/** `cluster/namespace/name` of one InferenceService. @public */
export type ServiceParams = z.infer<typeof serviceParamsSchema>;

const ENTITY_PART = /^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$/;
/** Path parameters of the entity routes (Backstage entity kind, namespace and name rules). @public */
export const entityParamsSchema = z.strictObject({
  kind: z
    .string()
    .max(63)
    .regex(
      /^[a-zA-Z][a-z0-9A-Z]*$/,
      'must be an entity kind such as Component',
    ),
  namespace: z
    .string()
    .max(63)
    .regex(ENTITY_PART, 'must be an entity namespace'),
  name: z.string().max(63).regex(ENTITY_PART, 'must be an entity name'),
});
/** A compound entity reference as the entity routes take it. @public */
export type EntityParams = z.infer<typeof entityParamsSchema>;

/** Approval request ids are UUIDs. @public */
export const approvalIdParamsSchema = z.strictObject({
  id: z.uuid('must be an approval request id (a UUID)'),
});

/** A Kubernetes object as JSON (any fields). @public */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string().optional(),
    namespace: z.string().optional(),
  }),
});

/** A JSON object (manifests are checked by validateInferenceService, not by this schema). @public */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/** One validation finding (validateInferenceService). @public */
export const validationIssueSchema = z.strictObject({
  path: z.string(),
  message: z.string(),
  severity: z.enum(['error', 'warning']),
});
/** The result of validateInferenceService. @public */
export const validationResultSchema = z.strictObject({
  valid: z.boolean(),
  errors: z.array(validationIssueSchema),
  warnings: z.array(validationIssueSchema),
});

/** The error body of every non-2xx answer (Backstage's error JSON, `@backstage/errors` ErrorResponseBody). @public */
export const errorResponseSchema = z
  .looseObject({
    error: z.looseObject({
      name: z.string(),
      message: z.string(),
      stack: z.string().optional(),
    }),
    request: z.looseObject({ method: z.string(), url: z.string() }).optional(),
    response: z.looseObject({ statusCode: z.number().int() }),
  })
  .meta({
    id: 'ErrorResponse',
    description:
      'Backstage error JSON. 400 InputError (messages name the field: `path: rule`), 401, 403 NotAllowedError, 404 NotFoundError, 409 ConflictError, 413 body too large, 503 ServiceUnavailableError (cluster unreachable; details only in the backend log).',
  });
/** The error body of every non-2xx answer. @public */
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

/** Largest page of list routes (approvals). @public */
export const MAX_PAGE_SIZE = 100;

/** GPUs of a cluster (nodes' allocatable `nvidia.com/gpu` minus what scheduled pods request). @public */
export const clusterCapacitySchema = z
  .strictObject({
    totalGpus: z.number().int(),
    freeGpus: z.number().int(),
    largestFreeBlockGpus: z
      .number()
      .int()
      .describe('The most GPUs free on one node'),
    nodes: z.number().int().describe('Schedulable nodes with GPUs'),
  })
  .meta({ id: 'ClusterCapacity' });

/** Whether a deployment fits the cluster's free GPUs (`fits` absent: capacity unknown). @public */
export const capacityFitSchema = z
  .strictObject({
    fits: z.boolean().optional(),
    message: z.string(),
  })
  .meta({ id: 'CapacityFit' });
