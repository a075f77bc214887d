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

import os from 'os';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferPermissions,
  fusioninferProjectQuotaUpdatePermission,
  fusioninferProjectReadPermission,
  fusioninferServiceCreatePermission,
  InferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { readGovernanceConfig } from './changes/config';
import {
  namespacePermissionResourceRef,
  namespacePermissionRules,
  parseNamespaceRef,
} from './changes/namespaceRules';
import { notificationService } from '@backstage/plugin-notifications-node';
import { ApprovalStore } from './approvals/ApprovalStore';
import { ProjectQuotaStore } from './projects/ProjectQuotaStore';
import {
  projectPermissionResourceRef,
  projectPermissionRules,
} from './projects/rules';
import {
  approvalPermissionResourceRef,
  approvalPermissionRules,
} from './approvals/rules';
import { notifyApproval } from './approvals/config';
import { readFusionInferConfig } from './config';
import { serviceEntityRef } from './auth/access';
import { fusioninferClustersServiceRef } from '@fusioninfer/plugin-fusioninfer-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ClusterReconciler } from './reconciler/ClusterReconciler';
import { ClusterCache } from './cache/ClusterCache';
import { createCachedServiceViews } from './views/ServiceViews';
import { createFusionInferServices, createRouter } from './http/router';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { registerFusionInferActions } from './actions/registerActions';
import { ApprovalGate } from './approvals/gate';
import { MetricsCollector } from './metrics/MetricsCollector';
import { PrometheusSource } from './metrics/PrometheusSource';
import { UsageStore } from './showback/UsageStore';
import { Showback } from './showback/Showback';
import { UsageRecorder } from './showback/UsageRecorder';
import { OpenCostSource } from './showback/OpenCostSource';
import { leaderCounters } from './showback/counters';
import { notifyBudget } from './showback/notify';
import { Autoscaler, AutoscalerApprovals } from './autoscaler/Autoscaler';
import { CanaryController } from './canary/CanaryController';
import { AutoscalerStore } from './autoscaler/AutoscalerStore';
import { readAutoscalerConfig } from './autoscaler/config';
import { AUTOSCALER_REQUESTER } from './changes/ServiceWriter';

/**
 * The FusionInfer backend plugin: reconciles InferenceServices in every configured cluster and serves their status,
 * children and routing metrics at /api/fusioninfer.
 * @public
 */
export const fusioninferPlugin = createBackendPlugin({
  pluginId: 'fusioninfer',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        auth: coreServices.auth,
        userInfo: coreServices.userInfo,
        permissionsRegistry: coreServices.permissionsRegistry,
        lifecycle: coreServices.lifecycle,
        clusters: fusioninferClustersServiceRef,
        catalog: catalogServiceRef,
        database: coreServices.database,
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        config,
        logger,
        httpRouter,
        httpAuth,
        permissions,
        auth,
        userInfo,
        permissionsRegistry,
        lifecycle,
        clusters,
        catalog,
        database,
        notifications,
        actionsRegistry,
      }) {
        permissionsRegistry.addPermissions(fusioninferPermissions);
        const knex = await database.getClient();
        const store = await ApprovalStore.create(knex, {
          skipMigrations: database.migrations?.skip,
        });
        // ApprovalStore.create ran the plugin's migrations.
        const quotas = await ProjectQuotaStore.create(knex, {
          skipMigrations: true,
        });
        const governance = readGovernanceConfig(config);
        permissionsRegistry.addResourceType({
          resourceRef: approvalPermissionResourceRef,
          permissions: [
            fusioninferApprovalReadPermission,
            fusioninferApprovalDecidePermission,
          ],
          rules: Object.values(approvalPermissionRules),
          getResources: async ids => {
            const found = await store.getMany(ids);
            return ids.map(id => found.find(a => a.id === id));
          },
        });
        permissionsRegistry.addResourceType({
          resourceRef: namespacePermissionResourceRef,
          permissions: [fusioninferServiceCreatePermission],
          rules: Object.values(namespacePermissionRules),
          getResources: async refs => refs.map(parseNamespaceRef),
        });
        permissionsRegistry.addResourceType({
          resourceRef: projectPermissionResourceRef,
          permissions: [
            fusioninferProjectReadPermission,
            fusioninferProjectQuotaUpdatePermission,
          ],
          rules: Object.values(projectPermissionRules),
          getResources: async names =>
            names.map(name => {
              const p = governance.projects.find(x => x.name === name);
              return p ? { name: p.name, owners: p.owners } : undefined;
            }),
        });
        const settings = readFusionInferConfig(config);
        const { render } = settings;
        const identity = `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
        const reconcilers = new Map<string, ClusterReconciler>();
        // The one writer knows the team projects' quotas; it is made after the reconcilers (see below).
        const quota: {
          source?: {
            quotaLeft(
              cluster: string,
              isvc: InferenceService,
            ): Promise<number | undefined>;
          };
        } = {};
        // One set of informers per cluster, shared by its reconciler and the REST views (also in observe mode and
        // with the reconciler disabled): page views cost no API-server call.
        const caches = new Map<string, ClusterCache>();
        for (const client of clusters.list()) {
          const cache = new ClusterCache(
            client,
            logger.child({ cluster: client.name, component: 'cache' }),
          );
          caches.set(client.name, cache);
          const r = new ClusterReconciler({
            client,
            cache,
            logger: logger.child({ cluster: client.name }),
            render,
            workers: settings.reconciler.workers,
            requestConcurrency: settings.reconciler.requestConcurrency,
            quotaLeft: async isvc => quota.source?.quotaLeft(client.name, isvc),
            resyncSeconds: settings.reconciler.resyncMs / 1000,
            leaderElection: {
              namespace: settings.reconciler.leaseNamespace, // default fusioninfer-system
              identity,
              leaseDurationSeconds: settings.reconciler.leaseDurationMs / 1000,
            },
          });
          reconcilers.set(client.name, r);
        }
        const views = createCachedServiceViews({
          clusters,
          caches,
          reconcilers,
        });
        const prometheus = settings.prometheus
          ? new PrometheusSource({
              ...settings.prometheus,
              logger: logger.child({ component: 'prometheus' }),
            })
          : undefined;
        const metrics = new MetricsCollector({
          logger: logger.child({ component: 'metrics' }),
          lookup: (c, ns, name) => views.metricsObjects(c, ns, name),
          prometheus,
          ...settings.metrics,
        });
        lifecycle.addStartupHook(() => metrics.start());
        lifecycle.addShutdownHook(() => metrics.stop());
        lifecycle.addStartupHook(() => {
          // Not awaited: a cluster that cannot be listed keeps retrying in the background (views read it live
          // until its cache has loaded) and never delays the backend's start.
          for (const c of caches.values()) void c.start();
        });
        lifecycle.addShutdownHook(async () => {
          await Promise.all([...caches.values()].map(c => c.stop()));
        });
        if (settings.reconciler.enabled) {
          lifecycle.addStartupHook(async () => {
            // One cluster down never blocks the others.
            await Promise.all(
              [...reconcilers.values()].map(r =>
                r
                  .start()
                  .catch(e =>
                    logger.warn(
                      `cannot start reconciling ${r.client.name}: ${(e as Error).message}`,
                    ),
                  ),
              ),
            );
          });
          lifecycle.addShutdownHook(async () => {
            await Promise.all([...reconcilers.values()].map(r => r.stop()));
          });
        }
        const { approvals } = settings;
        const gate = new ApprovalGate({
          store,
          logger: logger.child({ component: 'approvals' }),
          policy: approvals.policy,
          ttlSeconds: approvals.ttlMs / 1000,
          client: n => clusters.get(n),
          entityRefOf: serviceEntityRef,
          render,
          onChange: (event, a) =>
            notifyApproval(
              notifications,
              logger,
              approvals.approvers,
              event,
              a,
            ),
        });
        // Approved requests that were not applied (a restart between approval and apply) are applied once.
        lifecycle.addStartupHook(async () => {
          await gate
            .recover()
            .catch(e =>
              logger.warn('could not execute approved requests', e as Error),
            );
        });
        const routerOptions = {
          logger,
          httpAuth,
          permissions,
          clusters,
          reconcilers,
          source: views,
          render,
          metrics,
          catalog,
          auth,
          userInfo,
          governance,
          approvalPolicy: approvals.policy,
          defaultOwner: config.getOptionalString(
            'fusioninfer.catalog.defaultOwner',
          ),
          approvals: {
            store,
            gate,
            allowSelfApproval: approvals.allowSelfApproval,
          },
          quotas,
          preflight: settings.preflight,
        };
        // One set of access checks, gate and writer for the REST API and the registered actions.
        const services = createFusionInferServices(routerOptions);
        quota.source = services.writer;
        // Showback (issue 20): usage sampled where this instance's reconciler leads, priced by the price sheet or
        // OpenCost, read by every instance.
        const showback = settings.showback
          ? new Showback({
              settings: settings.showback,
              store: await UsageStore.create(knex, { skipMigrations: true }),
              source: views,
              logger: logger.child({ component: 'showback' }),
              entityRefOf: serviceEntityRef,
              // The writer's owner rule (entity owner, fusioninfer.io/owner, default owner), one catalog call.
              ownersOf: list => services.writer.ownersOf(list),
              projects: governance.projects,
              acceleratorResources: governance.acceleratorResources,
              quotas,
              opencost: settings.showback.opencost
                ? new OpenCostSource({
                    ...settings.showback.opencost,
                    logger: logger.child({ component: 'opencost' }),
                  })
                : undefined,
            })
          : undefined;
        if (showback && showback.settings.recorder) {
          const recorder = new UsageRecorder({
            showback,
            store: showback.options.store,
            logger: logger.child({ component: 'showback' }),
            isLeader: c => reconcilers.get(c)?.isLeader ?? false,
            counters: (c, isvc, leaders) =>
              leaderCounters(
                { metrics, prometheus },
                clusters.get(c),
                isvc,
                leaders,
              ),
            notify: crossing =>
              notifyBudget(
                notifications,
                logger.child({ component: 'showback' }),
                crossing,
              ),
          });
          lifecycle.addStartupHook(() => recorder.start());
          lifecycle.addShutdownHook(() => recorder.stop());
        }
        // The role autoscaler (issue 20): where this instance's reconciler leads, through the same writer and gate.
        const autoscaling = readAutoscalerConfig(config);
        const autoscalerStore = new AutoscalerStore(knex);
        const autoscalerApprovals: AutoscalerApprovals = {
          latest: async (cluster, namespace, name) =>
            (
              await store.list({
                cluster,
                namespace,
                name,
                requestedBy: AUTOSCALER_REQUESTER,
                limit: 1,
              })
            ).items[0],
          cancel: async id => {
            // Decided meanwhile (a conflict): nothing to withdraw.
            const cancelled = await store
              .cancel(id, AUTOSCALER_REQUESTER)
              .catch(() => undefined);
            if (cancelled) gate.notify('cancelled', cancelled);
          },
        };
        const autoscalerEnabled =
          autoscaling.enabled && settings.reconciler.enabled;
        const autoscaler = new Autoscaler({
          logger: logger.child({ component: 'autoscaler' }),
          source: services.source,
          metrics: services.metrics,
          writer: services.writer,
          hold: services.gate,
          approvals: autoscalerApprovals,
          store: autoscalerStore,
          isLeader: c => reconcilers.get(c)?.isLeader ?? false,
          intervalMs: autoscaling.intervalMs,
          rejectionBackoffMs: autoscaling.rejectionBackoffMs,
          ...(governance.acceleratorResources
            ? { acceleratorResources: [...governance.acceleratorResources] }
            : {}),
        });
        if (autoscalerEnabled) {
          lifecycle.addStartupHook(() => autoscaler.start());
          lifecycle.addShutdownHook(() => autoscaler.stop());
        }
        // The canary controller (issue 19): steps and gates of canary services where this instance's reconciler leads.
        const canaryConfig = config.getOptionalConfig('fusioninfer.canary');
        const canaryIntervalMs = canaryConfig?.has('interval')
          ? durationToMilliseconds(
              readDurationFromConfig(canaryConfig, { key: 'interval' }),
            )
          : settings.metrics.pollIntervalMs || 15_000;
        if (!(canaryIntervalMs >= 1000))
          throw new Error(
            'fusioninfer.canary.interval: must be a duration of at least 1 s',
          );
        const canaryController = new CanaryController({
          logger: logger.child({ component: 'canary' }),
          source: services.source,
          metrics,
          view: (c, ns, name) => reconcilers.get(c)?.canaryView(ns, name),
          isLeader: c => reconcilers.get(c)?.isLeader ?? false,
          intervalMs: canaryIntervalMs,
        });
        if (
          settings.reconciler.enabled &&
          (canaryConfig?.getOptionalBoolean('enabled') ?? true)
        ) {
          lifecycle.addStartupHook(() => canaryController.start());
          lifecycle.addShutdownHook(() => canaryController.stop());
        }
        httpRouter.use(
          await createRouter(
            {
              ...routerOptions,
              showback,
              autoscaling: {
                enabled: autoscalerEnabled,
                intervalMs: autoscaling.intervalMs,
                store: autoscalerStore,
                approvals: autoscalerApprovals,
              },
            },
            services,
          ),
        );
        registerFusionInferActions(actionsRegistry, services);
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
