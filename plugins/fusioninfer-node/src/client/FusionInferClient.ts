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
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
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

/** The caller every request is made on behalf of. @public */
export interface FusionInferRequestOptions {
  credentials: BackstageCredentials;
}

/** A compound entity reference (`kind`, `namespace`, `name`). @public */
export interface FusionInferEntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The FusionInfer backend (`/api/fusioninfer`) for other backend plugins and modules. Each call is made on behalf of
 * the given credentials, so the backend's permissions and approval policy apply to that user. Non-2xx answers throw
 * `ResponseError` (`@backstage/errors`); mutations that policy holds resolve with the `202` body
 * (`outcome: 'approval-required'`).
 * @public
 */
export interface FusionInferClient {
  listClusters(options: FusionInferRequestOptions): Promise<ClustersResponse>;
  listServices(options: FusionInferRequestOptions): Promise<ServicesResponse>;
  getService(
    ref: ServiceRef,
    options: FusionInferRequestOptions,
  ): Promise<ServiceDetail>;
  getChildren(
    ref: ServiceRef,
    options: FusionInferRequestOptions,
  ): Promise<ChildrenResponse>;
  getDiff(
    ref: ServiceRef,
    options: FusionInferRequestOptions,
  ): Promise<DiffResponse>;
  getMetrics(
    ref: ServiceRef,
    options: FusionInferRequestOptions,
  ): Promise<RoutingMetricsResponse>;
  getEntityServices(
    entity: FusionInferEntityRef,
    options: FusionInferRequestOptions,
  ): Promise<EntityServicesResponse>;
  scale(
    ref: ServiceRef,
    request: ScaleRequest,
    options: FusionInferRequestOptions,
  ): Promise<ScaleResponse | ApprovalRequiredResponse>;
  setStrategy(
    ref: ServiceRef,
    request: StrategyRequest,
    options: FusionInferRequestOptions,
  ): Promise<StrategyResponse | ApprovalRequiredResponse>;
  deleteService(
    ref: ServiceRef,
    options: FusionInferRequestOptions,
  ): Promise<DeleteResponse>;
  apply(
    request: ApplyRequest,
    options: FusionInferRequestOptions,
  ): Promise<ApplyResponse>;
  checkApproval(
    request: ApprovalCheckRequest,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalCheckResponse>;
  createApproval(
    request: CreateApprovalRequest,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalRequest>;
  listApprovals(
    query: ListApprovalsQuery,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalListResponse>;
  getApproval(
    id: string,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalRequest>;
  decideApproval(
    id: string,
    decision: DecisionRequest,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalRequest>;
  cancelApproval(
    id: string,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalRequest>;
  /** Runs a failed execution of an approved request again (approvers, while the approval is valid). */
  retryApproval(
    id: string,
    options: FusionInferRequestOptions,
  ): Promise<ApprovalRequest>;
  /** Team projects the caller may see, with per cluster the GPU quota in force and the GPUs in use. */
  listProjects(options: FusionInferRequestOptions): Promise<ProjectsResponse>;
  /** Sets a project's GPU quota in a cluster (`fusioninfer.project.quota.update`, users only). */
  setProjectQuota(
    project: string,
    cluster: string,
    request: SetProjectQuotaRequest,
    options: FusionInferRequestOptions,
  ): Promise<Project>;
  /** Drops a quota set by an approver: the configured one is in force again. */
  resetProjectQuota(
    project: string,
    cluster: string,
    options: FusionInferRequestOptions,
  ): Promise<Project>;
}

const seg = encodeURIComponent;
const servicePath = (r: ServiceRef) =>
  `/clusters/${seg(r.cluster)}/namespaces/${seg(r.namespace)}/services/${seg(r.name)}`;

/**
 * {@link FusionInferClient} over HTTP: `discovery` finds the backend, `auth.getPluginRequestToken({ onBehalfOf })`
 * gives a token that carries the caller's identity.
 * @public
 */
export class DefaultFusionInferClient implements FusionInferClient {
  private readonly discovery: DiscoveryService;
  private readonly auth: AuthService;
  private readonly fetchFn: typeof fetch;

  constructor(options: {
    discovery: DiscoveryService;
    auth: AuthService;
    /** For tests (default: the global fetch). */
    fetch?: typeof fetch;
  }) {
    this.discovery = options.discovery;
    this.auth = options.auth;
    this.fetchFn = options.fetch ?? ((...a) => fetch(...a));
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: FusionInferRequestOptions,
    body?: unknown,
  ): Promise<T> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: options.credentials,
      targetPluginId: 'fusioninfer',
    });
    const base = await this.discovery.getBaseUrl('fusioninfer');
    const res = await this.fetchFn(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  listClusters(options: FusionInferRequestOptions) {
    return this.request<ClustersResponse>('GET', '/clusters', options);
  }
  listServices(options: FusionInferRequestOptions) {
    return this.request<ServicesResponse>('GET', '/services', options);
  }
  getService(ref: ServiceRef, options: FusionInferRequestOptions) {
    return this.request<ServiceDetail>('GET', servicePath(ref), options);
  }
  getChildren(ref: ServiceRef, options: FusionInferRequestOptions) {
    return this.request<ChildrenResponse>(
      'GET',
      `${servicePath(ref)}/children`,
      options,
    );
  }
  getDiff(ref: ServiceRef, options: FusionInferRequestOptions) {
    return this.request<DiffResponse>(
      'GET',
      `${servicePath(ref)}/diff`,
      options,
    );
  }
  getMetrics(ref: ServiceRef, options: FusionInferRequestOptions) {
    return this.request<RoutingMetricsResponse>(
      'GET',
      `${servicePath(ref)}/metrics`,
      options,
    );
  }
  getEntityServices(
    entity: FusionInferEntityRef,
    options: FusionInferRequestOptions,
  ) {
    return this.request<EntityServicesResponse>(
      'GET',
      `/entities/${seg(entity.kind)}/${seg(entity.namespace)}/${seg(entity.name)}/services`,
      options,
    );
  }
  scale(
    ref: ServiceRef,
    request: ScaleRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<ScaleResponse | ApprovalRequiredResponse>(
      'POST',
      `${servicePath(ref)}/scale`,
      options,
      request,
    );
  }
  setStrategy(
    ref: ServiceRef,
    request: StrategyRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<StrategyResponse | ApprovalRequiredResponse>(
      'POST',
      `${servicePath(ref)}/strategy`,
      options,
      request,
    );
  }
  deleteService(ref: ServiceRef, options: FusionInferRequestOptions) {
    return this.request<DeleteResponse>('DELETE', servicePath(ref), options);
  }
  apply(request: ApplyRequest, options: FusionInferRequestOptions) {
    return this.request<ApplyResponse>('POST', '/apply', options, request);
  }
  checkApproval(
    request: ApprovalCheckRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<ApprovalCheckResponse>(
      'POST',
      '/approvals/check',
      options,
      request,
    );
  }
  createApproval(
    request: CreateApprovalRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<ApprovalRequest>(
      'POST',
      '/approvals',
      options,
      request,
    );
  }
  listApprovals(query: ListApprovalsQuery, options: FusionInferRequestOptions) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return this.request<ApprovalListResponse>(
      'GET',
      `/approvals${s ? `?${s}` : ''}`,
      options,
    );
  }
  getApproval(id: string, options: FusionInferRequestOptions) {
    return this.request<ApprovalRequest>(
      'GET',
      `/approvals/${seg(id)}`,
      options,
    );
  }
  decideApproval(
    id: string,
    decision: DecisionRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<ApprovalRequest>(
      'POST',
      `/approvals/${seg(id)}/decision`,
      options,
      decision,
    );
  }
  cancelApproval(id: string, options: FusionInferRequestOptions) {
    return this.request<ApprovalRequest>(
      'POST',
      `/approvals/${seg(id)}/cancel`,
      options,
    );
  }
  retryApproval(id: string, options: FusionInferRequestOptions) {
    return this.request<ApprovalRequest>(
      'POST',
      `/approvals/${seg(id)}/retry`,
      options,
    );
  }
  listProjects(options: FusionInferRequestOptions) {
    return this.request<ProjectsResponse>('GET', '/projects', options);
  }
  setProjectQuota(
    project: string,
    cluster: string,
    request: SetProjectQuotaRequest,
    options: FusionInferRequestOptions,
  ) {
    return this.request<Project>(
      'PUT',
      `/projects/${seg(project)}/quotas/${seg(cluster)}`,
      options,
      request,
    );
  }
  resetProjectQuota(
    project: string,
    cluster: string,
    options: FusionInferRequestOptions,
  ) {
    return this.request<Project>(
      'DELETE',
      `/projects/${seg(project)}/quotas/${seg(cluster)}`,
      options,
    );
  }
}
