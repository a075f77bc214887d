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
 * Role autoscaling (issue 20): the per-role policy an InferenceService carries in the annotation
 * `fusioninfer.io/autoscaling` — like the rollout policy, an annotation survives any CRD (an added spec field would
 * be pruned by the upstream CRD), and only those who may change the service may set it: its owners decide what the
 * autoscaler may do. Read and checked here; the pure decision is in decide.ts.
 *
 *   metadata:
 *     annotations:
 *       fusioninfer.io/autoscaling: |
 *         decode: {minReplicas: 1, maxReplicas: 6, signal: kvCacheUsage, target: 0.7, mode: acting}
 *         prefill: {minReplicas: 1, maxReplicas: 3, signal: prefillBacklogSeconds, target: 2, mode: acting}
 *         pdRatio: "1:2"
 */

import { parseDocument } from 'yaml';
import { LIMITS } from '../limits';

/** The annotation that carries the autoscaling policies, by role name (`*`: every workload role without its own). @public */
export const AUTOSCALING_ANNOTATION = 'fusioninfer.io/autoscaling';

/**
 * What a role scales on, read from its model servers' /metrics:
 * - `waitingRequests`: requests waiting per replica (`vllm:num_requests_waiting`, summed per replica, averaged over
 *   the replicas that report);
 * - `kvCacheUsage`: KV-cache use, a fraction 0–1 averaged over the replicas (`vllm:kv_cache_usage_perc`, or the
 *   deprecated `vllm:gpu_cache_usage_perc`);
 * - `prefillBacklogSeconds`: seconds the role needs to prefill what waits — the prompt tokens of the waiting requests
 *   (waiting requests × mean prompt tokens per request, both measured) ÷ the prompt tokens per second the role
 *   measurably prefills (`vllm:prompt_tokens_total`, `vllm:request_success_total` and `vllm:num_requests_waiting`).
 * @public
 */
export type AutoscalingSignal =
  'waitingRequests' | 'kvCacheUsage' | 'prefillBacklogSeconds';

/** The signals, with the metric each reads and the unit of its target. @public */
export const AUTOSCALING_SIGNALS: Record<
  AutoscalingSignal,
  { metric: string; unit: string; description: string }
> = {
  waitingRequests: {
    metric: 'vllm:num_requests_waiting',
    unit: 'requests per replica',
    description: 'requests waiting per replica',
  },
  kvCacheUsage: {
    metric: 'vllm:kv_cache_usage_perc',
    unit: 'fraction of the KV cache',
    description: 'KV-cache use',
  },
  prefillBacklogSeconds: {
    metric:
      'vllm:num_requests_waiting × prompt tokens ÷ vllm:prompt_tokens_total rate',
    unit: 'seconds',
    description: 'prefill backlog',
  },
};

/**
 * `advisory`: the autoscaler computes and shows its recommendation and writes nothing; `acting`: it changes the
 * role's replicas on the InferenceService through the backend's one writer. @public
 */
export type AutoscalingMode = 'advisory' | 'acting';

/** The autoscaling policy of one role, with the defaults filled in. @public */
export interface RoleAutoscalingPolicy {
  minReplicas: number;
  maxReplicas: number;
  signal: AutoscalingSignal;
  /** The value of the signal per replica the role is scaled to keep (its unit: {@link AUTOSCALING_SIGNALS}). */
  target: number;
  mode: AutoscalingMode;
  /** No change while the signal is within this fraction of the target (HPA's default 0.1). */
  tolerance: number;
  /** A scale-down takes the highest recommendation of this window (HPA's default 300 s). */
  scaleDownStabilizationSeconds: number;
  /** No change within this time of the last one (default 60 s: new replicas start and their metrics settle). */
  cooldownSeconds: number;
  /**
   * Scale to zero once the role has had no request (none waiting, none running, none finished) for this many
   * minutes. Back from zero needs a gateway that holds the first request while a replica starts (see the README).
   */
  scaleToZeroAfterIdleMinutes?: number;
}

/** A prefill:decode ratio kept within ±1 replica (`pdRatio: "1:2"`). @public */
export interface PdRatio {
  /** The prefiller role and the decoder role. */
  prefill: string;
  decode: string;
  /** Parts of the ratio, e.g. 1 and 2 for "1:2". */
  prefillPart: number;
  decodePart: number;
}

/** A problem with the annotation, naming the field and the rule. @public */
export interface AutoscalingPolicyIssue {
  path: string;
  message: string;
}

const SIGNALS = Object.keys(AUTOSCALING_SIGNALS) as AutoscalingSignal[];
const KEYS = new Set([
  'minReplicas',
  'maxReplicas',
  'signal',
  'target',
  'mode',
  'tolerance',
  'scaleDownStabilizationSeconds',
  'cooldownSeconds',
  'scaleToZeroAfterIdleMinutes',
]);
const MAX_ANNOTATION_BYTES = 16 * 1024;
/** Windows and cooldowns of at most a day; idle periods of at most a week. */
const MAX_SECONDS = 86_400;
const MAX_IDLE_MINUTES = 10_080;

/** Defaults of the optional settings. @public */
export const AUTOSCALING_DEFAULTS = {
  minReplicas: 1,
  mode: 'advisory' as AutoscalingMode,
  tolerance: 0.1,
  scaleDownStabilizationSeconds: 300,
  cooldownSeconds: 60,
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/**
 * The autoscaling policies of an InferenceService, per role name, with the defaults filled in, and the problems of
 * its annotation (JSON or YAML: per role name or `*` the settings minReplicas, maxReplicas, signal, target, mode,
 * tolerance, scaleDownStabilizationSeconds, cooldownSeconds and scaleToZeroAfterIdleMinutes, and `pdRatio` as "p:d"). Only workload
 * roles scale (never the router); a role has a policy only when the annotation gives it one (its own or `*`).
 * Warnings say what validation should only mention (replicas outside the bounds, which the autoscaler brings back).
 * Never throws.
 * @public
 */
export function readAutoscalingPolicies(isvc: unknown): {
  policies: Record<string, RoleAutoscalingPolicy>;
  pdRatio?: PdRatio;
  issues: AutoscalingPolicyIssue[];
  warnings: AutoscalingPolicyIssue[];
  /** Whether the service has the annotation (without it nothing autoscales). */
  annotated: boolean;
} {
  const issues: AutoscalingPolicyIssue[] = [];
  const warnings: AutoscalingPolicyIssue[] = [];
  const obj = isObj(isvc) ? isvc : {};
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const raw = annotations[AUTOSCALING_ANNOTATION];
  const path = `metadata.annotations["${AUTOSCALING_ANNOTATION}"]`;
  const out = { policies: {}, issues, warnings, annotated: raw !== undefined };
  if (raw === undefined) return out;
  let given: Record<string, unknown> = {};
  if (typeof raw !== 'string' || raw.length > MAX_ANNOTATION_BYTES) {
    issues.push({
      path,
      message: `must be a JSON or YAML mapping of at most ${MAX_ANNOTATION_BYTES} bytes`,
    });
    return out;
  }
  try {
    const doc = parseDocument(raw, { uniqueKeys: true });
    const js = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 10 });
    if (!isObj(js)) {
      issues.push({
        path,
        message:
          'must be a mapping of role names (or "*") to autoscaling policies, and an optional pdRatio',
      });
      return out;
    }
    given = js;
  } catch {
    issues.push({ path, message: 'is not JSON or YAML' });
    return out;
  }
  const spec = isObj(obj.spec) ? obj.spec : {};
  const roles = (Array.isArray(spec.roles) ? spec.roles.slice(0, 1000) : [])
    .map((r, index) => ({ r: isObj(r) ? r : {}, index }))
    .filter(({ r }) => typeof r.name === 'string' && r.name !== '')
    .map(({ r, index }) => ({
      index,
      name: r.name as string,
      componentType:
        typeof r.componentType === 'string' ? r.componentType : undefined,
      replicas: Number.isInteger(r.replicas) ? (r.replicas as number) : 1,
    }));
  const workloads = roles.filter(r => r.componentType !== 'router');
  for (const key of Object.keys(given)) {
    if (key === '*' || key === 'pdRatio') continue;
    const role = roles.find(r => r.name === key);
    if (!role)
      issues.push({
        path: `${path}.${key}`,
        message: `names no role of the service (${roles.map(r => r.name).join(', ') || 'none'})`,
      });
    else if (role.componentType === 'router')
      issues.push({
        path: `${path}.${key}`,
        message:
          'is the router role: only worker, prefiller and decoder roles scale',
      });
  }
  const check = (key: string, v: unknown): Record<string, unknown> => {
    const where = `${path}.${key}`;
    if (!isObj(v)) {
      issues.push({
        path: where,
        message: `must be a mapping of ${[...KEYS].join(', ')}`,
      });
      return {};
    }
    const got: Record<string, unknown> = {};
    const bad = (k: string, message: string) =>
      issues.push({ path: `${where}.${k}`, message });
    for (const [k, x] of Object.entries(v)) {
      if (!KEYS.has(k)) {
        bad(k, `is not an autoscaling setting (${[...KEYS].join(', ')})`);
        continue;
      }
      if (k === 'minReplicas' || k === 'maxReplicas') {
        if (isInt(x, 1, LIMITS.replicasPerRole)) got[k] = x;
        else
          bad(
            k,
            `must be a whole number from 1 to ${LIMITS.replicasPerRole}${k === 'minReplicas' ? ' (scale to zero is scaleToZeroAfterIdleMinutes)' : ''}`,
          );
      } else if (k === 'signal') {
        if (SIGNALS.includes(x as AutoscalingSignal)) got[k] = x;
        else bad(k, `must be one of ${SIGNALS.join(', ')}`);
      } else if (k === 'target') {
        if (typeof x === 'number' && Number.isFinite(x) && x > 0) got[k] = x;
        else bad(k, 'must be a number above 0');
      } else if (k === 'mode') {
        if (x === 'advisory' || x === 'acting') got[k] = x;
        else bad(k, 'must be advisory or acting');
      } else if (k === 'tolerance') {
        if (typeof x === 'number' && x >= 0 && x < 1) got[k] = x;
        else bad(k, 'must be a number from 0 to below 1 (0.1 = 10 %)');
      } else if (
        k === 'scaleDownStabilizationSeconds' ||
        k === 'cooldownSeconds'
      ) {
        if (isInt(x, 0, MAX_SECONDS)) got[k] = x;
        else
          bad(k, `must be a whole number of seconds from 0 to ${MAX_SECONDS}`);
      } else if (isInt(x, 1, MAX_IDLE_MINUTES)) got[k] = x;
      else
        bad(
          k,
          `must be a whole number of minutes from 1 to ${MAX_IDLE_MINUTES}`,
        );
    }
    return got;
  };
  const all = given['*'] !== undefined ? check('*', given['*']) : undefined;
  const policies: Record<string, RoleAutoscalingPolicy> = {};
  for (const role of workloads) {
    const own =
      given[role.name] !== undefined
        ? check(role.name, given[role.name])
        : undefined;
    if (!own && !all) continue;
    const p = { ...(all ?? {}), ...(own ?? {}) };
    const where = `${path}.${own ? role.name : '*'}`;
    let complete = true;
    for (const k of ['maxReplicas', 'signal', 'target'] as const)
      if (p[k] === undefined) {
        // Reported once per place it is missing from (a "*" policy once, not once per role).
        if (
          !issues.some(
            i => i.path === `${where}.${k}` && i.message.startsWith('Required'),
          )
        )
          issues.push({
            path: `${where}.${k}`,
            message: `Required value: ${k} is required${own && all ? ' (here or under "*")' : ''}`,
          });
        complete = false;
      }
    if (!complete) continue;
    const policy: RoleAutoscalingPolicy = {
      minReplicas:
        (p.minReplicas as number) ?? AUTOSCALING_DEFAULTS.minReplicas,
      maxReplicas: p.maxReplicas as number,
      signal: p.signal as AutoscalingSignal,
      target: p.target as number,
      mode: (p.mode as AutoscalingMode) ?? AUTOSCALING_DEFAULTS.mode,
      tolerance: (p.tolerance as number) ?? AUTOSCALING_DEFAULTS.tolerance,
      scaleDownStabilizationSeconds:
        (p.scaleDownStabilizationSeconds as number) ??
        AUTOSCALING_DEFAULTS.scaleDownStabilizationSeconds,
      cooldownSeconds:
        (p.cooldownSeconds as number) ?? AUTOSCALING_DEFAULTS.cooldownSeconds,
      ...(p.scaleToZeroAfterIdleMinutes !== undefined
        ? {
            scaleToZeroAfterIdleMinutes:
              p.scaleToZeroAfterIdleMinutes as number,
          }
        : {}),
    };
    if (policy.maxReplicas < policy.minReplicas) {
      issues.push({
        path: `${where}.maxReplicas`,
        message: `Invalid value: ${policy.maxReplicas}: must be at least minReplicas (${policy.minReplicas})`,
      });
      continue;
    }
    if (policy.signal === 'kvCacheUsage' && policy.target > 1) {
      issues.push({
        path: `${where}.target`,
        message: `Invalid value: ${policy.target}: KV-cache use is a fraction; the target must be at most 1 (0.7 = 70 %)`,
      });
      continue;
    }
    if (role.replicas > 0 && role.replicas < policy.minReplicas)
      warnings.push({
        path: `spec.roles[${role.index}].replicas`,
        message: `${role.replicas} is below the autoscaling minimum ${policy.minReplicas} of role ${role.name}${policy.mode === 'acting' ? ': the autoscaler raises it' : ''}`,
      });
    if (role.replicas > policy.maxReplicas)
      warnings.push({
        path: `spec.roles[${role.index}].replicas`,
        message: `${role.replicas} is above the autoscaling maximum ${policy.maxReplicas} of role ${role.name}${policy.mode === 'acting' ? ': the autoscaler lowers it' : ''}`,
      });
    policies[role.name] = policy;
  }
  if (!Object.keys(policies).length && !issues.length)
    issues.push({
      path,
      message: 'gives no workload role a policy (name a role or "*")',
    });
  const ratio = given.pdRatio;
  let pdRatio: PdRatio | undefined;
  if (ratio !== undefined) {
    const where = `${path}.pdRatio`;
    const m =
      typeof ratio === 'string' ? /^([1-9]\d?):([1-9]\d?)$/.exec(ratio) : null;
    const prefillers = workloads.filter(r => r.componentType === 'prefiller');
    const decoders = workloads.filter(r => r.componentType === 'decoder');
    if (!m)
      issues.push({
        path: where,
        message:
          'must be "<prefill>:<decode>", whole numbers from 1 to 99 (e.g. "1:2")',
      });
    else if (prefillers.length !== 1 || decoders.length !== 1)
      issues.push({
        path: where,
        message: `needs exactly one prefiller and one decoder role (the service has ${prefillers.length} and ${decoders.length})`,
      });
    else {
      const [p, d] = [policies[prefillers[0].name], policies[decoders[0].name]];
      if (!p || !d)
        issues.push({
          path: where,
          message: `needs a policy for both ${prefillers[0].name} and ${decoders[0].name}`,
        });
      else if (p.mode !== d.mode)
        issues.push({
          path: where,
          message: `${prefillers[0].name} and ${decoders[0].name} must have the same mode (they move together)`,
        });
      else if (
        (p.scaleToZeroAfterIdleMinutes === undefined) !==
        (d.scaleToZeroAfterIdleMinutes === undefined)
      )
        issues.push({
          path: where,
          message: `${prefillers[0].name} and ${decoders[0].name} scale to zero together: set scaleToZeroAfterIdleMinutes on both or on neither`,
        });
      else
        pdRatio = {
          prefill: prefillers[0].name,
          decode: decoders[0].name,
          prefillPart: Number(m[1]),
          decodePart: Number(m[2]),
        };
    }
  }
  return {
    policies,
    ...(pdRatio ? { pdRatio } : {}),
    issues,
    warnings,
    annotated: true,
  };
}
