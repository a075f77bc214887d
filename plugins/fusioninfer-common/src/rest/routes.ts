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
import { autoscalingResponseSchema } from './autoscaling';
import {
  serviceShowbackQuerySchema,
  serviceShowbackResponseSchema,
  showbackQuerySchema,
  showbackResponseSchema,
} from './showback';
import {
  approvalIdParamsSchema,
  entityParamsSchema,
  serviceParamsSchema,
} from './common';
import {
  childrenResponseSchema,
  clustersResponseSchema,
  deleteResponseSchema,
  diffResponseSchema,
  entityServicesResponseSchema,
  metricsResponseSchema,
  scaleRequestSchema,
  scaleResponseSchema,
  serviceDetailSchema,
  servicesResponseSchema,
  rolloutRequestSchema,
  rolloutResponseSchema,
  canaryRequestSchema,
  canaryResponseSchema,
  strategyRequestSchema,
  strategyResponseSchema,
} from './services';
import {
  approvalCheckRequestSchema,
  approvalCheckResponseSchema,
  approvalListResponseSchema,
  approvalRequestSchema,
  createApprovalRequestSchema,
  decisionRequestSchema,
  listApprovalsQuerySchema,
  MAX_MANIFEST_BYTES,
} from './approvals';
import {
  applyOkResponseSchema,
  applyRequestSchema,
  approvalRequiredResponseSchema,
} from './apply';
import {
  projectQuotaParamsSchema,
  projectSchema,
  projectsResponseSchema,
  setProjectQuotaRequestSchema,
} from './projects';

/** One route of the REST API: the single source of the backend's validation, the OpenAPI document and the clients. @public */
export interface RestRouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express-style path under `/api/fusioninfer` (`:param`). */
  path: string;
  summary: string;
  /** Who may call it (documentation; the backend enforces it). */
  permission: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Largest accepted request body in bytes (default 16 KiB). */
  maxBodyBytes?: number;
  /** Successful answers by status code. */
  responses: Record<number, z.ZodType>;
}

const SERVICE = '/clusters/:cluster/namespaces/:namespace/services/:name';
const MANIFEST_BODY = MAX_MANIFEST_BYTES + 64 * 1024;

/**
 * The type of {@link fusioninferRoutes}, written out so that its schemas are named (`typeof x`) rather than expanded:
 * a route added to the table is added here too (the table is checked against this type).
 * @public
 */
export type FusionInferRoutes = {
  readonly listClusters: {
    readonly method: 'get';
    readonly path: '/clusters';
    readonly summary: string;
    readonly permission: string;
    readonly responses: { readonly 200: typeof clustersResponseSchema };
  };
  readonly listServices: {
    readonly method: 'get';
    readonly path: '/services';
    readonly summary: string;
    readonly permission: string;
    readonly responses: { readonly 200: typeof servicesResponseSchema };
  };
  readonly getService: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof serviceDetailSchema };
  };
  readonly getChildren: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/children';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof childrenResponseSchema };
  };
  readonly getDiff: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/diff';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof diffResponseSchema };
  };
  readonly getMetrics: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/metrics';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof metricsResponseSchema };
  };
  readonly getPreflight: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/preflight';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof preflightReportSchema };
  };
  readonly getAutoscaling: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/autoscaling';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 200: typeof autoscalingResponseSchema };
  };
  readonly getServiceShowback: {
    readonly method: 'get';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/showback';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly query: typeof serviceShowbackQuerySchema;
    readonly responses: { readonly 200: typeof serviceShowbackResponseSchema };
  };
  readonly getShowback: {
    readonly method: 'get';
    readonly path: '/showback';
    readonly summary: string;
    readonly permission: string;
    readonly query: typeof showbackQuerySchema;
    readonly responses: { readonly 200: typeof showbackResponseSchema };
  };
  readonly getEntityServices: {
    readonly method: 'get';
    readonly path: '/entities/:kind/:namespace/:name/services';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof entityParamsSchema;
    readonly responses: { readonly 200: typeof entityServicesResponseSchema };
  };
  readonly scale: {
    readonly method: 'post';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/scale';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly body: typeof scaleRequestSchema;
    readonly responses: {
      readonly 200: typeof scaleResponseSchema;
      readonly 202: typeof approvalRequiredResponseSchema;
    };
  };
  readonly setStrategy: {
    readonly method: 'post';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/strategy';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly body: typeof strategyRequestSchema;
    readonly responses: {
      readonly 200: typeof strategyResponseSchema;
      readonly 202: typeof approvalRequiredResponseSchema;
    };
  };
  readonly setRollout: {
    readonly method: 'post';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/rollout';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly body: typeof rolloutRequestSchema;
    readonly responses: {
      readonly 200: typeof rolloutResponseSchema;
      readonly 202: typeof approvalRequiredResponseSchema;
    };
  };
  readonly setCanary: {
    readonly method: 'post';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name/canary';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly body: typeof canaryRequestSchema;
    readonly responses: {
      readonly 200: typeof canaryResponseSchema;
      readonly 202: typeof approvalRequiredResponseSchema;
    };
  };
  readonly deleteService: {
    readonly method: 'delete';
    readonly path: '/clusters/:cluster/namespaces/:namespace/services/:name';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof serviceParamsSchema;
    readonly responses: { readonly 202: typeof deleteResponseSchema };
  };
  readonly apply: {
    readonly method: 'post';
    readonly path: '/apply';
    readonly summary: string;
    readonly permission: string;
    readonly body: typeof applyRequestSchema;
    readonly maxBodyBytes: number;
    readonly responses: {
      readonly 200: typeof applyOkResponseSchema;
      readonly 202: typeof approvalRequiredResponseSchema;
    };
  };
  readonly checkApproval: {
    readonly method: 'post';
    readonly path: '/approvals/check';
    readonly summary: string;
    readonly permission: string;
    readonly body: typeof approvalCheckRequestSchema;
    readonly maxBodyBytes: number;
    readonly responses: { readonly 200: typeof approvalCheckResponseSchema };
  };
  readonly createApproval: {
    readonly method: 'post';
    readonly path: '/approvals';
    readonly summary: string;
    readonly permission: string;
    readonly body: typeof createApprovalRequestSchema;
    readonly maxBodyBytes: number;
    readonly responses: { readonly 201: typeof approvalRequestSchema };
  };
  readonly listApprovals: {
    readonly method: 'get';
    readonly path: '/approvals';
    readonly summary: string;
    readonly permission: string;
    readonly query: typeof listApprovalsQuerySchema;
    readonly responses: { readonly 200: typeof approvalListResponseSchema };
  };
  readonly getApproval: {
    readonly method: 'get';
    readonly path: '/approvals/:id';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof approvalIdParamsSchema;
    readonly responses: { readonly 200: typeof approvalRequestSchema };
  };
  readonly decideApproval: {
    readonly method: 'post';
    readonly path: '/approvals/:id/decision';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof approvalIdParamsSchema;
    readonly body: typeof decisionRequestSchema;
    readonly responses: { readonly 200: typeof approvalRequestSchema };
  };
  readonly retryApproval: {
    readonly method: 'post';
    readonly path: '/approvals/:id/retry';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof approvalIdParamsSchema;
    readonly responses: { readonly 200: typeof approvalRequestSchema };
  };
  readonly cancelApproval: {
    readonly method: 'post';
    readonly path: '/approvals/:id/cancel';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof approvalIdParamsSchema;
    readonly responses: { readonly 200: typeof approvalRequestSchema };
  };
  readonly listProjects: {
    readonly method: 'get';
    readonly path: '/projects';
    readonly summary: string;
    readonly permission: string;
    readonly responses: { readonly 200: typeof projectsResponseSchema };
  };
  readonly setProjectQuota: {
    readonly method: 'put';
    readonly path: '/projects/:project/quotas/:cluster';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof projectQuotaParamsSchema;
    readonly body: typeof setProjectQuotaRequestSchema;
    readonly responses: { readonly 200: typeof projectSchema };
  };
  readonly resetProjectQuota: {
    readonly method: 'delete';
    readonly path: '/projects/:project/quotas/:cluster';
    readonly summary: string;
    readonly permission: string;
    readonly params: typeof projectQuotaParamsSchema;
    readonly responses: { readonly 200: typeof projectSchema };
  };
};

/**
 * Every route of `/api/fusioninfer`. A new route is added here and to {@link FusionInferRoutes} (its type, which names
 * the schemas instead of expanding them); tsc refuses the table when the two differ.
 * @public
 */
export const fusioninferRoutes: FusionInferRoutes = {
  listClusters: {
    method: 'get',
    path: '/clusters',
    summary: 'Configured clusters',
    permission: 'fusioninfer.service.read (ALLOW or CONDITIONAL)',
    responses: { 200: clustersResponseSchema },
  },
  listServices: {
    method: 'get',
    path: '/services',
    summary:
      'Every service of every cluster the caller may read; a cluster that is down is reported in errors',
    permission: 'fusioninfer.service.read on each service entity',
    responses: { 200: servicesResponseSchema },
  },
  getService: {
    method: 'get',
    path: SERVICE,
    summary:
      'Spec summary, status, replicas with their pods, gang, router and recent events of one service',
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: serviceDetailSchema },
  },
  getChildren: {
    method: 'get',
    path: `${SERVICE}/children`,
    summary: 'Validation; when valid, the rendered children and render summary',
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: childrenResponseSchema },
  },
  getDiff: {
    method: 'get',
    path: `${SERVICE}/diff`,
    summary: 'Rendered children against the live ones',
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: diffResponseSchema },
  },
  getMetrics: {
    method: 'get',
    path: `${SERVICE}/metrics`,
    summary: 'Routing metrics per endpoint, role and pool, EPP state, history',
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: metricsResponseSchema },
  },
  getPreflight: {
    method: 'get',
    path: `${SERVICE}/preflight`,
    summary:
      "Pre-flight of the service's spec on its cluster now: per role whether vLLM starts, KV cache tokens and concurrency, and whether its pods fit the nodes (its own pods' resources counted as free)",
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: preflightReportSchema },
  },
  getAutoscaling: {
    method: 'get',
    path: `${SERVICE}/autoscaling`,
    summary:
      "Autoscaling of the service's roles (annotation fusioninfer.io/autoscaling): per role the mode, the signal and its target, the recommendation against the actual replicas, the last decision and what blocked it",
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    responses: { 200: autoscalingResponseSchema },
  },
  getServiceShowback: {
    method: 'get',
    path: `${SERVICE}/showback`,
    summary:
      "Showback of one service over a window (default: this month so far): GPU-hours by accelerator type, cost from the price sheet (or OpenCost), cost per hour now, cost per million prompt and generation tokens, idle share, the approved size's cost, month to date and projection to month end",
    permission: 'fusioninfer.service.read on the service entity',
    params: serviceParamsSchema,
    query: serviceShowbackQuerySchema,
    responses: { 200: serviceShowbackResponseSchema },
  },
  getShowback: {
    method: 'get',
    path: '/showback',
    summary:
      "Showback per team (the group owning each service's entity) and per service over a window (default: this month so far, at most 45 days): each team the exact sum of its services, with its project's monthly budget and GPU quota",
    permission:
      'fusioninfer.service.read on each service entity (teams sum the services the caller may read)',
    query: showbackQuerySchema,
    responses: { 200: showbackResponseSchema },
  },
  getEntityServices: {
    method: 'get',
    path: '/entities/:kind/:namespace/:name/services',
    summary:
      'Services an entity names or that name it, each the caller may read on its own entity',
    permission:
      'fusioninfer.service.read on the entity and on each service entity',
    params: entityParamsSchema,
    responses: { 200: entityServicesResponseSchema },
  },
  scale: {
    method: 'post',
    path: `${SERVICE}/scale`,
    summary:
      'Sets the replicas of a workload role; 202 when policy holds the change for approval',
    permission: 'fusioninfer.service.update on the service entity',
    params: serviceParamsSchema,
    body: scaleRequestSchema,
    responses: {
      200: scaleResponseSchema,
      202: approvalRequiredResponseSchema,
    },
  },
  setStrategy: {
    method: 'post',
    path: `${SERVICE}/strategy`,
    summary:
      "Sets the router's routing strategy; 202 when policy holds the change for approval",
    permission: 'fusioninfer.service.update on the service entity',
    params: serviceParamsSchema,
    body: strategyRequestSchema,
    responses: {
      200: strategyResponseSchema,
      202: approvalRequiredResponseSchema,
    },
  },
  setRollout: {
    method: 'post',
    path: `${SERVICE}/rollout`,
    summary:
      "Pauses or resumes a role's rollout (the annotation fusioninfer.io/rollout); 202 when policy holds the change for approval",
    permission: 'fusioninfer.service.update on the service entity',
    params: serviceParamsSchema,
    body: rolloutRequestSchema,
    responses: {
      200: rolloutResponseSchema,
      202: approvalRequiredResponseSchema,
    },
  },
  setCanary: {
    method: 'post',
    path: `${SERVICE}/canary`,
    summary:
      "Promotes, rolls back, pauses or resumes the service's canary (the annotation fusioninfer.io/canary-status); 202 when policy holds the change for approval",
    permission: 'fusioninfer.service.update on the service entity',
    params: serviceParamsSchema,
    body: canaryRequestSchema,
    responses: {
      200: canaryResponseSchema,
      202: approvalRequiredResponseSchema,
    },
  },
  deleteService: {
    method: 'delete',
    path: SERVICE,
    summary: 'Deletes the service (its children are garbage-collected)',
    permission: 'fusioninfer.service.delete on the service entity',
    params: serviceParamsSchema,
    responses: { 202: deleteResponseSchema },
  },
  apply: {
    method: 'post',
    path: '/apply',
    summary:
      'Server-side applies an InferenceService (field manager backstage-fusioninfer), or files an approval request when policy holds it (202), or evaluates it (dryRun); 409 when the service belongs to another entity or manager and update is not true',
    permission:
      'fusioninfer.service.create (new) or fusioninfer.service.update (existing) on the service entity',
    body: applyRequestSchema,
    maxBodyBytes: MANIFEST_BODY,
    responses: {
      200: applyOkResponseSchema,
      202: approvalRequiredResponseSchema,
    },
  },
  checkApproval: {
    method: 'post',
    path: '/approvals/check',
    summary:
      'Validation, GPU/pod summary and whether policy requires approval (nothing stored)',
    permission: 'fusioninfer.service.create',
    body: approvalCheckRequestSchema,
    maxBodyBytes: MANIFEST_BODY,
    responses: { 200: approvalCheckResponseSchema },
  },
  createApproval: {
    method: 'post',
    path: '/approvals',
    summary:
      'Files a pending approval request for a manifest; approving it applies exactly that manifest once',
    permission: 'fusioninfer.service.create (users only)',
    body: createApprovalRequestSchema,
    maxBodyBytes: MANIFEST_BODY,
    responses: { 201: approvalRequestSchema },
  },
  listApprovals: {
    method: 'get',
    path: '/approvals',
    summary:
      'A page of approval requests the caller may read (no manifests), newest first, with the exact total',
    permission:
      'fusioninfer.approval.read (conditional decisions filter in the query)',
    query: listApprovalsQuerySchema,
    responses: { 200: approvalListResponseSchema },
  },
  getApproval: {
    method: 'get',
    path: '/approvals/:id',
    summary: 'One approval request with its manifest and execution outcome',
    permission: 'fusioninfer.approval.read on the request',
    params: approvalIdParamsSchema,
    responses: { 200: approvalRequestSchema },
  },
  decideApproval: {
    method: 'post',
    path: '/approvals/:id/decision',
    summary:
      'Approves (then applies the stored manifest once) or rejects a pending request; 409 when already decided',
    permission:
      'fusioninfer.approval.decide on the request; not the requester unless allowSelfApproval',
    params: approvalIdParamsSchema,
    body: decisionRequestSchema,
    responses: { 200: approvalRequestSchema },
  },
  retryApproval: {
    method: 'post',
    path: '/approvals/:id/retry',
    summary:
      'Runs the execution of an approved request again after it failed (e.g. the cluster was down), while the approval is valid; the writer checks rights and policy again; 409 otherwise',
    permission: 'fusioninfer.approval.decide on the request',
    params: approvalIdParamsSchema,
    responses: { 200: approvalRequestSchema },
  },
  cancelApproval: {
    method: 'post',
    path: '/approvals/:id/cancel',
    summary: 'Cancels a pending request',
    permission: 'the requester',
    params: approvalIdParamsSchema,
    responses: { 200: approvalRequestSchema },
  },
  listProjects: {
    method: 'get',
    path: '/projects',
    summary:
      "Team projects (fusioninfer.projects) the caller may see: owners, destinations and per cluster the GPU quota in force (configured, or raised by an approver) and the GPUs the project's services hold now",
    permission: 'fusioninfer.project.read on each project',
    responses: { 200: projectsResponseSchema },
  },
  setProjectQuota: {
    method: 'put',
    path: '/projects/:project/quotas/:cluster',
    summary:
      "Sets a project's GPU quota in a cluster (stored, replaces the configured value; the writer enforces it from the next change on); answers the project; 404 for an unknown project or cluster",
    permission: 'fusioninfer.project.quota.update on the project',
    params: projectQuotaParamsSchema,
    body: setProjectQuotaRequestSchema,
    responses: { 200: projectSchema },
  },
  resetProjectQuota: {
    method: 'delete',
    path: '/projects/:project/quotas/:cluster',
    summary:
      'Drops a quota set by an approver: the configured value (fusioninfer.projects.<name>.gpuQuota) is in force again; answers the project',
    permission: 'fusioninfer.project.quota.update on the project',
    params: projectQuotaParamsSchema,
    responses: { 200: projectSchema },
  },
} as const satisfies FusionInferRoutes & Record<string, RestRouteSpec>;

/** Names of the routes (the methods of the typed clients). @public */
export type FusionInferRouteId = keyof typeof fusioninferRoutes;
