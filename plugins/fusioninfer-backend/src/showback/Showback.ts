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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AcceleratorHolding,
  ClusterSnapshot,
  holdingsOf,
  InferenceService,
  monthOf,
  observeReplicas,
  projectOfOwner,
  ReplicaUsageObservation,
  ServiceShowback,
  serviceShowback,
  ServiceShowbackInput,
  summarizeInferenceService,
  TeamInfo,
  TeamProject,
  TeamShowback,
  teamShowback,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ServiceObjects } from '../metrics/MetricsCollector';
import {
  effectiveGpuQuota,
  ProjectQuotaStore,
} from '../projects/ProjectQuotaStore';
import { OpenCostAllocation, OpenCostSource } from './OpenCostSource';
import { ShowbackSettings } from './settings';
import { ServiceUsage, UsageKey, usageKeyOf, UsageStore } from './UsageStore';

/** Where showback reads services, their pods and the cluster's nodes (the informer caches' views). */
export interface ShowbackSource {
  clusterNames(): string[];
  listServices(cluster: string): Promise<InferenceService[]>;
  /** The service's pods and LeaderWorkerSets (undefined: not cached yet). */
  metricsObjects?(
    cluster: string,
    namespace: string,
    name: string,
  ): ServiceObjects | undefined;
  /** The cluster's nodes with their labels (undefined: unknown). */
  snapshot?(cluster: string): ClusterSnapshot | undefined;
}

/** What showback needs besides its settings. */
export interface ShowbackOptions {
  settings: ShowbackSettings;
  store: UsageStore;
  source: ShowbackSource;
  logger: LoggerService;
  /** The entity a service belongs to (permission checks). */
  entityRefOf(isvc: InferenceService, cluster: string): string;
  /** The groups owning services (catalog ownership), in their order; one catalog call for all. */
  ownersOf(services: InferenceService[]): Promise<Array<string | undefined>>;
  projects: readonly TeamProject[];
  acceleratorResources?: readonly string[];
  /** Quotas raised by approvers (absent: the configured ones). */
  quotas?: ProjectQuotaStore;
  opencost?: OpenCostSource;
  /** Caller-safe error of a cluster (`cluster X is unavailable`), details logged. */
  clusterError?(e: unknown, cluster: string): Error;
  now?: () => number;
}

/** A live service as showback sees it now. */
export interface LiveService extends UsageKey {
  isvc: InferenceService;
  entityRef: string;
  team?: string;
  project?: string;
  /** Replicas and what they hold now; undefined when the caches do not know yet. */
  replicas?: ReplicaUsageObservation[];
}

/** The figures of a window: services and teams (teams over the services given), and what could not be read. */
export interface ShowbackResult {
  source: 'fusioninfer' | 'opencost';
  window: { start: number; end: number };
  month: { start: number; end: number };
  services: ServiceShowback[];
  teams: TeamShowback[];
  errors: Array<{ cluster?: string; message: string }>;
}

const HOUR_MS = 3_600_000;

/**
 * Showback of the plugin: live services (what they hold now, their approved size, their owner) joined with the
 * usage recorded per hour, priced by the price sheet or by OpenCost, and rolled up to teams.
 */
export class Showback {
  private readonly now: () => number;

  constructor(readonly options: ShowbackOptions) {
    this.now = options.now ?? Date.now;
  }

  get settings(): ShowbackSettings {
    return this.options.settings;
  }

  /** The replicas of a live service now, from the caches (undefined when they have not loaded). */
  observe(cluster: string, isvc: InferenceService) {
    const { source, settings } = this.options;
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const objects = source.metricsObjects?.(cluster, ns, name);
    const snapshot = source.snapshot?.(cluster);
    if (!objects || !snapshot) return undefined;
    const uid = isvc.metadata.uid;
    // Only pods of the service's own LeaderWorkerSets (controlled by its UID) are billed to it.
    const owned = new Set(
      objects.leaderWorkerSets
        .filter(l =>
          (l.metadata.ownerReferences ?? []).some(
            r => r.controller && uid && r.uid === uid,
          ),
        )
        .map(l => l.metadata.name!),
    );
    const labels = new Map(snapshot.nodes.map(n => [n.name, n.labels]));
    return observeReplicas(objects.pods, n => labels.get(n), {
      productLabel: settings.productLabel,
      ...(this.options.acceleratorResources
        ? { acceleratorResources: this.options.acceleratorResources }
        : {}),
      leaderWorkerSets: owned,
    });
  }

  /** Every live service of the clusters (those given, or one service), with owner, project and what it holds now. */
  async live(
    only?: UsageKey,
    among?: readonly string[],
  ): Promise<{
    services: LiveService[];
    errors: Array<{ cluster: string; message: string }>;
  }> {
    const { source } = this.options;
    const errors: Array<{ cluster: string; message: string }> = [];
    const found: Array<{ cluster: string; isvc: InferenceService }> = [];
    const clusters = source
      .clusterNames()
      .filter(c => (only ? c === only.cluster : !among || among.includes(c)));
    await Promise.all(
      clusters.map(async cluster => {
        try {
          for (const isvc of await source.listServices(cluster))
            if (
              !only ||
              (isvc.metadata.namespace === only.namespace &&
                isvc.metadata.name === only.name)
            )
              found.push({ cluster, isvc });
        } catch (e) {
          const err = this.options.clusterError?.(e, cluster);
          errors.push({
            cluster,
            message: err?.message ?? `cluster ${cluster} is unavailable`,
          });
        }
      }),
    );
    const owners = await this.options.ownersOf(found.map(f => f.isvc));
    const services = found.map(({ cluster, isvc }, i): LiveService => {
      const team = owners[i];
      const project = projectOfOwner(this.options.projects, team)?.name;
      const replicas = this.observe(cluster, isvc);
      return {
        cluster,
        namespace: isvc.metadata.namespace!,
        name: isvc.metadata.name!,
        isvc,
        entityRef: this.options.entityRefOf(isvc, cluster),
        ...(team ? { team } : {}),
        ...(project ? { project } : {}),
        ...(replicas ? { replicas } : {}),
      };
    });
    return { services, errors };
  }

  /**
   * Showback over a window ([start, end), epoch ms): every live service and every service with usage in the window
   * or this month, those `readable` lets through (same order as the refs given), each priced; teams summed over
   * them. `only` computes one service.
   */
  async compute(
    window: { start: number; end: number },
    options: {
      only?: UsageKey;
      readable?: (entityRefs: string[]) => Promise<boolean[]>;
    } = {},
  ): Promise<ShowbackResult> {
    const { store, settings } = this.options;
    const now = this.now();
    const month = monthOf(now);
    const [windowUsage, monthUsage, live] = await Promise.all([
      store.sums(window.start, window.end, options.only),
      store.sums(month.start, now, options.only),
      this.live(options.only),
    ]);
    const errors: ShowbackResult['errors'] = [...live.errors];
    const liveByKey = new Map(live.services.map(s => [usageKeyOf(s), s]));
    const keys = new Set<string>([
      ...liveByKey.keys(),
      ...windowUsage.keys(),
      ...monthUsage.keys(),
    ]);
    type Row = {
      key: string;
      live?: LiveService;
      recorded?: ServiceUsage;
      entityRef: string;
    };
    let rows: Row[] = [...keys].map(key => {
      const l = liveByKey.get(key);
      const recorded = windowUsage.get(key) ?? monthUsage.get(key);
      return {
        key,
        live: l,
        recorded,
        entityRef: l?.entityRef ?? recorded?.entityRef ?? '',
      };
    });
    rows = rows.filter(r => r.entityRef);
    if (options.readable) {
      const ok = await options.readable(rows.map(r => r.entityRef));
      rows = rows.filter((_, i) => ok[i]);
    }
    const ext = await this.external(
      window,
      now,
      rows.map(r => r.key),
      errors,
    );
    const services = rows
      .map(({ key, live: l, recorded }) => {
        const ref = l ?? recorded!;
        // Deleted: holds nothing; live but not cached yet: unknown.
        let holdings: AcceleratorHolding[] | undefined = [];
        if (l) holdings = l.replicas ? holdingsOf(l.replicas) : undefined;
        const approved = l
          ? summarizeInferenceService(l.isvc, {
              ...(this.options.acceleratorResources
                ? {
                    acceleratorResources: [
                      ...this.options.acceleratorResources,
                    ],
                  }
                : {}),
            }).totals.accelerators
          : undefined;
        const team = l ? l.team : recorded?.team;
        const project = l ? l.project : recorded?.project;
        return serviceShowback(
          {
            cluster: ref.cluster,
            namespace: ref.namespace,
            name: ref.name,
            entityRef: l?.entityRef ?? recorded!.entityRef,
            ...(team ? { team } : {}),
            ...(project ? { project } : {}),
            ...(windowUsage.get(key)
              ? { window: windowUsage.get(key)!.usage }
              : {}),
            ...(monthUsage.get(key)
              ? { monthToDate: monthUsage.get(key)!.usage }
              : {}),
            ...(holdings ? { now: holdings } : {}),
            ...(approved ? { approved } : {}),
            ...(ext?.get(key) ? { external: ext.get(key) } : {}),
          },
          settings.sheet,
          now,
        );
      })
      .sort(
        (a, b) =>
          a.cluster.localeCompare(b.cluster) ||
          a.namespace.localeCompare(b.namespace) ||
          a.name.localeCompare(b.name),
      );
    const teams = teamShowback(
      services,
      await this.teamInfos(services.map(s => s.team)),
      settings.sheet,
      now,
    );
    return {
      source: this.options.opencost ? 'opencost' : 'fusioninfer',
      window,
      month: { start: month.start, end: month.end },
      services,
      teams,
      errors,
    };
  }

  /** Budget, quota in force and project of each team named (teams of a project: its owner groups). */
  async teamInfos(teams: Array<string | undefined>): Promise<TeamInfo[]> {
    const overrides = this.options.quotas
      ? await this.options.quotas.list()
      : [];
    const out: TeamInfo[] = [];
    for (const team of new Set(teams.filter((t): t is string => !!t))) {
      const project = projectOfOwner(this.options.projects, team);
      if (!project) {
        out.push({ team });
        continue;
      }
      const quota = effectiveGpuQuota(project, overrides);
      out.push({
        team,
        project: project.name,
        ...(project.budget ? { budget: project.budget } : {}),
        ...(quota
          ? { quotaGpus: Object.values(quota).reduce((a, b) => a + b, 0) }
          : {}),
      });
    }
    return out;
  }

  /** OpenCost's costs of the services it covers (window, month so far, last hour), by service key. */
  private async external(
    window: { start: number; end: number },
    now: number,
    keys: string[],
    errors: ShowbackResult['errors'],
  ) {
    const oc = this.options.opencost;
    if (!oc) return undefined;
    const month = monthOf(now);
    let windowA: Map<string, OpenCostAllocation>;
    let monthA: Map<string, OpenCostAllocation>;
    let hourA: Map<string, OpenCostAllocation>;
    try {
      [windowA, monthA, hourA] = await Promise.all([
        oc.allocations(window.start, window.end),
        oc.allocations(month.start, now),
        oc.allocations(now - HOUR_MS, now),
      ]);
    } catch (e) {
      errors.push({
        message: `${(e as Error).message}; showing the price sheet's costs`,
      });
      return undefined;
    }
    const out = new Map<
      string,
      NonNullable<ServiceShowbackInput['external']>
    >();
    for (const key of keys) {
      const [cluster, namespace, name] = key.split('/');
      if (!oc.covers(cluster)) continue;
      const k = `${namespace}/${name}`;
      const w = windowA.get(k);
      const m = monthA.get(k);
      const h = hourA.get(k);
      out.set(key, {
        windowCostMicros: (w?.totalCost ?? 0) * 1e6,
        monthToDateCostMicros: (m?.totalCost ?? 0) * 1e6,
        costPerHourMicros:
          h && h.minutes > 0 ? (h.totalCost * 1e6 * 60) / h.minutes : 0,
        windowGpuHours: w?.gpuHours ?? 0,
        monthToDateGpuHours: m?.gpuHours ?? 0,
      });
    }
    return out;
  }
}
