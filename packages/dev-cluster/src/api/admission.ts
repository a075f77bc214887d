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
 * What the API server checks and fills in on the way to storage, free of storage: names, the structural-schema
 * pipeline of custom resources, the defaults and allocations of built-in kinds, the built-in validations this
 * server models, the initial status and Job selector of a create, and what counts as a spec change.
 */

import {
  dns1035LabelProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  applyDefaults,
  parseCrd,
  pruneStructural,
  validateStructural,
} from '@fusioninfer/plugin-fusioninfer-common/schema';
import { validateCel } from '../cel';
import { applyBuiltinDefaults } from '../defaults';
import { ApiError, errors } from '../errors';
import { ResourceType } from '../resources';
import { clone, isObj, KObject, stable, WriteOptions } from './types';

/**
 * Whether objects of a kind carry metadata.generation on a real API server of the version this one reports (1.33, KUBERNETES_VERSION):
 * custom resources, CRDs, workloads and Pods do; ConfigMaps, Secrets, Services, Namespaces, Nodes, RBAC objects,
 * Events and Leases do not.
 */
const GENERATION_BUILTINS = new Set([
  'customresourcedefinitions',
  'deployments',
  'replicasets',
  'statefulsets',
  'jobs',
  'pods',
]);
export const hasGeneration = (t: ResourceType) =>
  !t.builtin || GENERATION_BUILTINS.has(t.plural);

function checkName(t: ResourceType, name: string): string[] {
  if (
    t.plural === 'namespaces' ||
    t.plural === 'serviceaccounts' ||
    t.plural === 'nodes'
  )
    return t.plural === 'nodes'
      ? dns1123SubdomainProblems(name)
      : dns1123LabelProblems(name);
  if (t.plural === 'services') return dns1035LabelProblems(name);
  if (t.plural === 'customresourcedefinitions')
    return dns1123SubdomainProblems(name);
  if (
    t.plural === 'events' ||
    t.plural === 'rolebindings' ||
    t.plural === 'roles' ||
    t.plural === 'clusterroles' ||
    t.plural === 'clusterrolebindings'
  ) {
    return name.length > 0 &&
      !/[/%]/.test(name) &&
      name !== '.' &&
      name !== '..'
      ? []
      : ['may not contain "/" or "%"'];
  }
  return dns1123SubdomainProblems(name);
}

/** 422 unless a new object has a name its kind accepts. */
export function requireValidName(
  t: ResourceType,
  name: string | undefined,
): asserts name is string {
  if (!name)
    throw errors.invalid(t.kind, t.group, '', [
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  const nameProblems = checkName(t, name);
  if (nameProblems.length) {
    throw errors.invalid(
      t.kind,
      t.group,
      name,
      nameProblems.map(p => ({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": ${p}`,
      })),
    );
  }
}

/** Validation, pruning and defaulting of custom resources (the API server's structural-schema pipeline). */
export function admitCustom(
  t: ResourceType,
  obj: KObject,
  opts: WriteOptions,
  old?: KObject,
): KObject {
  if (!t.schema) return obj;
  let out = applyDefaults(t.schema, obj);
  const pruned = pruneStructural(t.schema, out);
  if (pruned.pruned.length > 0) {
    if (opts.fieldValidation === 'Strict') {
      throw errors.badRequest(
        `strict decoding error: ${pruned.pruned.map(p => `unknown field "${p}"`).join(', ')}`,
      );
    }
    if (opts.fieldValidation !== 'Ignore')
      opts.warnings?.push(...pruned.pruned.map(p => `unknown field "${p}"`));
  }
  out = pruned.value;
  const issues = validateStructural(t.schema, out);
  if (issues.length === 0) {
    // CRD validation rules run on structurally valid objects, as on a real server.
    const cel = validateCel(t.schema, out, old);
    if (cel.length > 0)
      throw errors.invalid(t.kind, t.group, obj.metadata?.name ?? '', cel);
  }
  if (issues.length > 0) {
    const reasons: Record<string, string> = {
      required: 'FieldValueRequired',
      enum: 'FieldValueNotSupported',
      duplicate: 'FieldValueDuplicate',
    };
    throw errors.invalid(
      t.kind,
      t.group,
      obj.metadata?.name ?? '',
      issues.map(i => ({
        reason: reasons[i.type] ?? 'FieldValueInvalid',
        message: i.message,
        field: i.path,
      })),
    );
  }
  return out;
}

/**
 * Kubernetes' defaults of built-in kinds (../defaults), then what the registry allocates: a Service's cluster IP
 * and node ports, kept from the stored Service when an update does not repeat them (kube-apiserver's
 * patchAllocatedValues). `stored` gives the stored objects of the type, read only for Services.
 */
export function defaultBuiltin(
  t: ResourceType,
  obj: KObject,
  stored: () => Iterable<KObject>,
  old?: KObject,
): KObject {
  if (!t.builtin) return obj;
  applyBuiltinDefaults(t, obj);
  if (t.group === '' && t.plural === 'services')
    allocateService(obj, stored(), old);
  return obj;
}

function allocateService(
  svc: KObject,
  stored: Iterable<KObject>,
  old?: KObject,
): void {
  const spec = svc.spec;
  if (!isObj(spec) || spec.type === 'ExternalName') return;
  const before = isObj(old?.spec) ? old!.spec : undefined;
  if (before && (spec.clusterIP === undefined || spec.clusterIP === '')) {
    if (before.clusterIP) spec.clusterIP = before.clusterIP;
    if (
      !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length) &&
      Array.isArray(before.clusterIPs)
    )
      spec.clusterIPs = clone(before.clusterIPs);
  }
  const others = [...stored].filter(o => o.metadata.uid !== svc.metadata.uid);
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    // the service CIDR 10.96.0.0/12, at random as kube-apiserver's allocator (10.96.0.1 is the kubernetes Service's)
    const used = new Set(others.map(o => o.spec?.clusterIP));
    let ip: string;
    do {
      const n = 2 + Math.floor(Math.random() * ((1 << 20) - 3));
      ip = `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    } while (used.has(ip));
    spec.clusterIP = ip;
  }
  if (!(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length))
    spec.clusterIPs = [spec.clusterIP];
  if (!(Array.isArray(spec.ipFamilies) && spec.ipFamilies.length))
    spec.ipFamilies = ['IPv4'];
  if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
  const nodePorts =
    spec.type === 'NodePort' ||
    (spec.type === 'LoadBalancer' &&
      spec.allocateLoadBalancerNodePorts !== false);
  if (!nodePorts || !Array.isArray(spec.ports)) return;
  const used = new Set<number>();
  for (const o of others)
    for (const p of o.spec?.ports ?? []) if (p?.nodePort) used.add(p.nodePort);
  for (const p of spec.ports) {
    if (!isObj(p) || p.nodePort) continue;
    const kept = (before?.ports ?? []).find(
      (q: any) =>
        q?.nodePort &&
        q.port === p.port &&
        (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
    )?.nodePort;
    let port = kept;
    while (!port || used.has(port))
      port = 30000 + Math.floor(Math.random() * 2768);
    used.add(port);
    p.nodePort = port;
  }
}

/** The validations of built-in kinds this server models: CRD names and specs, Job restart policies, Pod containers. */
export function admitBuiltin(t: ResourceType, obj: KObject): void {
  if (t.plural === 'customresourcedefinitions') {
    try {
      const info = parseCrd(obj);
      if (obj.metadata.name !== `${info.plural}.${info.group}`) {
        throw errors.invalid(
          'CustomResourceDefinition',
          'apiextensions.k8s.io',
          obj.metadata.name,
          [
            {
              reason: 'FieldValueInvalid',
              field: 'metadata.name',
              message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group`,
            },
          ],
        );
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw errors.invalid(
        'CustomResourceDefinition',
        'apiextensions.k8s.io',
        obj.metadata.name,
        [
          {
            reason: 'FieldValueInvalid',
            field: 'spec',
            message: (e as Error).message,
          },
        ],
      );
    }
  }
  if (t.group === 'batch' && t.plural === 'jobs') {
    const policy = obj.spec?.template?.spec?.restartPolicy;
    if (policy !== 'OnFailure' && policy !== 'Never')
      throw errors.invalid('Job', 'batch', obj.metadata.name, [
        {
          reason: 'FieldValueNotSupported',
          field: 'spec.template.spec.restartPolicy',
          message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: "OnFailure", "Never"`,
        },
      ]);
  }
  if (t.plural === 'pods') {
    const containers = obj.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw errors.invalid('Pod', '', obj.metadata.name, [
        {
          reason: 'FieldValueRequired',
          field: 'spec.containers',
          message: 'Required value',
        },
      ]);
    }
  }
}

/** The status a new Namespace or Pod starts with. */
export function withInitialStatus(t: ResourceType, obj: KObject): KObject {
  if (t.plural === 'namespaces') return { ...obj, status: { phase: 'Active' } };
  if (t.plural === 'pods')
    return {
      ...obj,
      status: {
        phase: 'Pending',
        qosClass: 'BestEffort',
        ...(obj.status ?? {}),
      },
    };
  return obj;
}

/** The Job strategy on create: a selector on the job's uid, and its labels on the pod template. */
export function withJobSelector(t: ResourceType, obj: KObject): void {
  if (t.plural !== 'jobs' || !t.builtin || obj.spec?.manualSelector) return;
  const labels = {
    'batch.kubernetes.io/controller-uid': obj.metadata.uid,
    'batch.kubernetes.io/job-name': obj.metadata.name,
    'controller-uid': obj.metadata.uid,
    'job-name': obj.metadata.name,
  };
  const spec = isObj(obj.spec) ? obj.spec : {};
  const template = isObj(spec.template) ? spec.template : {};
  const meta = isObj(template.metadata) ? template.metadata : {};
  obj.spec = {
    ...spec,
    selector: {
      matchLabels: {
        'batch.kubernetes.io/controller-uid': obj.metadata.uid,
      },
    },
    template: {
      ...template,
      metadata: { ...meta, labels: { ...(meta.labels ?? {}), ...labels } },
    },
  };
}

/** Whether an update changes the spec (what bumps metadata.generation). */
export function specChanged(t: ResourceType, a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return t.status ? rest : { ...rest, status: o.status };
  };
  if (t.plural === 'customresourcedefinitions' || !t.status) {
    // Without a status subresource every non-metadata change is a spec change.
    const { metadata: _m, ...rest } = a;
    const { metadata: _n, ...rest2 } = b;
    return stable(rest) !== stable(rest2);
  }
  return stable(strip(a)) !== stable(strip(b));
}
