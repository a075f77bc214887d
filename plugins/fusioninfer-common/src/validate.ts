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
  INFERENCE_SERVICE_API_VERSION,
  INFERENCE_SERVICE_KIND,
  ROUTING_STRATEGIES,
  VOLCANO_SCHEDULER,
} from './constants';
import { inferenceServiceCrd } from './crd/inferenceServiceCrd';
import { parseEndpointPickerConfig } from './eppConfig';
import {
  childNames,
  dns1035LabelProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  MAX_LWS_NAME_LENGTH,
} from './names';
import { InferenceServiceLimits, LIMITS, limitIssues } from './limits';
import { parseQuantity } from './quantity';
import { JSONSchemaProps, pruneStructural, validateStructural } from './schema';

/** One finding of {@link validateInferenceService}. @public */
export interface ValidationIssue {
  /** JSON path of the offending field, e.g. `spec.roles[1].replicas` (empty for the whole document). */
  path: string;
  /** What is wrong and what to do, for a person. */
  message: string;
  severity: 'error' | 'warning';
}

/** Result of {@link validateInferenceService}. @public */
export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/**
 * Replicas above this per role are refused: each replica is its own LeaderWorkerSet. Same as `LIMITS.replicasPerRole`.
 * @public
 */
export const MAX_REPLICAS_PER_ROLE = LIMITS.replicasPerRole;

/** Options of {@link validateInferenceService}. @public */
export interface ValidateOptions {
  /** Overrides of {@link LIMITS} (for example from configuration). */
  limits?: Partial<InferenceServiceLimits>;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const ROOT_SCHEMA = inferenceServiceCrd.spec.versions[0].schema!
  .openAPIV3Schema as JSONSchemaProps;
const HTTPROUTE_SPEC_FIELDS = new Set(['parentRefs', 'hostnames', 'rules']);
const PARENT_REF_FIELDS = new Set([
  'group',
  'kind',
  'namespace',
  'name',
  'sectionName',
  'port',
]);
/** A kubelet `$(VAR)` reference (`$$(` is the kubelet's escape for a literal `$(`). */
const KUBELET_VAR_REF = /(^|[^$])(\$\$)*\$\([^)]*\)/;
const HOSTNAME =
  /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Formats an issue as the one-line `path: message` the CLI prints. @public */
export function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/**
 * Validates an InferenceService manifest: first the {@link LIMITS} (size and nesting depth with one bounded walk —
 * input over them is reported without looking further — then roles, replicas, nodes, pods, children), then the CRD
 * schema (as the API server checks it, plus fields it would silently prune) and the semantic rules the upstream
 * controller never checked (spec §1.8, §6.2). Returns every problem at once; never throws.
 * @public
 */
export function validateInferenceService(
  obj: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const error = (path: string, message: string) =>
    errors.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) =>
    warnings.push({ path, message, severity: 'warning' });
  try {
    const limits = limitIssues(obj, options.limits);
    errors.push(...limits.issues);
    if (!limits.stop)
      check(obj, error, warn, new Set(limits.issues.map(i => i.path)));
  } catch (e) {
    // Defensive: a bug here must not crash a caller; report it as an error instead.
    error('', `could not be validated: ${(e as Error)?.message ?? String(e)}`);
  }
  const dedupe = (list: ValidationIssue[]) => {
    const seen = new Set<string>();
    return list.filter(i => {
      const k = `${i.path}\u0000${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  const e = dedupe(errors);
  return { valid: e.length === 0, errors: e, warnings: dedupe(warnings) };
}

type Report = (path: string, message: string) => void;

function check(
  obj: unknown,
  error: Report,
  warn: Report,
  limitPaths: ReadonlySet<string>,
): void {
  if (!isObj(obj)) {
    error(
      '',
      `must be an InferenceService object (apiVersion ${INFERENCE_SERVICE_API_VERSION}, kind ${INFERENCE_SERVICE_KIND}), got ${describe(obj)}`,
    );
    return;
  }
  if (obj.apiVersion !== INFERENCE_SERVICE_API_VERSION) {
    error(
      'apiVersion',
      `must be "${INFERENCE_SERVICE_API_VERSION}", got ${describe(obj.apiVersion)}`,
    );
  }
  if (obj.kind !== INFERENCE_SERVICE_KIND) {
    error(
      'kind',
      `must be "${INFERENCE_SERVICE_KIND}", got ${describe(obj.kind)}`,
    );
  }

  // --- metadata
  let svc = '';
  if (!isObj(obj.metadata)) {
    error('metadata', 'Required value: metadata with a name is required');
  } else {
    const md = obj.metadata;
    if (typeof md.name !== 'string' || md.name.length === 0) {
      error('metadata.name', 'Required value: name is required');
    } else {
      svc = md.name;
      for (const p of dns1035LabelProblems(svc)) {
        error(
          'metadata.name',
          `Invalid value: "${trunc(svc)}": ${p} (children such as the LeaderWorkerSet headless Service and the EPP Service take their names from it)`,
        );
      }
    }
    if (md.namespace !== undefined) {
      if (typeof md.namespace !== 'string')
        error('metadata.namespace', 'must be a string');
      else
        for (const p of dns1123LabelProblems(md.namespace))
          error(
            'metadata.namespace',
            `Invalid value: "${trunc(md.namespace)}": ${p}`,
          );
    }
    for (const key of ['labels', 'annotations'] as const) {
      const m = md[key];
      if (m === undefined) continue;
      if (!isObj(m) || !Object.values(m).every(v => typeof v === 'string')) {
        error(
          `metadata.${key}`,
          'must be a map of string keys to string values',
        );
      }
    }
  }

  // --- CRD schema: what the API server would reject, and what it would silently drop
  for (const issue of validateStructural(ROOT_SCHEMA, obj)) {
    if (
      issue.path === 'metadata' ||
      issue.path.startsWith('metadata.') ||
      issue.path === 'apiVersion' ||
      issue.path === 'kind'
    )
      continue;
    // Role names (pattern, uniqueness) get a more specific message below.
    if (
      /^spec\.roles\[\d+\]\.name$/.test(issue.path) &&
      issue.type !== 'required' &&
      issue.type !== 'type'
    )
      continue;
    if (issue.path === 'spec.roles' && issue.type === 'duplicate') continue;
    // The CRD's maximum of replicas and nodeCount, when the limit check already reported that field (same bound,
    // clearer message). With limits raised above the CRD's maximum, the CRD's own error stays.
    if (
      issue.type === 'range' &&
      limitPaths.has(issue.path) &&
      issue.message.includes('less than')
    )
      continue;
    error(issue.path, issue.message);
  }
  for (const path of pruneStructural(ROOT_SCHEMA, obj).pruned) {
    if (path.startsWith('status')) continue;
    error(
      path,
      'unknown field: the InferenceService schema has no such field, so the API server would drop it (check the spelling)',
    );
  }

  if (!isObj(obj.spec)) return; // reported by the schema check
  const spec = obj.spec;
  if (
    isObj(spec.schedulingStrategy) &&
    typeof spec.schedulingStrategy.schedulerName === 'string'
  ) {
    const name = spec.schedulingStrategy.schedulerName;
    if (name !== '' && name !== VOLCANO_SCHEDULER) {
      warn(
        'spec.schedulingStrategy.schedulerName',
        `is not used: gang-scheduled pods always use the "${VOLCANO_SCHEDULER}" scheduler and the others the default scheduler`,
      );
    }
  }
  if (!Array.isArray(spec.roles)) return;
  const roles = spec.roles.map(r => (isObj(r) ? r : {}));
  const typeOf = (r: Record<string, unknown>) =>
    typeof r.componentType === 'string' ? r.componentType : '';
  const routers = roles
    .map((r, i) => [r, i] as const)
    .filter(([r]) => typeOf(r) === 'router');
  const workloads = roles
    .map((r, i) => [r, i] as const)
    .filter(([r]) => ['worker', 'prefiller', 'decoder'].includes(typeOf(r)));
  const pd =
    roles.some(r => typeOf(r) === 'prefiller') &&
    roles.some(r => typeOf(r) === 'decoder');

  if (routers.length > 1) {
    for (const [, i] of routers.slice(1)) {
      error(
        `spec.roles[${i}].componentType`,
        `at most one role may be a router; "${routers[0][0].name}" already is (two routers would fight over the same ${svc || '{name}'}-epp objects)`,
      );
    }
  }
  if (routers.length > 0 && workloads.length === 0) {
    error(
      'spec.roles',
      'a router needs at least one worker, prefiller or decoder role to route to',
    );
  } else if (workloads.length === 0 && roles.length > 0) {
    error(
      'spec.roles',
      'at least one worker, prefiller or decoder role is required: nothing would be deployed',
    );
  }
  if (svc && routers.length > 0 && `${svc}-epp`.length > 63) {
    error(
      'metadata.name',
      `must be at most 59 characters when the service has a router: the EPP Deployment's label app=${trunc(svc)}-epp must fit 63 characters`,
    );
  }

  const seen = new Map<string, number>();
  roles.forEach((role, i) => {
    const base = `spec.roles[${i}]`;
    const name = typeof role.name === 'string' ? role.name : undefined;
    if (name !== undefined) {
      for (const p of dns1123LabelProblems(name))
        error(
          `${base}.name`,
          `Invalid value: "${trunc(name)}": ${p} (the role name becomes part of child names and label values)`,
        );
      if (seen.has(name))
        error(
          `${base}.name`,
          `Duplicate value: "${name}": role names must be unique (also used by spec.roles[${seen.get(name)}])`,
        );
      else seen.set(name, i);
    }
    const type = typeOf(role);
    const isRouter = type === 'router';
    const isWorkload = ['worker', 'prefiller', 'decoder'].includes(type);

    if (isRouter) {
      for (const f of ['replicas', 'multinode', 'template'] as const) {
        if (role[f] !== undefined)
          warn(
            `${base}.${f}`,
            'is ignored on a router role: the router runs one EPP replica with a fixed pod template',
          );
      }
      checkRouter(role, base, pd, error, warn);
    } else {
      for (const f of [
        'strategy',
        'endpointPickerConfig',
        'httproute',
        'gateway',
      ] as const) {
        if (role[f] !== undefined)
          warn(
            `${base}.${f}`,
            `is ignored on a ${type || 'non-router'} role: it only applies to the router role`,
          );
      }
    }
    if (!isWorkload) return;

    // Upper bounds of replicas and nodeCount: see limits.ts (checked before this).
    const replicas = typeof role.replicas === 'number' ? role.replicas : 1;
    const nodeCount =
      isObj(role.multinode) && typeof role.multinode.nodeCount === 'number'
        ? role.multinode.nodeCount
        : 1;

    if (svc && name) {
      const longest = childNames.lws(
        svc,
        name,
        Math.max(0, Math.trunc(replicas) - 1),
      );
      if (longest.length > MAX_LWS_NAME_LENGTH) {
        error(
          `${base}.name`,
          `the LeaderWorkerSet name "${trunc(longest)}" (${longest.length} characters) would be longer than ${MAX_LWS_NAME_LENGTH}: its StatefulSet's controller-revision-hash label would exceed 63 characters; shorten metadata.name or the role name`,
        );
      }
      for (const p of dns1035LabelProblems(longest.slice(0, 63))) {
        error(
          `${base}.name`,
          `the LeaderWorkerSet name "${trunc(longest)}" is not a valid Service name: ${p}`,
        );
      }
    }
    checkTemplate(
      role.template,
      `${base}.template`,
      nodeCount >= 2,
      error,
      warn,
    );
    if (pd && type === 'worker' && nodeCount >= 2) {
      warn(
        `${base}.multinode`,
        'a multi-node worker role in a prefill/decode service is not gang-scheduled (upstream rule): its pods may start partially',
      );
    }
  });
}

function checkRouter(
  role: Record<string, unknown>,
  base: string,
  pd: boolean,
  error: Report,
  warn: Report,
) {
  const epc = role.endpointPickerConfig;
  if (typeof epc === 'string' && epc.trim().length > 0) {
    if (role.strategy !== undefined)
      warn(
        `${base}.strategy`,
        'is ignored: endpointPickerConfig is set and takes precedence',
      );
    for (const issue of parseEndpointPickerConfig(epc).issues) {
      const where = `${base}.endpointPickerConfig`;
      const msg = issue.path
        ? `${issue.path}: ${issue.message}`
        : issue.message;
      (issue.severity === 'error' ? error : warn)(where, msg);
    }
  } else if (typeof epc === 'string' && epc.length > 0) {
    warn(
      `${base}.endpointPickerConfig`,
      'is blank and therefore ignored; the strategy applies',
    );
  }
  if (
    role.strategy === 'pd-disaggregation' &&
    !pd &&
    !(typeof epc === 'string' && epc.trim())
  ) {
    error(
      `${base}.strategy`,
      'pd-disaggregation needs both a prefiller role and a decoder role (upstream silently fell back to prefix-cache)',
    );
  }
  if (
    role.strategy !== undefined &&
    typeof role.strategy === 'string' &&
    !(ROUTING_STRATEGIES as readonly string[]).includes(role.strategy)
  ) {
    return; // the schema check reports the enum
  }
  if (role.gateway !== undefined)
    warn(
      `${base}.gateway`,
      'is reserved and ignored: no Gateway is created; reference an existing Gateway in httproute.parentRefs',
    );
  const hr = role.httproute;
  if (hr === undefined) {
    warn(
      `${base}.httproute`,
      'is not set: the HTTPRoute has no parentRefs and attaches to no Gateway, so no traffic reaches the pool',
    );
    return;
  }
  if (!isObj(hr)) return; // schema
  for (const key of Object.keys(hr)) {
    if (!HTTPROUTE_SPEC_FIELDS.has(key))
      error(
        `${base}.httproute.${key}`,
        'unknown field: not part of a Gateway API HTTPRouteSpec (parentRefs, hostnames, rules)',
      );
  }
  if (hr.rules !== undefined)
    warn(
      `${base}.httproute.rules`,
      'is replaced: the generated HTTPRoute always has exactly one rule that forwards to the InferencePool',
    );
  if (
    hr.parentRefs === undefined ||
    (Array.isArray(hr.parentRefs) && hr.parentRefs.length === 0)
  ) {
    warn(
      `${base}.httproute.parentRefs`,
      'is empty: the HTTPRoute attaches to no Gateway, so no traffic reaches the pool',
    );
  } else if (!Array.isArray(hr.parentRefs)) {
    error(
      `${base}.httproute.parentRefs`,
      'must be a list of parent references ({name, namespace?, sectionName?, port?})',
    );
  } else {
    if (hr.parentRefs.length > 32)
      error(`${base}.httproute.parentRefs`, 'must have at most 32 items');
    hr.parentRefs.forEach((ref, j) => {
      const p = `${base}.httproute.parentRefs[${j}]`;
      if (!isObj(ref)) {
        error(p, 'must be an object with at least a name');
        return;
      }
      if (typeof ref.name !== 'string' || ref.name.length === 0)
        error(`${p}.name`, 'Required value: the name of the Gateway');
      else
        for (const m of dns1123SubdomainProblems(ref.name))
          error(`${p}.name`, `Invalid value: "${trunc(ref.name)}": ${m}`);
      for (const k of ['group', 'kind', 'sectionName'] as const) {
        if (ref[k] !== undefined && typeof ref[k] !== 'string')
          error(`${p}.${k}`, 'must be a string');
      }
      if (ref.namespace !== undefined) {
        if (typeof ref.namespace !== 'string')
          error(`${p}.namespace`, 'must be a string');
        else
          for (const m of dns1123LabelProblems(ref.namespace))
            error(
              `${p}.namespace`,
              `Invalid value: "${trunc(ref.namespace)}": ${m}`,
            );
      }
      if (
        ref.port !== undefined &&
        !(
          typeof ref.port === 'number' &&
          Number.isInteger(ref.port) &&
          ref.port >= 1 &&
          ref.port <= 65535
        )
      ) {
        error(`${p}.port`, 'must be an integer between 1 and 65535');
      }
      for (const k of Object.keys(ref))
        if (!PARENT_REF_FIELDS.has(k))
          error(
            `${p}.${k}`,
            `unknown field: a parentRef has ${[...PARENT_REF_FIELDS].join(', ')}`,
          );
    });
  }
  if (hr.hostnames !== undefined) {
    if (!Array.isArray(hr.hostnames))
      error(`${base}.httproute.hostnames`, 'must be a list of hostnames');
    else {
      if (hr.hostnames.length > 16)
        error(`${base}.httproute.hostnames`, 'must have at most 16 items');
      hr.hostnames.forEach((h, j) => {
        if (typeof h !== 'string' || h.length > 253 || !HOSTNAME.test(h)) {
          error(
            `${base}.httproute.hostnames[${j}]`,
            `Invalid value: ${describe(h)}: must be a lowercase DNS name, optionally prefixed by "*." (no IP addresses or ports)`,
          );
        }
      });
    }
  }
}

function checkTemplate(
  template: unknown,
  base: string,
  multiNode: boolean,
  error: Report,
  warn: Report,
) {
  if (template === undefined) {
    error(
      base,
      'Required value: a worker, prefiller or decoder role needs a pod template with at least one container',
    );
    return;
  }
  if (!isObj(template)) return; // schema
  if (isObj(template.metadata)) {
    for (const k of ['labels', 'annotations']) {
      if (template.metadata[k] !== undefined)
        warn(
          `${base}.metadata.${k}`,
          'are not applied: only template.spec is used (pods get the fusioninfer.io labels)',
        );
    }
  }
  for (const k of Object.keys(template)) {
    if (k !== 'metadata' && k !== 'spec')
      error(
        `${base}.${k}`,
        'unknown field: a pod template has metadata and spec',
      );
  }
  const spec = template.spec;
  if (!isObj(spec)) {
    error(
      `${base}.spec`,
      'Required value: a pod spec with at least one container',
    );
    return;
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    error(
      `${base}.spec.containers`,
      'Required value: at least one container is required',
    );
  } else {
    const names = new Set<string>();
    spec.containers.forEach((c, j) =>
      checkContainer(
        c,
        `${base}.spec.containers[${j}]`,
        names,
        error,
        warn,
        multiNode && j === 0,
      ),
    );
  }
  if (spec.initContainers !== undefined) {
    if (!Array.isArray(spec.initContainers))
      error(`${base}.spec.initContainers`, 'must be a list of containers');
    else {
      const names = new Set<string>();
      spec.initContainers.forEach((c, j) =>
        checkContainer(
          c,
          `${base}.spec.initContainers[${j}]`,
          names,
          error,
          warn,
          false,
        ),
      );
    }
  }
  if (
    spec.schedulerName !== undefined &&
    typeof spec.schedulerName !== 'string'
  )
    error(`${base}.spec.schedulerName`, 'must be a string');
}

function checkContainer(
  c: unknown,
  base: string,
  names: Set<string>,
  error: Report,
  warn: Report,
  wrapped: boolean,
) {
  if (!isObj(c)) {
    error(base, 'must be a container object with a name and an image');
    return;
  }
  if (typeof c.name !== 'string' || c.name.length === 0)
    error(`${base}.name`, 'Required value: every container needs a name');
  else {
    for (const p of dns1123LabelProblems(c.name))
      error(`${base}.name`, `Invalid value: "${trunc(c.name)}": ${p}`);
    if (names.has(c.name))
      error(`${base}.name`, `Duplicate value: "${c.name}"`);
    names.add(c.name);
  }
  if (typeof c.image !== 'string' || c.image.trim().length === 0)
    error(`${base}.image`, 'Required value: every container needs an image');
  for (const k of ['command', 'args'] as const) {
    const v = c[k];
    if (
      v !== undefined &&
      !(Array.isArray(v) && v.every(x => typeof x === 'string'))
    )
      error(`${base}.${k}`, 'must be a list of strings');
  }
  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports))
      error(`${base}.ports`, 'must be a list of ports');
    else
      c.ports.forEach((p, k) => {
        const pp = `${base}.ports[${k}]`;
        if (!isObj(p)) error(pp, 'must be an object with containerPort');
        else if (!(
          typeof p.containerPort === 'number' &&
          Number.isInteger(p.containerPort) &&
          p.containerPort >= 1 &&
          p.containerPort <= 65535
        )) {
          error(
            `${pp}.containerPort`,
            'Required value: an integer between 1 and 65535',
          );
        }
      });
  }
  if (c.resources !== undefined) {
    if (!isObj(c.resources))
      error(
        `${base}.resources`,
        'must be an object with limits and/or requests',
      );
    else
      for (const k of ['limits', 'requests'] as const) {
        const m = c.resources[k];
        if (m === undefined) continue;
        if (!isObj(m)) {
          error(
            `${base}.resources.${k}`,
            'must be a map of resource name to quantity',
          );
          continue;
        }
        for (const [res, q] of Object.entries(m)) {
          const parsed =
            typeof q === 'string' || typeof q === 'number'
              ? parseQuantity(q)
              : undefined;
          if (!parsed)
            error(
              `${base}.resources.${k}["${res}"]`,
              `Invalid value: ${describe(q)}: must be a quantity such as "1", "500m" or "16Gi"`,
            );
          else if (parsed.nanos < 0n)
            error(
              `${base}.resources.${k}["${res}"]`,
              'must be greater than or equal to 0',
            );
        }
      }
  }
  if (wrapped) {
    for (const k of ['command', 'args'] as const) {
      const v = c[k];
      if (!Array.isArray(v)) continue;
      v.forEach((a, j) => {
        if (typeof a === 'string' && KUBELET_VAR_REF.test(a))
          warn(
            `${base}.${k}[${j}]`,
            'contains a $(VAR) reference: the kubelet replaces it with the value of that environment variable (ConfigMap, Secret or downward API values included) before the Ray leader starts; the value is passed to the model server as one argument and never run by the shell, but it is not validated here — make sure its source is trusted and write $$( for a literal "$("',
          );
      });
    }
    if (
      isObj(c.readinessProbe) &&
      (c.readinessProbe.httpGet || c.readinessProbe.grpc)
    ) {
      warn(
        `${base}.readinessProbe`,
        'also applies to the Ray worker pods, which only run "ray start --block" and serve nothing: they would never become ready',
      );
    }
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${trunc(v)}"`;
  return `${typeof v} ${String(v)}`;
}

function trunc(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
