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
 * GPU-safe rollouts (issue 19): the per-role rollout policy an InferenceService carries in the annotation
 * `fusioninfer.io/rollout` — an extension of the upstream API that survives any CRD (an added spec field would be
 * pruned by the upstream CRD) — read and checked here, and the pure plan of one reconcile step (plan.ts).
 *
 *   metadata:
 *     annotations:
 *       fusioninfer.io/rollout: '{"*": {"maxUnavailable": 1}, "decode": {"maxSurge": 1, "maxUnavailable": 0}}'
 */

import { parseDocument } from 'yaml';

/** The annotation that carries the rollout policies, by role name (`*`: every role without its own). @public */
export const ROLLOUT_ANNOTATION = 'fusioninfer.io/rollout';

/**
 * The label with a replica's revision on its pods, on services with {@link REVISION_LABEL_ANNOTATION} `"true"` (others
 * render as upstream does): the hash of the role's pod spec and node count, replicas left out — for the prefillers and
 * decoders of a P/D service one revision of the pair, so an endpoint picker can pair a prefill with a decode of the
 * same revision while the two roles move.
 * @public
 */
export const REVISION_LABEL = 'fusioninfer.io/revision';

/**
 * The opt-in for {@link REVISION_LABEL}: `"true"` or `"false"` (the default). An annotation of its own, not a setting
 * of {@link ROLLOUT_ANNOTATION}, because Pause and Resume write that one: pausing a rollout must not relabel every pod.
 * Turning it on or off changes every replica's pods, so it rolls each replica once, in waves.
 * @public
 */
export const REVISION_LABEL_ANNOTATION = 'fusioninfer.io/revision-label';

/** How a role moves to a new spec, one replica (one LeaderWorkerSet) at a time. @public */
export interface RolloutPolicy {
  /** Replicas that may be down at once during a rollout: a count or a percentage of the replicas, rounded down. */
  maxUnavailable: number | string;
  /** Extra replicas at the new spec while old ones are replaced: a count or a percentage, rounded up. */
  maxSurge: number | string;
  /** Replicas with an index below this keep the old spec (a canary of the highest indices; 0 = all move). */
  partition: number;
  /** Nothing moves while paused. */
  paused: boolean;
}

/** A policy with its amounts resolved against a role's replicas. @public */
export interface ResolvedRolloutPolicy {
  maxUnavailable: number;
  maxSurge: number;
  partition: number;
  paused: boolean;
}

/** A problem with the annotation, naming the field and the rule. @public */
export interface RolloutPolicyIssue {
  path: string;
  message: string;
}

/**
 * The default that never takes a role down: one replica at a time for two replicas or more; a single replica is
 * replaced by a surge replica first (1 extra, 0 down).
 * @public
 */
export function defaultRolloutPolicy(replicas: number): RolloutPolicy {
  return replicas <= 1
    ? { maxUnavailable: 0, maxSurge: 1, partition: 0, paused: false }
    : { maxUnavailable: 1, maxSurge: 0, partition: 0, paused: false };
}

const PERCENT = /^(100|[1-9]?[0-9])%$/;
const KEYS = new Set(['maxUnavailable', 'maxSurge', 'partition', 'paused']);
const MAX_ANNOTATION_BYTES = 16 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `n` or `"n%"` of `replicas`, rounded down (unavailable) or up (surge), as Kubernetes rounds them. */
export function resolveAmount(
  v: number | string,
  replicas: number,
  round: 'down' | 'up',
): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.slice(0, -1));
  const exact = (pct * replicas) / 100;
  return round === 'down' ? Math.floor(exact) : Math.ceil(exact);
}

/**
 * The rollout policies of an InferenceService, per role name, with the defaults filled in, and the problems of its
 * annotation (JSON or YAML: `{ "<role>" | "*": { maxUnavailable, maxSurge, partition, paused } }`). Both amounts zero
 * is refused, as Kubernetes refuses it for Deployments: such a rollout could never move. Never throws.
 * @public
 */
export function readRolloutPolicies(isvc: unknown): {
  policies: Record<string, ResolvedRolloutPolicy>;
  issues: RolloutPolicyIssue[];
  /** Whether the service has the annotation (without it, the defaults apply). */
  annotated: boolean;
} {
  const issues: RolloutPolicyIssue[] = [];
  const obj = isObj(isvc) ? isvc : {};
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const raw = annotations[ROLLOUT_ANNOTATION];
  const path = `metadata.annotations["${ROLLOUT_ANNOTATION}"]`;
  let given: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (typeof raw !== 'string' || raw.length > MAX_ANNOTATION_BYTES)
      issues.push({
        path,
        message: `must be a JSON or YAML mapping of at most ${MAX_ANNOTATION_BYTES} bytes`,
      });
    else {
      try {
        const doc = parseDocument(raw, { uniqueKeys: true });
        const js = doc.errors.length
          ? undefined
          : doc.toJS({ maxAliasCount: 10 });
        if (!isObj(js))
          issues.push({
            path,
            message:
              'must be a mapping of role names (or "*") to rollout policies',
          });
        else given = js;
      } catch {
        issues.push({ path, message: 'is not JSON or YAML' });
      }
    }
  }
  const spec = isObj(obj.spec) ? obj.spec : {};
  const roles = Array.isArray(spec.roles) ? spec.roles.slice(0, 1000) : [];
  const names = roles
    .map(r => (isObj(r) && typeof r.name === 'string' ? r.name : ''))
    .filter(Boolean);
  for (const key of Object.keys(given))
    if (key !== '*' && !names.includes(key))
      issues.push({
        path: `${path}.${key}`,
        message: `names no role of the service (${names.join(', ') || 'none'})`,
      });
  const check = (key: string, v: unknown): Partial<RolloutPolicy> => {
    const where = `${path}.${key}`;
    if (!isObj(v)) {
      issues.push({
        path: where,
        message:
          'must be a mapping of maxUnavailable, maxSurge, partition, paused',
      });
      return {};
    }
    const out: Partial<RolloutPolicy> = {};
    for (const [k, x] of Object.entries(v)) {
      if (!KEYS.has(k)) {
        issues.push({
          path: `${where}.${k}`,
          message:
            'is not a rollout setting (maxUnavailable, maxSurge, partition, paused)',
        });
        continue;
      }
      if (k === 'paused') {
        if (typeof x === 'boolean') out.paused = x;
        else
          issues.push({
            path: `${where}.paused`,
            message: 'must be true or false',
          });
      } else if (k === 'partition') {
        if (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 10000)
          out.partition = x as number;
        else
          issues.push({
            path: `${where}.partition`,
            message: 'must be a whole number from 0 to 10000',
          });
      } else if (
        (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 10000) ||
        (typeof x === 'string' && PERCENT.test(x))
      )
        (out as any)[k] = x;
      else
        issues.push({
          path: `${where}.${k}`,
          message:
            'must be a whole number from 0 to 10000 or a percentage such as "25%"',
        });
    }
    return out;
  };
  const all = given['*'] !== undefined ? check('*', given['*']) : {};
  const policies: Record<string, ResolvedRolloutPolicy> = {};
  roles.forEach((r, i) => {
    if (!isObj(r) || typeof r.name !== 'string' || !r.name) return;
    const replicas = Number.isInteger(r.replicas)
      ? Math.max(0, r.replicas as number)
      : 1;
    const own = given[r.name] !== undefined ? check(r.name, given[r.name]) : {};
    const p: RolloutPolicy = {
      ...defaultRolloutPolicy(replicas),
      ...all,
      ...own,
    };
    // An explicit zero surge with the default unavailability of a single replica would never move.
    const resolved: ResolvedRolloutPolicy = {
      maxUnavailable: resolveAmount(p.maxUnavailable, replicas, 'down'),
      maxSurge: resolveAmount(p.maxSurge, replicas, 'up'),
      partition: p.partition,
      paused: p.paused,
    };
    if (
      resolved.maxUnavailable === 0 &&
      resolved.maxSurge === 0 &&
      replicas > 0
    )
      issues.push({
        path: `spec.roles[${i}] (${r.name}): ${path}`,
        message: `maxUnavailable and maxSurge are both 0 for ${replicas} ${replicas === 1 ? 'replica' : 'replicas'}: the rollout could never move; allow 1 unavailable or 1 surge replica`,
      });
    policies[r.name] = resolved;
  });
  return { policies, issues, annotated: raw !== undefined };
}

/**
 * The rollout annotation of `isvc` with `paused` set for `role` (its other settings, and every other role's, kept as
 * written), serialised as JSON; or why it cannot be (a bad annotation is never rewritten: it is fixed by its author).
 * What Pause and Resume write, through the one writer.
 * @public
 */
export function withRolloutPaused(
  isvc: unknown,
  role: string,
  paused: boolean,
): { annotation: string } | { error: string } {
  const { issues, policies } = readRolloutPolicies(isvc);
  if (issues.length)
    return {
      error: `the rollout annotation has problems; fix them first: ${issues.map(i => `${i.path}: ${i.message}`).join('; ')}`,
    };
  if (!policies[role])
    return { error: `"${role}" is not a role of this service` };
  const raw = (isvc as { metadata?: { annotations?: Record<string, unknown> } })
    .metadata?.annotations?.[ROLLOUT_ANNOTATION];
  // Checked above: absent, or a mapping that parses.
  const given: Record<string, Record<string, unknown>> = typeof raw === 'string'
    ? (parseDocument(raw, { uniqueKeys: true }).toJS({
        maxAliasCount: 10,
      }) as Record<string, Record<string, unknown>>)
    : {};
  given[role] = { ...(given[role] ?? {}), paused };
  return { annotation: JSON.stringify(given) };
}

/** Whether the service labels its pods with their revision, and the problem with the annotation if any. @public */
export function readRevisionLabelling(isvc: unknown): {
  enabled: boolean;
  issues: RolloutPolicyIssue[];
} {
  const meta = isObj(isvc) && isObj(isvc.metadata) ? isvc.metadata : {};
  const raw = isObj(meta.annotations)
    ? meta.annotations[REVISION_LABEL_ANNOTATION]
    : undefined;
  if (raw === undefined || raw === 'false')
    return { enabled: false, issues: [] };
  if (raw === 'true') return { enabled: true, issues: [] };
  return {
    enabled: false,
    issues: [
      {
        path: `metadata.annotations["${REVISION_LABEL_ANNOTATION}"]`,
        message: `Unsupported value: ${JSON.stringify(String(raw).slice(0, 40))}: supported values: "true", "false"`,
      },
    ],
  };
}
