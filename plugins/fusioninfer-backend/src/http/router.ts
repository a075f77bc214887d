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

import express from 'express';
import Router from 'express-promise-router';
import {
  AuthService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApprovalPolicy,
  RenderOptions,
} from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferClusters } from '@fusioninfer/plugin-fusioninfer-node';
import { ApprovalStore } from '../approvals/ApprovalStore';
import { ApprovalGate } from '../approvals/gate';
import { Access } from '../auth/access';
import { GovernanceConfig } from '../changes/config';
import { ServiceWriter } from '../changes/ServiceWriter';
import { MetricsCollector } from '../metrics/MetricsCollector';
import {
  effectiveGpuQuota,
  ProjectQuotaStore,
} from '../projects/ProjectQuotaStore';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import { createLiveServiceSource, ServiceSource } from '../views/ServiceSource';
import { addApprovalRoutes } from './approvals';
import { addAutoscalingRoutes } from './autoscaling';
import { AutoscalingViewOptions } from '../autoscaler/view';
import {
  createPreflightOf,
  ModelResolver,
  PreflightOf,
  PreflightSettings,
} from '../views/preflight';
import { addMutationRoutes } from './mutations';
import { addOpenApiRoutes } from './openapi';
import { addProjectRoutes } from './projects';
import { addShowbackRoutes } from './showback';
import { Showback } from '../showback/Showback';
import { addReadRoutes } from './services';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  clusters: FusionInferClusters;
  reconcilers: Map<string, ClusterReconciler>;
  render?: RenderOptions;
  metrics?: MetricsCollector;
  /** Catalog access for the entity routes (absent: those routes answer 503). */
  catalog?: CatalogService;
  /** The approval store and gate (absent: no /approvals, and no policy on mutations). */
  approvals?: {
    store: ApprovalStore;
    gate: ApprovalGate;
    allowSelfApproval?: boolean;
    /** Approvals' validity (a failed execution may be run again within it after the decision). */
    ttlMs?: number;
  };
  /** Where read routes get their data (default: live from the API server). */
  source?: ServiceSource;
  /** Backstage namespace of generated model-service entities (default "default"). */
  entityNamespace?: string;
  /** Team projects, pod security, protected namespaces (default: no projects, `baseline-gpu`). */
  governance?: GovernanceConfig;
  /** The global approval policy (`fusioninfer.approvals`). */
  approvalPolicy?: ApprovalPolicy;
  /** For catalog reads as the plugin (owners of entities, memberships of requesters). */
  auth?: AuthService;
  /** For the caller's ownership refs (team projects: is the caller a member of the owner group?). */
  userInfo?: UserInfoService;
  /** Owner of services that name none (`fusioninfer.catalog.defaultOwner`). */
  defaultOwner?: string;
  /**
   * Project quotas raised by approvers (absent: no /projects routes, and the configured quotas are the ones in
   * force).
   */
  quotas?: ProjectQuotaStore;
  /** Models for the pre-flight beyond the shipped catalog, and the optional Hugging Face endpoint. */
  preflight?: PreflightSettings;
  /** Showback (absent: `GET /showback` and `GET …/showback` answer 503). */
  showback?: Showback;
  /** The autoscaler's settings and records for `GET …/autoscaling` (absent: it answers "disabled"). */
  autoscaling?: AutoscalingViewOptions;
}

/** The Access helper of a router's options (permission checks and entity refs). */
export function createAccess(options: RouterOptions): Access {
  return new Access({
    httpAuth: options.httpAuth,
    permissions: options.permissions,
    logger: options.logger,
    entityNamespace: options.entityNamespace,
  });
}

/** Governance of a router's options (default: no projects, `baseline-gpu`, `fusioninfer-system` protected). */
function governanceOf(options: RouterOptions): GovernanceConfig {
  return (
    options.governance ?? {
      projects: [],
      podSecurity: { level: 'baseline-gpu' },
      protectedNamespaces: ['fusioninfer-system'],
    }
  );
}

/**
 * What the REST routes and the registered actions share: permission checks, the data source, the metrics collector,
 * the approval gate and the one writer (with the gate using it to execute approved requests).
 */
export interface FusionInferServices {
  access: Access;
  source: ServiceSource;
  metrics: MetricsCollector;
  gate: ApprovalGate;
  writer: ServiceWriter;
  /** The pre-flight of a manifest on a cluster now (dry runs, approval checks and pages, the tab). */
  preflight: PreflightOf;
}

/** Builds the {@link FusionInferServices} of a router's options (once: the gate is bound to this writer). */
export function createFusionInferServices(
  options: RouterOptions,
): FusionInferServices {
  const { clusters } = options;
  const access = createAccess(options);
  const source =
    options.source ?? createLiveServiceSource(clusters, options.reconcilers);
  const metrics =
    options.metrics ??
    new MetricsCollector({ logger: options.logger, pollIntervalMs: 0 });
  const gate =
    options.approvals?.gate ??
    new ApprovalGate({
      // Without approvals (no store, no policy) nothing is ever held.
      logger: options.logger,
      ttlSeconds: 0,
      client: n => clusters.get(n),
      entityRefOf: (i, c) => access.entityRefOf(i, c),
    });
  const { quotas } = options;
  const writer = new ServiceWriter({
    access,
    source,
    governance: governanceOf(options),
    approvals: options.approvalPolicy,
    logger: options.logger,
    render: options.render,
    catalog: options.catalog,
    serviceCredentials: options.auth
      ? () => options.auth!.getOwnServiceCredentials()
      : undefined,
    ownershipOf: options.userInfo
      ? async credentials =>
          (await options.userInfo!.getUserInfo(credentials)).ownershipEntityRefs
      : undefined,
    defaultOwner: options.defaultOwner,
    // The quota in force: what an approver raised, else the configured one.
    effectiveQuota: quotas
      ? async project =>
          effectiveGpuQuota(project, await quotas.forProject(project.name))
      : undefined,
  });
  gate.useWriter(writer);
  const preflight = createPreflightOf(
    new ModelResolver(options.preflight ?? { models: [] }, options.logger),
    source,
  );
  return { access, source, metrics, gate, writer, preflight };
}

/**
 * The REST API of the plugin (mounted at /api/fusioninfer). Every route is declared in
 * `@fusioninfer/plugin-fusioninfer-common` (`fusioninferRoutes`), validated by its schemas, authenticated and
 * authorized; `GET /openapi.json` serves the document generated from the same schemas. `services` are the objects
 * shared with the registered actions (default: built from the options).
 */
export async function createRouter(
  options: RouterOptions,
  services: FusionInferServices = createFusionInferServices(options),
): Promise<express.Router> {
  const { clusters } = options;
  const router = Router();
  const { access, source, metrics, gate, writer, preflight } = services;

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  addOpenApiRoutes(router);

  addReadRoutes(router, {
    access,
    source,
    reconcilers: options.reconcilers,
    metrics,
    render: options.render,
    catalog: options.catalog,
    preflight,
    titleOf: name => {
      const c = clusters.get(name);
      return { title: c.config.title ?? c.name, mode: c.config.mode };
    },
  });
  addMutationRoutes(router, { access, source, gate, writer, preflight });
  addShowbackRoutes(router, { access, source, showback: options.showback });
  addAutoscalingRoutes(router, {
    access,
    source,
    autoscaling: options.autoscaling ?? { enabled: false, intervalMs: 0 },
  });
  if (options.approvals)
    addApprovalRoutes(router, {
      store: options.approvals.store,
      gate,
      access,
      allowSelfApproval: options.approvals.allowSelfApproval,
      retryWindowMs: options.approvals.ttlMs,
      clusterExists: n => source.clusterNames().includes(n),
      writer,
      capacity: c => source.capacity?.(c),
      preflight,
    });
  if (options.quotas)
    addProjectRoutes(router, {
      access,
      source,
      writer,
      governance: governanceOf(options),
      quotas: options.quotas,
      logger: options.logger,
    });
  return router;
}
