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
 * Kubernetes' defaulting of built-in kinds, as kube-apiserver applies it to every object it decodes (create, update,
 * patch and apply): the SetDefaults_* functions of k8s.io/kubernetes/pkg/apis/{core,apps,batch}/v1 for the kinds the
 * development cluster serves. Only fields that are absent (or Go's zero value) are filled in; nothing is overwritten.
 * Allocation (a Service's cluster IP and node ports) is the API layer's, since it needs the stored Services.
 */

import { KObject } from './api';
import { ResourceType } from './resources';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const each = (list: unknown, f: (item: Obj) => void) => {
  if (Array.isArray(list)) for (const item of list) if (isObj(item)) f(item);
};
/** An absent field, or Go's zero value of a string / number field (what `== ""` / `== 0` tests in Go). */
const unset = (v: unknown) =>
  v === undefined || v === null || v === '' || v === 0;

/**
 * The pull policy of an image without one: Always for the `latest` tag (or no tag and no digest), else
 * IfNotPresent (parsers.ParseImageName: a tag follows the last ':' after the last '/'; a digest follows '@').
 */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  const ref = typeof image === 'string' ? image.trim() : '';
  if (!ref) return 'IfNotPresent'; // unparsable: no tag
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  if (tag === 'latest' || (!tag && at < 0)) return 'Always';
  return 'IfNotPresent';
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  if (unset(p.timeoutSeconds)) p.timeoutSeconds = 1;
  if (unset(p.periodSeconds)) p.periodSeconds = 10;
  if (unset(p.successThreshold)) p.successThreshold = 1;
  if (unset(p.failureThreshold)) p.failureThreshold = 3;
  defaultHttpGet(p.httpGet);
}

function defaultHttpGet(h: unknown): void {
  if (!isObj(h)) return;
  if (unset(h.path)) h.path = '/';
  if (unset(h.scheme)) h.scheme = 'HTTP';
}

function defaultContainer(c: Obj): void {
  if (unset(c.imagePullPolicy)) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (unset(c.terminationMessagePath))
    c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  // a Go struct without omitempty effect: always serialized
  if (!isObj(c.resources)) c.resources = {};
  each(c.ports, p => {
    if (unset(p.protocol)) p.protocol = 'TCP';
  });
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe])
    defaultProbe(probe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop])
    if (isObj(handler)) defaultHttpGet(handler.httpGet);
  each(c.env, e => {
    const ref = e.valueFrom?.fieldRef;
    if (isObj(ref) && unset(ref.apiVersion)) ref.apiVersion = 'v1';
  });
}

const VOLUME_SOURCES_WITH_MODE = [
  'configMap',
  'secret',
  'projected',
  'downwardAPI',
];

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter(k => k !== 'name');
  if (sources.every(k => v[k] === undefined || v[k] === null)) v.emptyDir = {};
  for (const k of VOLUME_SOURCES_WITH_MODE) {
    const src = v[k];
    if (
      isObj(src) &&
      (src.defaultMode === undefined || src.defaultMode === null)
    )
      src.defaultMode = 420; // 0644
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  each(v.downwardAPI?.items, i => {
    if (isObj(i.fieldRef) && unset(i.fieldRef.apiVersion))
      i.fieldRef.apiVersion = 'v1';
  });
  each(v.projected?.sources, s => {
    const token = s.serviceAccountToken;
    if (isObj(token) && token.expirationSeconds === undefined)
      token.expirationSeconds = 3600;
  });
}

/** SetDefaults_PodSpec and what it reaches (containers, ports, probes, volumes): Pods and pod templates. */
export function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (
    spec.terminationGracePeriodSeconds === undefined ||
    spec.terminationGracePeriodSeconds === null
  )
    spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  each(spec.containers, defaultContainer);
  each(spec.initContainers, defaultContainer);
  each(spec.ephemeralContainers, defaultContainer);
  each(spec.volumes, defaultVolume);
}

/** SetDefaults_Pod: what only Pods get (not pod templates): requests from limits, service links, host ports. */
function defaultPod(pod: KObject): void {
  const spec = pod.spec;
  if (!isObj(spec)) return;
  defaultPodSpec(spec);
  const requestsFromLimits = (c: Obj) => {
    const r = isObj(c.resources) ? c.resources : undefined;
    if (!r || !isObj(r.limits)) return;
    const requests = isObj(r.requests) ? r.requests : {};
    for (const [k, v] of Object.entries(r.limits))
      if (!(k in requests)) requests[k] = v;
    r.requests = requests;
  };
  each(spec.containers, requestsFromLimits);
  each(spec.initContainers, requestsFromLimits);
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null)
    spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    const hostPorts = (c: Obj) =>
      each(c.ports, p => {
        if (unset(p.hostPort)) p.hostPort = p.containerPort;
      });
    each(spec.containers, hostPorts);
    each(spec.initContainers, hostPorts);
  }
}

function defaultService(svc: KObject): void {
  const spec = svc.spec;
  if (!isObj(spec)) return;
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === 'ClientIP' &&
    !Number.isFinite(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds)
  )
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  if (unset(spec.type)) spec.type = 'ClusterIP';
  each(spec.ports, p => {
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (unset(p.targetPort)) p.targetPort = p.port;
  });
  const external =
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external && unset(spec.externalTrafficPolicy))
    spec.externalTrafficPolicy = 'Cluster';
  if (
    ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type) &&
    unset(spec.internalTrafficPolicy)
  )
    spec.internalTrafficPolicy = 'Cluster';
  if (
    spec.type === 'LoadBalancer' &&
    (spec.allocateLoadBalancerNodePorts === undefined ||
      spec.allocateLoadBalancerNodePorts === null)
  )
    spec.allocateLoadBalancerNodePorts = true;
}

/** A pod template's spec (workloads), when there is one. */
const templateSpec = (o: KObject) => o.spec?.template?.spec;

function defaultDeployment(dep: KObject): void {
  const spec = dep.spec;
  if (!isObj(spec)) return;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = isObj(spec.strategy) ? spec.strategy : {};
  if (unset(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = isObj(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null)
      ru.maxUnavailable = '25%';
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
    strategy.rollingUpdate = ru;
  }
  spec.strategy = strategy;
  if (
    spec.revisionHistoryLimit === undefined ||
    spec.revisionHistoryLimit === null
  )
    spec.revisionHistoryLimit = 10;
  if (
    spec.progressDeadlineSeconds === undefined ||
    spec.progressDeadlineSeconds === null
  )
    spec.progressDeadlineSeconds = 600;
  defaultPodSpec(templateSpec(dep));
}

function defaultReplicaSet(rs: KObject): void {
  if (
    isObj(rs.spec) &&
    (rs.spec.replicas === undefined || rs.spec.replicas === null)
  )
    rs.spec.replicas = 1;
  defaultPodSpec(templateSpec(rs));
}

function defaultStatefulSet(sts: KObject): void {
  const spec = sts.spec;
  if (!isObj(spec)) return;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (unset(spec.podManagementPolicy))
    spec.podManagementPolicy = 'OrderedReady';
  const strategy = isObj(spec.updateStrategy) ? spec.updateStrategy : {};
  if (unset(strategy.type)) {
    strategy.type = 'RollingUpdate';
    if (!isObj(strategy.rollingUpdate))
      strategy.rollingUpdate = { partition: 0 };
  }
  if (
    strategy.type === 'RollingUpdate' &&
    isObj(strategy.rollingUpdate) &&
    strategy.rollingUpdate.partition === undefined
  )
    strategy.rollingUpdate.partition = 0;
  spec.updateStrategy = strategy;
  if (
    spec.revisionHistoryLimit === undefined ||
    spec.revisionHistoryLimit === null
  )
    spec.revisionHistoryLimit = 10;
  const retention = isObj(spec.persistentVolumeClaimRetentionPolicy)
    ? spec.persistentVolumeClaimRetentionPolicy
    : {};
  if (unset(retention.whenDeleted)) retention.whenDeleted = 'Retain';
  if (unset(retention.whenScaled)) retention.whenScaled = 'Retain';
  spec.persistentVolumeClaimRetentionPolicy = retention;
  defaultPodSpec(templateSpec(sts));
}

function defaultJob(job: KObject): void {
  const spec = job.spec;
  if (!isObj(spec)) return;
  const none = (v: unknown) => v === undefined || v === null;
  if (none(spec.completions) && none(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (none(spec.parallelism)) spec.parallelism = 1;
  if (none(spec.backoffLimit))
    spec.backoffLimit = none(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  if (none(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (none(spec.suspend)) spec.suspend = false;
  if (none(spec.podReplacementPolicy))
    spec.podReplacementPolicy = none(spec.podFailurePolicy)
      ? 'TerminatingOrFailed'
      : 'Failed';
  each(spec.podFailurePolicy?.rules, r =>
    each(r.onPodConditions, pc => {
      if (unset(pc.status)) pc.status = 'True';
    }),
  );
  defaultPodSpec(templateSpec(job));
}

/**
 * Applies Kubernetes' defaults to a built-in object in place (what kube-apiserver does to every object it decodes)
 * and returns it. Objects of other kinds are returned unchanged.
 */
export function applyBuiltinDefaults(t: ResourceType, obj: KObject): KObject {
  if (!t.builtin) return obj;
  switch (`${t.group}/${t.plural}`) {
    case '/secrets':
      if (unset(obj.type)) obj.type = 'Opaque';
      break;
    case '/services':
      defaultService(obj);
      break;
    case '/pods':
      defaultPod(obj);
      break;
    case '/namespaces':
      if (obj.metadata?.name)
        obj.metadata.labels = {
          ...(isObj(obj.metadata.labels) ? obj.metadata.labels : {}),
          'kubernetes.io/metadata.name': obj.metadata.name,
        };
      break;
    case 'apps/deployments':
      defaultDeployment(obj);
      break;
    case 'apps/replicasets':
      defaultReplicaSet(obj);
      break;
    case 'apps/statefulsets':
      defaultStatefulSet(obj);
      break;
    case 'batch/jobs':
      defaultJob(obj);
      break;
    default:
      break;
  }
  return obj;
}
