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
  ANNOTATIONS,
  DEFAULT_EPP_IMAGE,
  DEFAULT_KV_CACHE_METRIC,
  DEFAULT_PD_EPP_IMAGE,
  EPP_PORTS,
  INFERENCE_TARGET_PORT,
  LABELS,
} from '../constants';
import {
  effectiveStrategy,
  generateEndpointPickerConfig,
  LLM_D_ONLY_PLUGIN_TYPES,
  parseEndpointPickerConfig,
} from '../eppConfig';
import { specHash } from '../hash';
import { childNames } from '../names';
import {
  ConfigMap,
  Deployment,
  HTTPRoute,
  InferencePool,
  KubeObject,
  RbacRole,
  RoleBinding,
  RoutingStrategy,
  Service,
  ServiceAccount,
} from '../types';
import { cloneJson, isObject, NormalizedRole, RenderContext } from './context';

/** What the router of a service resolves to. @public */
export interface RouterPlan {
  roleName: string;
  /** The strategy applied, or `custom` when an endpointPickerConfig is given. */
  strategy: RoutingStrategy | 'custom';
  config: string;
  image: string;
  /** True when the config needs llm-d plugins (and therefore the P/D image). */
  needsLlmD: boolean;
}

/** Resolves config and image of a router role. */
export function planRouter(
  ctx: RenderContext,
  role: NormalizedRole,
): RouterPlan {
  let config: string;
  let strategy: RouterPlan['strategy'];
  let needsLlmD: boolean;
  if (role.endpointPickerConfig.length > 0) {
    config = role.endpointPickerConfig;
    strategy = 'custom';
    const types = parseEndpointPickerConfig(config).pluginTypes;
    needsLlmD = types.some(t => LLM_D_ONLY_PLUGIN_TYPES.includes(t));
  } else {
    strategy = effectiveStrategy(role.strategy, ctx.pdDisaggregated);
    config = generateEndpointPickerConfig(role.strategy, ctx.pdDisaggregated);
    needsLlmD = strategy === 'pd-disaggregation';
  }
  const image = needsLlmD
    ? ctx.options.pdEppImage || DEFAULT_PD_EPP_IMAGE
    : ctx.options.eppImage || DEFAULT_EPP_IMAGE;
  return { roleName: role.name, strategy, config, image, needsLlmD };
}

function meta(
  ctx: RenderContext,
  name: string,
  labels: Record<string, string>,
) {
  return {
    name,
    namespace: ctx.namespace,
    labels,
    ...(ctx.ownerReferences
      ? { ownerReferences: cloneJson(ctx.ownerReferences) }
      : {}),
  };
}

const READ = ['get', 'list', 'watch'];

/** Every router child of a service, in reconcile order (spec §2.2 step 5). */
export function renderRouter(
  ctx: RenderContext,
  role: NormalizedRole,
  plan: RouterPlan = planRouter(ctx, role),
): KubeObject[] {
  const { svc, namespace } = ctx;
  const epp = childNames.epp(svc);
  const svcLabel = { [LABELS.service]: svc };

  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(ctx, epp, { ...svcLabel, [LABELS.specHash]: 'static' }),
  };

  const rules = [
    { apiGroups: [''], resources: ['pods'], verbs: [...READ] },
    {
      apiGroups: ['inference.networking.k8s.io'],
      resources: ['inferencepools'],
      verbs: [...READ],
    },
    {
      apiGroups: ['inference.networking.x-k8s.io'],
      resources: ['inferenceobjectives', 'inferencemodelrewrites'],
      verbs: [...READ],
    },
    // The EPP's leader election (controller-runtime, lease lock) creates its Lease and then gets and updates only
    // that one (GIE names it epp-<namespace>-<pool>.gateway-api-inference-extension.sigs.k8s.io). RBAC cannot restrict
    // create by name; every other verb is limited to that name, so no other Lease of the namespace can be written.
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['create'],
    },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [
        `epp-${namespace}-${childNames.pool(svc)}.gateway-api-inference-extension.sigs.k8s.io`,
      ],
      verbs: ['get', 'update', 'patch'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
  const rbacRole: RbacRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(ctx, epp, {
      ...svcLabel,
      [LABELS.specHash]: specHash(rules),
    }),
    rules,
  };

  const roleRef = {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: epp,
  };
  const subjects = [{ kind: 'ServiceAccount', name: epp, namespace }];
  const roleBinding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(ctx, epp, {
      ...svcLabel,
      [LABELS.specHash]: specHash({ roleRef, subjects }),
    }),
    roleRef,
    subjects,
  };

  const data = { 'config.yaml': plan.config };
  const configHash = specHash(data);
  const configMap: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(ctx, childNames.eppConfig(svc), {
      ...svcLabel,
      [LABELS.specHash]: configHash,
    }),
    data,
  };

  const podLabels = { app: epp, [LABELS.service]: svc };
  const args = [
    `--pool-name=${childNames.pool(svc)}`,
    `--pool-namespace=${namespace}`,
    '--config-file=/config/config.yaml',
  ];
  const kvMetric =
    ctx.options.kvCacheMetric === undefined
      ? DEFAULT_KV_CACHE_METRIC
      : ctx.options.kvCacheMetric;
  if (kvMetric) args.push(`--kv-cache-usage-percentage-metric=${kvMetric}`);
  if (ctx.options.eppMetricsAuth === false)
    args.push('--metrics-endpoint-auth=false');
  const grpcProbe = {
    grpc: { port: EPP_PORTS.grpcHealth, service: 'inference-extension' },
  };
  const deploymentSpec: Deployment['spec'] = {
    replicas: 1,
    selector: { matchLabels: { ...podLabels } },
    strategy: { type: 'Recreate' },
    template: {
      metadata: {
        labels: { ...podLabels },
        // A config change changes this annotation, so the EPP restarts and loads it (upstream gap 20).
        annotations: { [ANNOTATIONS.eppConfigChecksum]: configHash },
      },
      spec: {
        serviceAccountName: epp,
        containers: [
          {
            name: 'epp',
            image: plan.image,
            args,
            ports: [
              { name: 'grpc', containerPort: EPP_PORTS.grpc, protocol: 'TCP' },
              {
                name: 'grpc-health',
                containerPort: EPP_PORTS.grpcHealth,
                protocol: 'TCP',
              },
              {
                name: 'metrics',
                containerPort: EPP_PORTS.metrics,
                protocol: 'TCP',
              },
            ],
            livenessProbe: {
              ...grpcProbe,
              initialDelaySeconds: 5,
              periodSeconds: 10,
            },
            readinessProbe: { ...grpcProbe, periodSeconds: 2 },
            env: [
              {
                name: 'NAMESPACE',
                valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
              },
              {
                name: 'POD_NAME',
                valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
              },
            ],
            volumeMounts: [
              { name: 'plugins-config-volume', mountPath: '/config' },
            ],
          },
        ],
        volumes: [
          {
            name: 'plugins-config-volume',
            configMap: { name: childNames.eppConfig(svc) },
          },
        ],
      },
    },
  };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(ctx, epp, {
      ...podLabels,
      [LABELS.specHash]: specHash(deploymentSpec),
    }),
    spec: deploymentSpec,
  };

  const serviceSpec: Service['spec'] = {
    type: 'ClusterIP',
    selector: { app: epp },
    ports: [
      {
        name: 'grpc-ext-proc',
        port: EPP_PORTS.grpc,
        targetPort: EPP_PORTS.grpc,
        protocol: 'TCP',
      },
      {
        name: 'grpc-health',
        port: EPP_PORTS.grpcHealth,
        targetPort: EPP_PORTS.grpcHealth,
        protocol: 'TCP',
      },
      {
        name: 'http-metrics',
        port: EPP_PORTS.metrics,
        targetPort: EPP_PORTS.metrics,
        protocol: 'TCP',
      },
    ],
  };
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ctx, epp, {
      ...svcLabel,
      [LABELS.specHash]: specHash(serviceSpec),
    }),
    spec: serviceSpec,
  };

  const matchLabels: Record<string, string> = { [LABELS.service]: svc };
  if (ctx.workloadRoles.length === 1 && ctx.workloadRoles[0].componentType) {
    matchLabels[LABELS.componentType] = ctx.workloadRoles[0].componentType;
  }
  matchLabels[LABELS.lwsWorkerIndex] = '0';
  const poolSpec: InferencePool['spec'] = {
    selector: { matchLabels },
    targetPorts: [{ number: INFERENCE_TARGET_PORT }],
    endpointPickerRef: { name: epp, port: { number: EPP_PORTS.grpc } },
  };
  const pool: InferencePool = {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: meta(ctx, childNames.pool(svc), {
      ...svcLabel,
      [LABELS.specHash]: specHash(poolSpec),
    }),
    spec: poolSpec,
  };

  const routeSpec: HTTPRoute['spec'] = {
    ...decodeHttpRouteSpec(role.httproute),
    rules: [
      {
        backendRefs: [
          {
            group: 'inference.networking.k8s.io',
            kind: 'InferencePool',
            name: childNames.pool(svc),
          },
        ],
      },
    ],
  };
  const route: HTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: meta(ctx, childNames.route(svc), {
      ...svcLabel,
      [LABELS.specHash]: specHash(routeSpec),
    }),
    spec: routeSpec,
  };

  return [
    serviceAccount,
    rbacRole,
    roleBinding,
    configMap,
    deployment,
    service,
    pool,
    route,
  ];
}

const PARENT_REF_KEYS = [
  'group',
  'kind',
  'namespace',
  'name',
  'sectionName',
  'port',
] as const;

/**
 * Decodes a role's `httproute` as a Gateway API HTTPRouteSpec, keeping the fields that type has (parentRefs,
 * hostnames); anything that does not decode yields an empty spec, as upstream. `rules` is always replaced.
 * @public
 */
export function decodeHttpRouteSpec(raw: unknown): {
  parentRefs?: Array<Record<string, unknown>>;
  hostnames?: string[];
} {
  if (!isObject(raw)) return {};
  const out: {
    parentRefs?: Array<Record<string, unknown>>;
    hostnames?: string[];
  } = {};
  if (raw.parentRefs !== undefined && raw.parentRefs !== null) {
    if (!Array.isArray(raw.parentRefs) || !raw.parentRefs.every(isObject))
      return {};
    const refs: Array<Record<string, unknown>> = [];
    for (const ref of raw.parentRefs as Array<Record<string, unknown>>) {
      const r: Record<string, unknown> = {};
      for (const k of PARENT_REF_KEYS) {
        const v = ref[k];
        if (v === undefined || v === null) continue;
        if (
          k === 'port'
            ? typeof v !== 'number' || !Number.isInteger(v)
            : typeof v !== 'string'
        )
          return {};
        r[k] = v;
      }
      refs.push(r);
    }
    if (refs.length > 0) out.parentRefs = refs;
  }
  if (raw.hostnames !== undefined && raw.hostnames !== null) {
    if (
      !Array.isArray(raw.hostnames) ||
      !raw.hostnames.every(h => typeof h === 'string')
    )
      return {};
    if (raw.hostnames.length > 0)
      out.hostnames = [...(raw.hostnames as string[])];
  }
  return out;
}
