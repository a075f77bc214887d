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
  aggregateEndpoints,
  childNames,
  Deployment,
  endpointRoutingMetrics,
  EPP_PORTS,
  EppMetricsState,
  eppRoutingMetrics,
  EppSnapshot,
  INFERENCE_TARGET_PORT,
  InferenceService,
  isPodReady,
  KubeObject,
  LABELS,
  LeaderWorkerSet,
  ModelServerSnapshot,
  parsePrometheusText,
  Pod,
  readEppMetrics,
  readModelServerMetrics,
  RoutingAggregate,
  RoutingEndpoint,
  RoutingHistoryPoint,
  RoutingMetricsResponse,
  TRACK_LABEL,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  ClusterApiError,
  ClusterClient,
  DEFAULT_PROXY_MAX_BYTES,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { PrometheusSource } from './PrometheusSource';

/** Options of the routing-metrics collector. */
export interface MetricsCollectorOptions {
  logger: LoggerService;
  /** When set, metrics come from Prometheus instead of scraping pods through the API server. */
  prometheus?: PrometheusSource;
  /** A second request within this time gets the cached answer (default 5 s). */
  minIntervalMs?: number;
  /** Points of history kept per service (default 120). */
  historySize?: number;
  /** Background collection interval for services viewed recently (default 15 s; 0 disables it). */
  pollIntervalMs?: number;
  /** A service stops being collected in the background this long after its last view (default 10 min). */
  watchTtlMs?: number;
  /** Parallel scrapes per collection (default 8). */
  concurrency?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Bytes read at most per scrape (default 8 MiB): a larger answer is aborted and reported, never parsed. */
  maxScrapeBytes?: number;
  /**
   * Where the collector finds a service's pods, LeaderWorkerSets and EPP Deployment: the informer caches (zero API
   * calls). Absent or answering undefined (cache not synced): one labelled LIST each from the API server.
   */
  lookup?: (
    cluster: string,
    namespace: string,
    name: string,
  ) => ServiceObjects | undefined;
}

/** The objects of one service the collector selects endpoints from. */
export interface ServiceObjects {
  pods: Pod[];
  leaderWorkerSets: LeaderWorkerSet[];
  eppDeployment?: Deployment;
}

const controllerRef = (o: KubeObject) =>
  (o.metadata.ownerReferences ?? []).find(r => r.controller);

/**
 * The pods of a service chosen by ownership, not by label alone (a pod anybody labels would otherwise inject
 * endpoints or metrics): LWS leader pods are controlled by one of the service's LeaderWorkerSets (controlled by the
 * service's UID) or by the leader StatefulSet the LWS controller names after it; EPP pods by the service's EPP
 * Deployment or one of its ReplicaSets.
 */
export function selectOwnedPods(
  isvc: InferenceService,
  objects: ServiceObjects,
): { leaders: Pod[]; eppPods: Pod[] } {
  const uid = isvc.metadata.uid;
  const name = isvc.metadata.name!;
  const lws = objects.leaderWorkerSets.filter(
    l => uid && controllerRef(l)?.uid === uid,
  );
  const lwsUids = new Set(lws.map(l => l.metadata.uid));
  const lwsNames = new Set(lws.map(l => l.metadata.name));
  const epp =
    objects.eppDeployment &&
    uid &&
    controllerRef(objects.eppDeployment)?.uid === uid
      ? objects.eppDeployment
      : undefined;
  const live = objects.pods.filter(p => !p.metadata.deletionTimestamp);
  const leaders = live
    .filter(p => {
      const ref = controllerRef(p);
      if (!ref) return false;
      if (ref.kind === 'LeaderWorkerSet') return lwsUids.has(ref.uid);
      return (
        ref.kind === 'StatefulSet' &&
        lwsNames.has(ref.name) &&
        p.metadata.labels?.[LABELS.lwsName] === ref.name
      );
    })
    .filter(
      p =>
        p.metadata.labels?.[LABELS.componentType] &&
        p.metadata.labels[LABELS.componentType] !== 'router',
    )
    .filter(p => (p.metadata.labels?.[LABELS.lwsWorkerIndex] ?? '0') === '0')
    .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const eppPods = epp
    ? live.filter(p => {
        const ref = controllerRef(p);
        if (!ref) return false;
        if (ref.kind === 'Deployment') return ref.uid === epp.metadata.uid;
        return (
          ref.kind === 'ReplicaSet' &&
          ref.name.startsWith(`${childNames.epp(name)}-`) &&
          p.metadata.labels?.app === childNames.epp(name)
        );
      })
    : [];
  return { leaders, eppPods };
}

/** One scrape through the pod proxy, bounded in bytes; a larger answer becomes an error message. */
async function scrape(
  client: ClusterClient,
  ns: string,
  pod: string,
  port: number,
  maxBytes: number,
): Promise<{ status: number; body: string; tooLarge?: string }> {
  const res = await client.podProxyGet(ns, pod, port, '/metrics', {
    maxBytes,
  });
  if (res.status === 403 && isApiServerForbidden(res.body))
    // The API server refused the backend's identity the pod proxy (RBAC `pods/proxy`); the pod was never asked.
    throw new ClusterApiError(
      client.name,
      403,
      'Forbidden',
      res.body.slice(0, 1000),
    );
  if (res.truncated)
    return {
      status: res.status,
      body: '',
      tooLarge: `GET /metrics answered more than ${Math.round(maxBytes / 1024)} KiB; the scrape was aborted`,
    };
  return res;
}

/** Whether a 403 body is the API server's own Status (RBAC refused the proxy), not an answer of the pod. */
function isApiServerForbidden(body: string): boolean {
  try {
    const status = JSON.parse(body);
    return (
      status?.kind === 'Status' &&
      status.reason === 'Forbidden' &&
      /pods\/proxy/.test(String(status.message))
    );
  } catch {
    return false;
  }
}

/**
 * What an API caller learns of a scrape that threw (network, TLS, timeout): a generic sentence. The error itself
 * carries the API server's URL, the pod-proxy path and socket or TLS details, so it only goes to the log.
 */
export function scrapeFailureMessage(
  logger: LoggerService,
  e: unknown,
  what: string,
  where: { cluster: string; namespace: string; pod: string },
): string {
  logger.warn(
    `scrape of ${what} ${where.cluster}/${where.namespace}/${where.pod} failed: ${(e as Error)?.message ?? String(e)}`,
  );
  if (e instanceof ClusterApiError && e.reason === 'Forbidden')
    return `${what} could not be reached: the backend's cluster identity may not use the API server's pod proxy (RBAC: get on pods/proxy)`;
  if (e instanceof ClusterApiError && e.reason === 'Timeout')
    return `${what} did not answer in time through the API server's pod proxy`;
  return `${what} could not be reached through the API server's pod proxy (details in the backend log)`;
}

interface ServiceState {
  client: ClusterClient;
  isvc: InferenceService;
  endpoints: Map<string, ModelServerSnapshot>;
  epp?: EppSnapshot;
  history: RoutingHistoryPoint[];
  last?: RoutingMetricsResponse;
  lastAt: number;
  lastViewedAt: number;
  inflight?: Promise<RoutingMetricsResponse>;
}

const AUTH_MESSAGE =
  'the EPP refuses unauthenticated scrapes (--metrics-endpoint-auth defaults to true in GIE); set fusioninfer.epp.disableMetricsAuth: true, grant the EPP TokenReview/SubjectAccessReview rights, or configure fusioninfer.prometheus';

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return out;
}

/** The KV metric an EPP reads: its flag, or the default of its version (GIE < v1.3 reads the removed vLLM name). */
export function eppKvMetric(
  deployment: Deployment | undefined,
): string | undefined {
  const c = deployment?.spec.template.spec?.containers?.[0];
  if (!c) return undefined;
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--kv-cache-usage-percentage-metric='))
      return a.slice(a.indexOf('=') + 1);
    if (a === '--kv-cache-usage-percentage-metric' && i + 1 < args.length)
      return args[i + 1];
  }
  const image = c.image ?? '';
  const m = /gateway-api-inference-extension\/epp:v1\.([0-2])\./.exec(image);
  return m ? 'vllm:gpu_cache_usage_perc' : 'vllm:kv_cache_usage_perc';
}

/**
 * Collects routing metrics of InferenceServices: model-server /metrics of every LWS leader pod (the only pods the
 * InferencePool selects) and the EPP's /metrics, both through the API server's pod proxy, or Prometheus when
 * configured. Keeps the previous scrape per endpoint for rates and a short history per service for charts.
 */
export class MetricsCollector {
  private readonly states = new Map<string, ServiceState>();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.now = options.now ?? Date.now;
  }

  get source(): 'prometheus' | 'pod-proxy' {
    return this.options.prometheus ? 'prometheus' : 'pod-proxy';
  }

  /** Background collection of recently viewed services. */
  start() {
    const every = this.options.pollIntervalMs ?? 15_000;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch(e =>
        this.options.logger.warn(
          `routing metrics collection failed: ${(e as Error).message}`,
        ),
      );
    }, every);
    this.timer.unref?.();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One background round: collect every service viewed within the TTL, forget the others. */
  async tick() {
    const ttl = this.options.watchTtlMs ?? 10 * 60_000;
    const now = this.now();
    const due: ServiceState[] = [];
    for (const [key, s] of this.states) {
      if (now - s.lastViewedAt > ttl) this.states.delete(key);
      else if (now - s.lastAt >= (this.options.minIntervalMs ?? 5000))
        due.push(s);
    }
    await mapLimit(due, 2, s => this.refresh(s).catch(() => undefined));
  }

  /** Routing metrics of a service (cached for minIntervalMs). */
  async get(
    client: ClusterClient,
    isvc: InferenceService,
  ): Promise<RoutingMetricsResponse> {
    const key = `${client.name}/${isvc.metadata.namespace}/${isvc.metadata.name}`;
    let s = this.states.get(key);
    if (!s || s.isvc.metadata.uid !== isvc.metadata.uid) {
      s = {
        client,
        isvc,
        endpoints: new Map(),
        history: [],
        lastAt: 0,
        lastViewedAt: 0,
      };
      this.states.set(key, s);
    }
    s.isvc = isvc;
    s.lastViewedAt = this.now();
    if (s.last && this.now() - s.lastAt < (this.options.minIntervalMs ?? 5000))
      return s.last;
    return this.refresh(s);
  }

  /**
   * The raw model-server scrape of each replica leader of a service, by pod (cumulative counters, for showback):
   * the collector's own last collection when it is younger than `minIntervalMs`, else one collection, so nothing
   * scrapes a server more often than the routing metrics may. Pods whose last scrape failed are left out. It is not a
   * view: the service is not collected in the background for it. Undefined with Prometheus (ask Prometheus).
   */
  async modelServerSnapshots(
    client: ClusterClient,
    isvc: InferenceService,
  ): Promise<Map<string, ModelServerSnapshot> | undefined> {
    if (this.options.prometheus) return undefined;
    const key = `${client.name}/${isvc.metadata.namespace}/${isvc.metadata.name}`;
    let s = this.states.get(key);
    if (!s || s.isvc.metadata.uid !== isvc.metadata.uid) {
      s = {
        client,
        isvc,
        endpoints: new Map(),
        history: [],
        lastAt: 0,
        lastViewedAt: 0,
      };
      this.states.set(key, s);
    }
    s.isvc = isvc;
    if (
      !s.last ||
      this.now() - s.lastAt >= (this.options.minIntervalMs ?? 5000)
    )
      await this.refresh(s);
    const at = s.lastAt;
    return new Map([...s.endpoints].filter(([, snap]) => snap.atMs === at));
  }

  private refresh(s: ServiceState): Promise<RoutingMetricsResponse> {
    if (!s.inflight) {
      s.inflight = this.collect(s).finally(() => {
        s.inflight = undefined;
      });
    }
    return s.inflight;
  }

  private async collect(s: ServiceState): Promise<RoutingMetricsResponse> {
    const { client, isvc } = s;
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const routerRole = isvc.spec.roles.find(r => r.componentType === 'router');
    const objects =
      this.options.lookup?.(client.name, ns, name) ??
      (await this.liveObjects(client, ns, name, !!routerRole));
    const eppDeployment = objects.eppDeployment;
    const { leaders, eppPods } = selectOwnedPods(isvc, objects);
    const at = this.now();
    const base = (p: Pod): RoutingEndpoint => {
      const idx = Number(p.metadata.labels?.[LABELS.replicaIndex]);
      const track = p.metadata.labels?.[TRACK_LABEL];
      return {
        pod: p.metadata.name!,
        role: p.metadata.labels?.[LABELS.roleName] ?? '',
        componentType: p.metadata.labels?.[LABELS.componentType] ?? '',
        ...(Number.isInteger(idx) ? { replicaIndex: idx } : {}),
        ...(track === 'stable' || track === 'canary' ? { track } : {}),
        ready: isPodReady(p),
        state: 'not-ready',
      };
    };
    let endpoints: RoutingEndpoint[];
    let epp: EppMetricsState;
    let history: RoutingHistoryPoint[] | undefined;
    if (this.options.prometheus) {
      const r = await this.options.prometheus.collect({
        namespace: ns,
        leaders: leaders.map(p => ({ ...base(p), pod: p.metadata.name! })),
        eppPods: eppPods.map(p => p.metadata.name!),
        hasRouter: !!routerRole,
        poolName: childNames.pool(name),
      });
      endpoints = r.endpoints;
      epp = r.epp;
      history = r.history;
    } else {
      const seen = new Set<string>();
      endpoints = await mapLimit(
        leaders,
        this.options.concurrency ?? 8,
        async p => {
          const ep = base(p);
          seen.add(ep.pod);
          if (!ep.ready)
            return {
              ...ep,
              message: p.status?.phase
                ? `pod is ${p.status.phase} and not ready`
                : 'pod has no status yet',
            };
          try {
            const res = await scrape(
              client,
              ns,
              ep.pod,
              INFERENCE_TARGET_PORT,
              this.options.maxScrapeBytes ?? DEFAULT_PROXY_MAX_BYTES,
            );
            if (res.tooLarge)
              return { ...ep, state: 'error', message: res.tooLarge };
            if (res.status !== 200)
              return {
                ...ep,
                state: 'error',
                message: `GET /metrics answered ${res.status}`,
              };
            const exp = parsePrometheusText(res.body);
            const snap = readModelServerMetrics(exp, at);
            const prev = s.endpoints.get(ep.pod);
            s.endpoints.set(ep.pod, snap);
            return {
              ...ep,
              state: 'ok',
              metrics: endpointRoutingMetrics(snap, prev),
              ...(exp.errors.length
                ? {
                    message: `${exp.errors.length} unreadable line(s) in /metrics, e.g. line ${exp.errors[0].line}: ${exp.errors[0].message}`,
                  }
                : {}),
            };
          } catch (e) {
            return {
              ...ep,
              state: 'unreachable',
              message: scrapeFailureMessage(
                this.options.logger,
                e,
                'the model server',
                { cluster: client.name, namespace: ns, pod: ep.pod },
              ),
            };
          }
        },
      );
      for (const k of [...s.endpoints.keys()])
        if (!seen.has(k)) s.endpoints.delete(k);
      epp = await this.scrapeEpp(s, !!routerRole, eppPods, name, at);
    }
    const pool = aggregateEndpoints(endpoints);
    const roles: Record<string, RoutingAggregate> = {};
    for (const r of isvc.spec.roles.filter(x => x.componentType !== 'router'))
      roles[r.name] = aggregateEndpoints(
        endpoints.filter(e => e.role === r.name),
      );
    if (history) {
      s.history = history;
    } else {
      const point: RoutingHistoryPoint = {
        at: new Date(at).toISOString(),
        running: pool.running,
        waiting: pool.waiting,
        kvCacheUsage: pool.kvCacheUsage,
        requestRate: pool.requestRate,
        prefixCacheHitRate: pool.prefixCacheHitRate,
        worstTtftP95: pool.worstTtftP95,
        endpoints: Object.fromEntries(
          endpoints
            .filter(e => e.metrics)
            .map(e => [
              e.pod,
              {
                running: e.metrics!.running,
                waiting: e.metrics!.waiting,
                kvCacheUsage: e.metrics!.kvCacheUsage,
              },
            ]),
        ),
      };
      s.history.push(point);
      const cap = this.options.historySize ?? 120;
      if (s.history.length > cap) s.history.splice(0, s.history.length - cap);
    }
    const warnings: string[] = [];
    const serverKv = endpoints.find(e => e.metrics?.kvCacheMetric)?.metrics
      ?.kvCacheMetric;
    const eppKv = eppKvMetric(eppDeployment);
    if (routerRole && serverKv && eppKv && eppKv !== serverKv) {
      warnings.push(
        `the EPP reads ${eppKv} but the model servers expose ${serverKv}: KV-cache-aware routing sees 0 on every endpoint (pass --kv-cache-usage-percentage-metric=${serverKv} or use an EPP ≥ v1.3.0)`,
      );
    }
    const eppKvAvg = epp.metrics?.pool.averageKvCacheUtilization;
    if (eppKvAvg === 0 && (pool.kvCacheUsage ?? 0) > 0.01) {
      warnings.push(
        'the EPP pool average KV-cache utilization is 0 while the model servers report use: the EPP does not see the KV metric',
      );
    }
    const result: RoutingMetricsResponse = {
      cluster: client.name,
      namespace: ns,
      name,
      source: this.source,
      collectedAt: new Date(at).toISOString(),
      ...(routerRole
        ? {
            strategy: routerRole.endpointPickerConfig
              ? 'custom'
              : (routerRole.strategy ?? 'prefix-cache'),
            poolName: childNames.pool(name),
          }
        : {}),
      endpoints,
      pool,
      roles,
      epp,
      history: [...s.history],
      warnings,
    };
    s.last = result;
    s.lastAt = at;
    return result;
  }

  /** Without caches: one labelled LIST of pods and LeaderWorkerSets, and the EPP Deployment. */
  private async liveObjects(
    client: ClusterClient,
    ns: string,
    name: string,
    hasRouter: boolean,
  ): Promise<ServiceObjects> {
    const selector = `${LABELS.service}=${name}`;
    const [pods, leaderWorkerSets, eppDeployment] = await Promise.all([
      client.list<Pod>(KINDS.Pod, ns, selector),
      client.list<LeaderWorkerSet>(KINDS.LeaderWorkerSet, ns, selector),
      hasRouter
        ? client
            .get<Deployment>(KINDS.Deployment, ns, childNames.epp(name))
            .catch(() => undefined)
        : Promise.resolve(undefined),
    ]);
    return { pods, leaderWorkerSets, eppDeployment };
  }

  private async scrapeEpp(
    s: ServiceState,
    hasRouter: boolean,
    eppPods: Pod[],
    name: string,
    at: number,
  ): Promise<EppMetricsState> {
    if (!hasRouter) return { state: 'no-router' };
    const pod = eppPods.find(p => isPodReady(p));
    if (!pod)
      return {
        state: 'not-ready',
        message: eppPods.length
          ? 'no EPP pod is ready'
          : 'no EPP pod exists yet',
      };
    try {
      const res = await scrape(
        s.client,
        s.isvc.metadata.namespace!,
        pod.metadata.name!,
        EPP_PORTS.metrics,
        this.options.maxScrapeBytes ?? DEFAULT_PROXY_MAX_BYTES,
      );
      if (res.tooLarge) return { state: 'error', message: res.tooLarge };
      if (res.status === 401 || res.status === 403 || res.status === 500) {
        return {
          state: 'unavailable-auth',
          message: `EPP /metrics answered ${res.status}: ${AUTH_MESSAGE}`,
        };
      }
      if (res.status !== 200)
        return {
          state: 'error',
          message: `EPP /metrics answered ${res.status}`,
        };
      const snap = readEppMetrics(
        parsePrometheusText(res.body),
        at,
        childNames.pool(name),
      );
      const prev = s.epp;
      s.epp = snap;
      return { state: 'ok', metrics: eppRoutingMetrics(snap, prev) };
    } catch (e) {
      return {
        state: 'unreachable',
        message: scrapeFailureMessage(this.options.logger, e, 'the EPP', {
          cluster: s.client.name,
          namespace: s.isvc.metadata.namespace!,
          pod: pod.metadata.name!,
        }),
      };
    }
  }
}
