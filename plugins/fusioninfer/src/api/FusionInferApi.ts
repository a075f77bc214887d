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

import { createApiRef } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import type {
  ApplyRequest,
  ApplyResponse,
  ApprovalCheckRequest,
  ApprovalCheckResponse,
  ApprovalListResponse,
  ApprovalRequest,
  ApprovalRequiredResponse,
  ChildrenResponse,
  ClustersResponse,
  CreateApprovalRequest,
  DecisionRequest,
  DeleteResponse,
  DiffResponse,
  EntityServicesResponse,
  ListApprovalsQuery,
  Project,
  ProjectsResponse,
  RoutingMetricsResponse,
  ScaleRequest,
  ScaleResponse,
  ServiceDetail,
  ServiceRef,
  ServicesResponse,
  SetProjectQuotaRequest,
  StrategyRequest,
  StrategyResponse,
} from '@fusioninfer/plugin-fusioninfer-common';

/**
 * The FusionInfer backend (`/api/fusioninfer`) as seen from the browser: one method per REST route, typed with the
 * shapes `@fusioninfer/plugin-fusioninfer-common` declares. Non-2xx answers throw a `ResponseError` from
 * `@backstage/errors`; mutations that policy holds for approval resolve with the `202` body
 * (`outcome: 'approval-required'`).
 * @public
 */
export interface FusionInferApi {
  listClusters(): Promise<ClustersResponse>;
  listServices(): Promise<ServicesResponse>;
  getService(ref: ServiceRef): Promise<ServiceDetail>;
  getChildren(ref: ServiceRef): Promise<ChildrenResponse>;
  getDiff(ref: ServiceRef): Promise<DiffResponse>;
  getMetrics(ref: ServiceRef): Promise<RoutingMetricsResponse>;
  getEntityServices(entity: CompoundEntityRef): Promise<EntityServicesResponse>;
  scale(
    ref: ServiceRef,
    body: ScaleRequest,
  ): Promise<ScaleResponse | ApprovalRequiredResponse>;
  setStrategy(
    ref: ServiceRef,
    body: StrategyRequest,
  ): Promise<StrategyResponse | ApprovalRequiredResponse>;
  deleteService(ref: ServiceRef): Promise<DeleteResponse>;
  apply(body: ApplyRequest): Promise<ApplyResponse>;
  checkApproval(body: ApprovalCheckRequest): Promise<ApprovalCheckResponse>;
  createApproval(body: CreateApprovalRequest): Promise<ApprovalRequest>;
  listApprovals(query?: ListApprovalsQuery): Promise<ApprovalListResponse>;
  getApproval(id: string): Promise<ApprovalRequest>;
  decideApproval(id: string, body: DecisionRequest): Promise<ApprovalRequest>;
  cancelApproval(id: string): Promise<ApprovalRequest>;
  /** Runs a failed execution of an approved request again (approvers, while the approval is valid). */
  retryApproval(id: string): Promise<ApprovalRequest>;
  /** Team projects the caller may see, with per cluster the GPU quota in force and the GPUs in use. */
  listProjects(): Promise<ProjectsResponse>;
  /** Sets a project's GPU quota in a cluster (`fusioninfer.project.quota.update`); resolves with the project. */
  setProjectQuota(
    project: string,
    cluster: string,
    body: SetProjectQuotaRequest,
  ): Promise<Project>;
  /** Drops a quota set by an approver: the configured one is in force again; resolves with the project. */
  resetProjectQuota(project: string, cluster: string): Promise<Project>;
}

/** @public */
export const fusioninferApiRef = createApiRef<FusionInferApi>({
  id: 'plugin.fusioninfer.api',
});
