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

/*
 * A Gateway API implementation for the development cluster (class `fusioninfer-dev`), so HTTPRoute weights over
 * InferencePools (a canary) can be exercised without a real cluster:
 * - control plane: every Gateway of the class gets a ClusterIP Service of its own name (as Istio and Envoy Gateway
 *   create one), status conditions and addresses; every HTTPRoute attached to such a Gateway gets its
 *   `status.parents[]` entry (Accepted, ResolvedRefs) with the reasons the Gateway API spec names;
 * - data plane: the proxy of that Service (`/api/v1/namespaces/NS/services/GATEWAY:80/proxy/...`) matches the
 *   request against the attached routes (hostname, then path, method, headers, query; the oldest route on ties),
 *   picks a backendRef by weight, and for an InferencePool the Ready endpoint with the fewest waiting + running
 *   requests (what the endpoint picker roughly does), then forwards to the model server on that pod; a pool of
 *   prefillers and decoders is served as llm-d's P/D disaggregation does (a decoder as the destination, the prompt
 *   prefilled on a prefiller first).
 * The GatewayClass CRD is not among the vendored CRDs: when it is absent, Gateways are ours by their
 * gatewayClassName alone; when installed, the class `fusioninfer-dev` is created and its controllerName decides.
 */

import { KObject } from '../api';
import { PodHttpHandler, PodHttpResolver, ProxyResponse } from '../http';
import { ServiceHttpResolver } from '../http/types';
import { ResourceType } from '../resources';
import {
  FIELD_MANAGER,
  isReady,
  LWS,
  ownerRef,
  sameJson,
  SimContext,
} from './context';

export const DEV_GATEWAY = {
  className: 'fusioninfer-dev',
  controllerName: 'fusioninfer.io/dev-gateway',
  /** On a Gateway or its GatewayClass: behave as an implementation that cannot weight two InferencePools. */
  singlePoolAnnotation: 'dev.fusioninfer.io/single-inferencepool-backend',
  /** The label real implementations put on a Gateway's Service. */
  nameLabel: 'gateway.networking.k8s.io/gateway-name',
  /** The endpoint chosen, as the GIE endpoint picker reports it. */
  destinationHeader: 'x-gateway-destination-endpoint',
  /** `<kind>/<name>` of the backendRef that served the request. */
  backendHeader: 'x-fusioninfer-backend',
  /** P/D pools: the prefiller pod that ran the prompt (`none` when the decoder served alone). */
  prefillerHeader: 'x-fusioninfer-prefiller',
  /** P/D pools: the decoder pod that served the request (the destination). */
  decoderHeader: 'x-fusioninfer-decoder',
  /**
   * P/D pools: `<prefiller image>-><decoder image>` (first containers; `none` for the prefiller when decode-only), so a
   * test tells the revisions that served a request apart. `->`, not an arrow: header values must be ASCII.
   */
  pairHeader: 'x-fusioninfer-pair',
  /** What llm-d's endpoint picker sets on the request for the decoder's routing sidecar: the prefiller's ip:port. */
  prefillerHostPortHeader: 'x-prefiller-host-port',
} as const;

/** FusionInfer's role label on model-server pods; llm-d's P/D filters (by-label) select on it. */
const COMPONENT_TYPE = 'fusioninfer.io/component-type';
/** The revision of a replica's pods (services with a rollout policy; prefillers and decoders share the pair's). */
const REVISION = 'fusioninfer.io/revision';

const GW_GROUP = 'gateway.networking.k8s.io';
const POOL_GROUP = 'inference.networking.k8s.io';

interface GatewayTypes {
  gateways: ResourceType;
  routes: ResourceType;
  pools?: ResourceType;
  classes?: ResourceType;
  namespaces: ResourceType;
}

function gatewayTypes(ctx: SimContext): GatewayTypes | undefined {
  const gateways = ctx.api.findType(GW_GROUP, 'v1', 'gateways');
  const routes = ctx.api.findType(GW_GROUP, 'v1', 'httproutes');
  if (!gateways || !routes) return undefined;
  return {
    gateways,
    routes,
    pools: ctx.api.findType(POOL_GROUP, 'v1', 'inferencepools'),
    classes: ctx.api.findType(GW_GROUP, 'v1', 'gatewayclasses'),
    namespaces: ctx.api.findType('', 'v1', 'namespaces')!,
  };
}

/** The Gateway manifest of the demo: class fusioninfer-dev, one HTTP listener on port 80. */
export function demoGateway(namespace: string, name = 'inference-gateway') {
  return {
    apiVersion: `${GW_GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: {
      gatewayClassName: DEV_GATEWAY.className,
      listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }],
    },
  };
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** Conditions with observedGeneration, keeping lastTransitionTime while a condition's status stays the same. */
function conditions(
  want: Condition[],
  previous: any[] | undefined,
  generation: number | undefined,
) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return want.map(c => {
    const old = (previous ?? []).find((p: any) => p.type === c.type);
    return {
      ...c,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime:
        old && old.status === c.status && old.lastTransitionTime
          ? old.lastTransitionTime
          : now,
    };
  });
}

function devClass(ctx: SimContext, t: GatewayTypes): KObject | undefined {
  return t.classes
    ? ctx.api.tryGet(t.classes, undefined, DEV_GATEWAY.className)
    : undefined;
}

/** Whether this controller implements the Gateway. */
function isOurs(ctx: SimContext, t: GatewayTypes, gw: KObject): boolean {
  if (gw.metadata.deletionTimestamp) return false;
  const name = gw.spec?.gatewayClassName;
  if (!t.classes) return name === DEV_GATEWAY.className;
  const cls = ctx.api.tryGet(t.classes, undefined, name);
  return cls?.spec?.controllerName === DEV_GATEWAY.controllerName;
}

function singlePoolOnly(ctx: SimContext, t: GatewayTypes, gw: KObject) {
  const on = (o?: KObject) =>
    o?.metadata.annotations?.[DEV_GATEWAY.singlePoolAnnotation] === 'true';
  return (
    on(gw) ||
    (t.classes
      ? on(ctx.api.tryGet(t.classes, undefined, gw.spec?.gatewayClassName))
      : false)
  );
}

const hostMatches = (pattern: string, host: string) =>
  pattern.startsWith('*.')
    ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
    : pattern.toLowerCase() === host;

/** Whether two hostnames (either may be a wildcard) have a host in common. */
const hostsIntersect = (a: string, b: string) =>
  hostMatches(a, b.toLowerCase()) ||
  hostMatches(b, a.toLowerCase()) ||
  (a.startsWith('*.') &&
    b.startsWith('*.') &&
    (a.endsWith(b.slice(1)) || b.endsWith(a.slice(1))));

interface BackendRef {
  group: string;
  kind: string;
  name: string;
  namespace: string;
  port?: number;
  weight: number;
}

function backendRefs(route: KObject, rule: any): BackendRef[] {
  return (rule?.backendRefs ?? []).map((b: any) => ({
    group: b.group ?? '',
    kind: b.kind ?? 'Service',
    name: b.name,
    namespace: b.namespace ?? route.metadata.namespace,
    port: b.port,
    weight: b.weight ?? 1,
  }));
}

const isPoolRef = (b: BackendRef) =>
  b.group === POOL_GROUP && b.kind === 'InferencePool';
const isServiceRef = (b: BackendRef) => b.group === '' && b.kind === 'Service';

/** What a backendRef resolves to, or the ResolvedRefs reason it does not. */
function resolveRef(
  ctx: SimContext,
  t: GatewayTypes,
  route: KObject,
  b: BackendRef,
): { object: KObject } | Condition {
  const fail = (reason: string, message: string): Condition => ({
    type: 'ResolvedRefs',
    status: 'False',
    reason,
    message,
  });
  if (!isPoolRef(b) && !isServiceRef(b))
    return fail(
      'InvalidKind',
      `backendRef ${b.name}: unsupported kind ${b.group ? `${b.kind}.${b.group}` : b.kind} (Service or InferencePool.${POOL_GROUP})`,
    );
  // No ReferenceGrant CRD is installed, so a backend in another namespace is never permitted.
  if (b.namespace !== route.metadata.namespace)
    return fail(
      'RefNotPermitted',
      `backendRef ${b.namespace}/${b.name}: no ReferenceGrant allows a reference to namespace ${b.namespace}`,
    );
  const type = isPoolRef(b) ? t.pools : ctx.svcT;
  const object = type ? ctx.api.tryGet(type, b.namespace, b.name) : undefined;
  if (!object)
    return fail(
      'BackendNotFound',
      `backendRef ${b.kind} ${b.namespace}/${b.name} not found`,
    );
  return { object };
}

/** The listeners of a Gateway a parentRef of the route attaches to, or the reason it attaches to none. */
function attach(
  ctx: SimContext,
  t: GatewayTypes,
  gw: KObject,
  route: KObject,
  ref: any,
): { listeners: any[] } | Condition {
  const fail = (reason: string, message: string): Condition => ({
    type: 'Accepted',
    status: 'False',
    reason,
    message,
  });
  let listeners: any[] = (gw.spec?.listeners ?? []).filter(
    (l: any) =>
      (ref.sectionName === undefined || l.name === ref.sectionName) &&
      (ref.port === undefined || l.port === ref.port) &&
      (l.protocol === 'HTTP' || l.protocol === 'HTTPS'),
  );
  if (listeners.length === 0)
    return fail(
      'NoMatchingParent',
      ref.sectionName !== undefined
        ? `Gateway ${gw.metadata.name} has no HTTP listener named ${ref.sectionName}`
        : `Gateway ${gw.metadata.name} has no HTTP listener${ref.port !== undefined ? ` on port ${ref.port}` : ''}`,
    );
  const routeNs = route.metadata.namespace;
  const nsLabels =
    ctx.api.tryGet(t.namespaces, undefined, routeNs)?.metadata.labels ?? {};
  listeners = listeners.filter((l: any) => {
    const allowed = l.allowedRoutes ?? {};
    const kinds: any[] | undefined = allowed.kinds;
    if (
      kinds &&
      kinds.length > 0 &&
      !kinds.some(
        (k: any) =>
          k.kind === 'HTTPRoute' && (k.group ?? GW_GROUP) === GW_GROUP,
      )
    )
      return false;
    const from = allowed.namespaces?.from ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return routeNs === gw.metadata.namespace;
    const match = allowed.namespaces?.selector?.matchLabels ?? {};
    return Object.entries(match).every(([k, v]) => nsLabels[k] === v);
  });
  if (listeners.length === 0)
    return fail(
      'NotAllowedByListeners',
      `the listeners of Gateway ${gw.metadata.name} do not allow HTTPRoutes from namespace ${routeNs}`,
    );
  const hostnames: string[] = route.spec?.hostnames ?? [];
  if (hostnames.length > 0) {
    listeners = listeners.filter(
      (l: any) =>
        !l.hostname || hostnames.some(h => hostsIntersect(h, l.hostname)),
    );
    if (listeners.length === 0)
      return fail(
        'NoMatchingListenerHostname',
        `no listener of Gateway ${gw.metadata.name} matches the route's hostnames`,
      );
  }
  return { listeners };
}

interface Parent {
  ref: any;
  gateway: KObject;
  /** Listeners attached through (empty when not accepted). */
  listeners: any[];
  accepted: Condition;
  resolved: Condition;
  /** Accepted False only because the implementation cannot weight two pools: traffic goes to the first backendRef. */
  firstBackendOnly: boolean;
}

/** The route's parents that are Gateways this controller implements, each with its conditions. */
function parentsOf(ctx: SimContext, t: GatewayTypes, route: KObject): Parent[] {
  const out: Parent[] = [];
  for (const ref of route.spec?.parentRefs ?? []) {
    if (
      (ref.group ?? GW_GROUP) !== GW_GROUP ||
      (ref.kind ?? 'Gateway') !== 'Gateway'
    )
      continue;
    const gw = ctx.api.tryGet(
      t.gateways,
      ref.namespace ?? route.metadata.namespace,
      ref.name,
    );
    if (!gw || !isOurs(ctx, t, gw)) continue;
    const rules: any[] = route.spec?.rules ?? [];
    let resolved: Condition = {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'all backendRefs resolved',
    };
    for (const rule of rules)
      for (const b of backendRefs(route, rule)) {
        const r = resolveRef(ctx, t, route, b);
        if ('reason' in r && resolved.status === 'True') resolved = r;
      }
    const attached = attach(ctx, t, gw, route, ref);
    let accepted: Condition =
      'reason' in attached
        ? attached
        : {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'accepted by the fusioninfer-dev gateway',
          };
    let firstBackendOnly = false;
    if (
      accepted.status === 'True' &&
      singlePoolOnly(ctx, t, gw) &&
      rules.some(r => backendRefs(route, r).filter(isPoolRef).length > 1)
    ) {
      firstBackendOnly = true;
      accepted = {
        type: 'Accepted',
        status: 'False',
        reason: 'UnsupportedValue',
        message:
          'this Gateway cannot split traffic between InferencePools: a rule may reference only one InferencePool; all traffic goes to the first backendRef',
      };
    }
    out.push({
      ref,
      gateway: gw,
      listeners: 'reason' in attached ? [] : attached.listeners,
      accepted,
      resolved,
      firstBackendOnly,
    });
  }
  return out;
}

/** Creates the GatewayClass, each Gateway's Service and the statuses; runs as a step of the simulation. */
export function reconcileGateways(ctx: SimContext): void {
  const t = gatewayTypes(ctx);
  if (!t) return;
  const { api } = ctx;
  if (t.classes) {
    let cls = devClass(ctx, t);
    if (!cls && ctx.spend())
      cls = ctx.safe(() =>
        api.create(
          t.classes!,
          undefined,
          {
            apiVersion: `${GW_GROUP}/v1`,
            kind: 'GatewayClass',
            metadata: { name: DEV_GATEWAY.className },
            spec: { controllerName: DEV_GATEWAY.controllerName },
          },
          { fieldManager: FIELD_MANAGER },
        ),
      );
    if (cls && cls.spec?.controllerName === DEV_GATEWAY.controllerName)
      ctx.setStatus(t.classes, cls, {
        ...cls.status,
        conditions: conditions(
          [
            {
              type: 'Accepted',
              status: 'True',
              reason: 'Accepted',
              message: 'handled by the development cluster',
            },
          ],
          cls.status?.conditions,
          cls.metadata.generation,
        ),
      });
  }

  const routes = api.scan(t.routes);
  const attachedByListener = new Map<string, number>();
  for (const route of routes) {
    const parents = parentsOf(ctx, t, route);
    for (const p of parents)
      if (p.accepted.status === 'True' || p.firstBackendOnly)
        for (const l of p.listeners) {
          const key = `${p.gateway.metadata.uid}/${l.name}`;
          attachedByListener.set(key, (attachedByListener.get(key) ?? 0) + 1);
        }
    const previous: any[] = route.status?.parents ?? [];
    const ours = parents.map(p => {
      const old = previous.find(
        x =>
          x.controllerName === DEV_GATEWAY.controllerName &&
          sameJson(x.parentRef, p.ref),
      );
      return {
        parentRef: p.ref,
        controllerName: DEV_GATEWAY.controllerName,
        conditions: conditions(
          [p.accepted, p.resolved],
          old?.conditions,
          route.metadata.generation,
        ),
      };
    });
    // entries of other controllers stay; ours are replaced (and removed for parents no longer ours)
    const others = previous.filter(
      x => x.controllerName !== DEV_GATEWAY.controllerName,
    );
    if (ours.length === 0 && others.length === previous.length) continue;
    ctx.setStatus(t.routes, route, {
      ...route.status,
      parents: [...others, ...ours],
    });
  }

  for (const gw of api.scan(t.gateways)) {
    if (!isOurs(ctx, t, gw)) continue;
    const ns = gw.metadata.namespace!;
    const name = gw.metadata.name;
    const listeners: any[] = gw.spec?.listeners ?? [];
    const ports = [...new Set(listeners.map(l => l.port as number))].map(
      port => ({
        name: `http-${port}`,
        port,
        protocol: 'TCP',
        targetPort: port,
      }),
    );
    let svc = api.tryGet(ctx.svcT, ns, name);
    if (!svc && ctx.spend())
      svc = ctx.safe(() =>
        api.create(
          ctx.svcT,
          ns,
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name,
              namespace: ns,
              labels: { [DEV_GATEWAY.nameLabel]: name },
              ownerReferences: [ownerRef(gw)],
            },
            // no selector: the gateway's data plane serves it (gatewayServiceResolver), as the proxy pods would
            spec: { type: 'ClusterIP', ports },
          },
          { fieldManager: FIELD_MANAGER },
        ),
      );
    const ownsSvc = svc?.metadata.ownerReferences?.some(
      (o: any) => o.uid === gw.metadata.uid,
    );
    const address = ownsSvc ? svc?.spec?.clusterIP : undefined;
    const status = {
      ...gw.status,
      addresses: address ? [{ type: 'IPAddress', value: address }] : [],
      conditions: conditions(
        [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'accepted by the fusioninfer-dev gateway',
          },
          address
            ? {
                type: 'Programmed',
                status: 'True',
                reason: 'Programmed',
                message: `programmed; Service ${ns}/${name} serves it`,
              }
            : {
                type: 'Programmed',
                status: 'False',
                reason: 'AddressNotAssigned',
                message: ownsSvc
                  ? 'waiting for the Service address'
                  : `a Service ${ns}/${name} exists that this Gateway does not own`,
              },
        ],
        gw.status?.conditions,
        gw.metadata.generation,
      ),
      listeners: listeners.map(l => {
        const http = l.protocol === 'HTTP' || l.protocol === 'HTTPS';
        const old = (gw.status?.listeners ?? []).find(
          (x: any) => x.name === l.name,
        );
        return {
          name: l.name,
          supportedKinds: http ? [{ group: GW_GROUP, kind: 'HTTPRoute' }] : [],
          attachedRoutes:
            attachedByListener.get(`${gw.metadata.uid}/${l.name}`) ?? 0,
          conditions: conditions(
            http
              ? [
                  {
                    type: 'Accepted',
                    status: 'True',
                    reason: 'Accepted',
                    message: '',
                  },
                  {
                    type: 'Programmed',
                    status: 'True',
                    reason: 'Programmed',
                    message: '',
                  },
                  {
                    type: 'ResolvedRefs',
                    status: 'True',
                    reason: 'ResolvedRefs',
                    message: '',
                  },
                  {
                    type: 'Conflicted',
                    status: 'False',
                    reason: 'NoConflicts',
                    message: '',
                  },
                ]
              : [
                  {
                    type: 'Accepted',
                    status: 'False',
                    reason: 'UnsupportedProtocol',
                    message: `protocol ${l.protocol} is not supported (HTTP, HTTPS)`,
                  },
                ],
            old?.conditions,
            gw.metadata.generation,
          ),
        };
      }),
    };
    ctx.setStatus(t.gateways, gw, status);
  }
}

const answer = (
  status: number,
  text: string,
  headers: Record<string, string> = {},
): ProxyResponse => ({
  status,
  headers: { 'content-type': 'text/plain', ...headers },
  body: text,
});

/** How well a rule's match fits a request (higher first), or undefined when it does not match. */
function matchScore(
  match: any,
  req: { method: string; path: string; headers: Record<string, string> },
): number[] | undefined {
  const [path, search = ''] = req.path.split('?');
  const type = match?.path?.type ?? 'PathPrefix';
  const value: string = match?.path?.value ?? '/';
  if (type === 'Exact' && path !== value) return undefined;
  if (type === 'PathPrefix') {
    const prefix = value.replace(/\/+$/, '');
    // element-wise: /v1 matches /v1 and /v1/models, never /v1beta
    if (prefix && path !== prefix && !path.startsWith(`${prefix}/`))
      return undefined;
  }
  if (type === 'RegularExpression' && !new RegExp(`^(?:${value})$`).test(path))
    return undefined;
  if (match?.method && match.method !== req.method) return undefined;
  for (const h of match?.headers ?? []) {
    const got = req.headers[String(h.name).toLowerCase()];
    if (got === undefined) return undefined;
    if (
      (h.type ?? 'Exact') === 'Exact'
        ? got !== h.value
        : !new RegExp(h.value).test(got)
    )
      return undefined;
  }
  const query = new URLSearchParams(search);
  for (const q of match?.queryParams ?? []) {
    const got = query.get(q.name);
    if (got === null) return undefined;
    if (
      (q.type ?? 'Exact') === 'Exact'
        ? got !== q.value
        : !new RegExp(q.value).test(got)
    )
      return undefined;
  }
  // the spec's precedence: Exact path, longest prefix, method, most header matches, most query matches
  return [
    type === 'Exact' ? 1 : 0,
    value.length,
    match?.method ? 1 : 0,
    (match?.headers ?? []).length,
    (match?.queryParams ?? []).length,
  ];
}

/** How specifically a route's hostnames match the host (exact before wildcard before none), or undefined. */
function hostScore(hostnames: string[], host: string): number | undefined {
  if (hostnames.length === 0) return 0;
  let best: number | undefined;
  for (const h of hostnames)
    if (hostMatches(h, host)) {
      const s = h.startsWith('*.') ? 1 + h.length : 100_000 + h.length;
      best = Math.max(best ?? 0, s);
    }
  return best;
}

const compare = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i] - a[i];
  return 0;
};

/** The pods a selector picks in the backend's namespace (none for an empty selector), Ready or not. */
function selected(
  ctx: SimContext,
  namespace: string,
  selector: Record<string, string>,
): KObject[] {
  if (Object.keys(selector).length === 0) return [];
  return ctx.api
    .scan(ctx.podsT, namespace)
    .filter(
      p =>
        !p.metadata.deletionTimestamp &&
        Object.entries(selector).every(
          ([k, v]) => p.metadata.labels?.[k] === v,
        ),
    );
}

const servable = (p: KObject) => isReady(p) && Boolean(p.status?.podIP);

/** The endpoint picker's core: the endpoint with the fewest waiting + running requests, ties at random. */
function leastLoaded(ctx: SimContext, pods: KObject[]): KObject {
  const load = (p: KObject) => {
    const s = ctx.engines.get(p.metadata.uid)?.state;
    return s ? s.waiting + s.running : 0;
  };
  const least = Math.min(...pods.map(load));
  const best = pods.filter(p => load(p) === least);
  return best[Math.floor(Math.random() * best.length)];
}

/** An endpoint of a backend, or why there is none. */
function pickEndpoint(
  ctx: SimContext,
  b: BackendRef,
  object: KObject,
): { pod: KObject; port: number } | ProxyResponse {
  if (isPoolRef(b)) {
    const port = object.spec?.targetPorts?.[0]?.number;
    const pods = selected(
      ctx,
      b.namespace,
      object.spec?.selector?.matchLabels ?? {},
    ).filter(servable);
    if (pods.length === 0 || !port)
      return answer(
        503,
        `no healthy upstream: InferencePool ${b.name} has no Ready endpoint`,
      );
    return { pod: leastLoaded(ctx, pods), port };
  }
  const svcPort =
    (object.spec?.ports ?? []).find(
      (p: any) => b.port === undefined || p.port === b.port,
    ) ?? undefined;
  if (!svcPort)
    return answer(500, `backendRef Service ${b.name} has no port ${b.port}`);
  const pods = selected(ctx, b.namespace, object.spec?.selector ?? {}).filter(
    servable,
  );
  if (pods.length === 0)
    return answer(
      503,
      `no healthy upstream: Service ${b.name} has no Ready endpoint`,
    );
  const pod = pods[Math.floor(Math.random() * pods.length)];
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return { pod, port: target };
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.name === target) return { pod, port: p.containerPort };
  return answer(
    503,
    `no healthy upstream: no port named ${target} on ${pod.metadata.name}`,
  );
}

/** A P/D pool's choice for one request: the decoder (destination) and the prefiller (none: decode-only). */
export interface PdPick {
  decoder: KObject;
  prefiller?: KObject;
  port: number;
}

/**
 * llm-d's P/D scheduling over a pool whose pods include prefillers and decoders (by `fusioninfer.io/component-type`,
 * as the EPP's by-label filters select them): the least loaded Ready decoder leader is the destination, the least
 * loaded Ready prefiller leader the prefill peer; without a Ready prefiller the decoder serves alone, as llm-d falls
 * back to decode-only. A decoder labelled `fusioninfer.io/revision` pairs only with prefillers of the same revision,
 * as an endpoint picker that pairs by that label would (llm-d's selects prefill and decode by role only). Undefined for any other pool (routed by pickEndpoint as before).
 */
function pickPdPair(
  ctx: SimContext,
  b: BackendRef,
  pool: KObject,
): PdPick | ProxyResponse | undefined {
  const leaders = selected(
    ctx,
    b.namespace,
    pool.spec?.selector?.matchLabels ?? {},
  ).filter(p => (p.metadata.labels?.[LWS.worker] ?? '0') === '0');
  const ofType = (type: string) =>
    leaders.filter(p => p.metadata.labels?.[COMPONENT_TYPE] === type);
  // Whether the pool is P/D is decided by the pods it has, Ready or not: a prefiller that is still loading (or
  // failing) makes requests decode-only, not routed to whichever pod is least loaded.
  const prefillers = ofType('prefiller');
  const decoders = ofType('decoder');
  if (prefillers.length === 0 || decoders.length === 0) return undefined;
  const port = pool.spec?.targetPorts?.[0]?.number;
  const readyDecoders = decoders.filter(servable);
  if (readyDecoders.length === 0 || !port)
    return answer(
      503,
      `no healthy upstream: InferencePool ${b.name} has no Ready decoder endpoint`,
    );
  const decoder = leastLoaded(ctx, readyDecoders);
  // Pods labelled with their revision (services with a rollout policy) pair within it: an old prefill never hands
  // its KV cache to a new decode, nor a new prefill to an old one; a decode without a Ready peer serves alone.
  const revision = decoder.metadata.labels?.[REVISION];
  const readyPrefillers = prefillers.filter(
    p =>
      servable(p) &&
      (revision === undefined || p.metadata.labels?.[REVISION] === revision),
  );
  return {
    decoder,
    ...(readyPrefillers.length > 0
      ? { prefiller: leastLoaded(ctx, readyPrefillers) }
      : {}),
    port,
  };
}

const firstImage = (pod: KObject): string =>
  pod.spec?.containers?.[0]?.image ?? 'unknown';

/** The OpenAI routes llm-d's routing sidecar runs the P/D protocol on; anything else it passes to its own vLLM. */
const PD_PATHS = ['/v1/completions', '/v1/chat/completions'];

/**
 * Serves a request on a P/D pair, as the decoder pod's routing sidecar does with the EPP's `x-prefiller-host-port`:
 * the prompt goes to the prefiller first as a completion of at most one token (so the prefiller's engine computes it:
 * its TTFT, metrics and prefix cache move), then the request to the decoder's own server. A prefill that fails is
 * the answer, as the sidecar returns it. The simulated decoder computes the prompt again (it has no transferred KV
 * cache), so its TTFT is not shortened. Exported for its tests.
 */
export async function servePd(
  pick: PdPick,
  req: Parameters<PodHttpHandler>[0],
  resolvePod: PodHttpResolver,
): Promise<ProxyResponse> {
  const { decoder, port } = pick;
  const decoderHandler = resolvePod(decoder, port);
  const decoderAt = `${decoder.status?.podIP}:${port}`;
  if (!decoderHandler)
    return answer(
      503,
      `upstream connect error: ${decoderAt} refused the connection`,
    );
  let prefiller = pick.prefiller;
  let prefillBody: Buffer | undefined;
  if (
    prefiller &&
    req.method === 'POST' &&
    PD_PATHS.includes(req.path.split('?')[0])
  ) {
    try {
      const body = JSON.parse(req.body.toString('utf8') || '{}');
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        // what the sidecar sends the prefiller: one token, not streamed
        const prefill: Record<string, unknown> = {
          ...body,
          max_tokens: 1,
          stream: false,
        };
        if (body.max_completion_tokens !== undefined)
          prefill.max_completion_tokens = 1;
        delete prefill.stream_options;
        prefillBody = Buffer.from(JSON.stringify(prefill));
      }
    } catch {
      // not JSON: the decoder's server answers it (400) without a prefill
    }
  }
  // the sidecar prefills only completions; anything else (/v1/models, a body it cannot read) the decoder serves alone
  if (!prefillBody) prefiller = undefined;
  const pairHeaders = {
    [DEV_GATEWAY.destinationHeader]: decoderAt,
    [DEV_GATEWAY.prefillerHeader]: prefiller?.metadata.name ?? 'none',
    [DEV_GATEWAY.decoderHeader]: decoder.metadata.name,
    [DEV_GATEWAY.pairHeader]: `${prefiller ? firstImage(prefiller) : 'none'}->${firstImage(decoder)}`,
  };
  let forwarded = req;
  if (prefiller && prefillBody) {
    const prefillerAt = `${prefiller.status?.podIP}:${port}`;
    const prefillHandler = resolvePod(prefiller, port);
    if (!prefillHandler)
      return answer(
        503,
        `upstream connect error: prefiller ${prefillerAt} refused the connection`,
        pairHeaders,
      );
    const { 'content-length': _length, ...headers } = req.headers;
    const pre = await prefillHandler({ ...req, headers, body: prefillBody });
    if (pre.status < 200 || pre.status >= 300)
      return { ...pre, headers: { ...pre.headers, ...pairHeaders } };
    forwarded = {
      ...req,
      headers: {
        ...req.headers,
        [DEV_GATEWAY.prefillerHostPortHeader]: prefillerAt,
      },
    };
  }
  const out = await decoderHandler(forwarded);
  return { ...out, headers: { ...out.headers, ...pairHeaders } };
}

/**
 * The data plane: requests to the proxy of a `fusioninfer-dev` Gateway's Service are routed by the routes attached
 * to it. Any other Service is left to the ordinary service proxy.
 */
export function gatewayServiceResolver(ctx: SimContext): ServiceHttpResolver {
  return (svc, portPart, resolvePod) => {
    const t = gatewayTypes(ctx);
    const gwName = svc.metadata.labels?.[DEV_GATEWAY.nameLabel];
    if (!t || !gwName) return undefined;
    const gw = ctx.api.tryGet(t.gateways, svc.metadata.namespace, gwName);
    if (
      !gw ||
      !isOurs(ctx, t, gw) ||
      !svc.metadata.ownerReferences?.some((o: any) => o.uid === gw.metadata.uid)
    )
      return undefined;
    const svcPort =
      (svc.spec?.ports ?? []).find(
        (p: any) =>
          !portPart || String(p.port) === portPart || p.name === portPart,
      ) ?? svc.spec?.ports?.[0];
    return req => serveRequest(ctx, t, gw, svcPort?.port, req, resolvePod);
  };
}

async function serveRequest(
  ctx: SimContext,
  t: GatewayTypes,
  gw: KObject,
  port: number | undefined,
  req: Parameters<PodHttpHandler>[0],
  resolvePod: PodHttpResolver,
): Promise<ProxyResponse> {
  const host = (req.headers.host ?? '')
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  let best:
    | {
        score: number[];
        key: string;
        route: KObject;
        rule: any;
        firstOnly: boolean;
      }
    | undefined;
  for (const r of ctx.api.scan(t.routes)) {
    const parent = parentsOf(ctx, t, r).find(
      p =>
        p.gateway.metadata.uid === gw.metadata.uid &&
        (p.accepted.status === 'True' || p.firstBackendOnly) &&
        p.listeners.some(l => port === undefined || l.port === port),
    );
    if (!parent) continue;
    const listenerHosts = parent.listeners
      .filter(l => port === undefined || l.port === port)
      .map(l => l.hostname)
      .filter(Boolean);
    const own: string[] = r.spec?.hostnames ?? [];
    const hs = hostScore(own.length > 0 ? own : listenerHosts, host);
    if (hs === undefined) continue;
    const rules: any[] = r.spec?.rules ?? [];
    const created = Date.parse(r.metadata.creationTimestamp ?? '') || 0;
    const key = `${r.metadata.namespace}/${r.metadata.name}`;
    for (let ri = 0; ri < rules.length; ri++) {
      const matches: any[] = rules[ri].matches?.length
        ? rules[ri].matches
        : [{}];
      for (let mi = 0; mi < matches.length; mi++) {
        const ms = matchScore(matches[mi], req);
        if (!ms) continue;
        // ties: the oldest route, then {namespace}/{name} alphabetically, then rule and match order
        const score = [hs, ...ms, -created];
        const order = compare(score, best?.score ?? []);
        if (!best || order < 0 || (order === 0 && key < best.key))
          best = {
            score,
            key,
            route: r,
            rule: rules[ri],
            firstOnly: parent.firstBackendOnly,
          };
      }
    }
  }
  if (!best) return answer(404, 'no route matches this request');
  let refs = backendRefs(best.route, best.rule);
  if (best.firstOnly) refs = refs.slice(0, 1);
  const total = refs.reduce((s, b) => s + Math.max(0, b.weight), 0);
  // the spec: a rule without backends, or whose backends all weigh 0, answers 500
  if (total <= 0)
    return answer(500, 'no backend: every backendRef has weight 0');
  let x = Math.random() * total;
  let chosen = refs.find(b => b.weight > 0)!;
  for (const b of refs) {
    if (b.weight <= 0) continue;
    x -= b.weight;
    if (x < 0) {
      chosen = b;
      break;
    }
  }
  const tag = { [DEV_GATEWAY.backendHeader]: `${chosen.kind}/${chosen.name}` };
  const resolved = resolveRef(ctx, t, best.route, chosen);
  // the spec: the share of requests for an invalid backendRef answers 500
  if ('reason' in resolved) return answer(500, resolved.message, tag);
  const pd = isPoolRef(chosen)
    ? pickPdPair(ctx, chosen, resolved.object)
    : undefined;
  if (pd) {
    const out = 'status' in pd ? pd : await servePd(pd, req, resolvePod);
    return { ...out, headers: { ...out.headers, ...tag } };
  }
  const ep = pickEndpoint(ctx, chosen, resolved.object);
  if ('status' in ep) return { ...ep, headers: { ...ep.headers, ...tag } };
  const handler = resolvePod(ep.pod, ep.port);
  if (!handler)
    return answer(
      503,
      `upstream connect error: ${ep.pod.status?.podIP}:${ep.port} refused the connection`,
      tag,
    );
  const out = await handler(req);
  return {
    ...out,
    headers: {
      ...out.headers,
      [DEV_GATEWAY.destinationHeader]: `${ep.pod.status?.podIP}:${ep.port}`,
      ...tag,
    },
  };
}
