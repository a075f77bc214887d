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
 * Canary by traffic weight (issue 19). A service that carries the annotation `fusioninfer.io/canary` does not move
 * its replicas to a new spec in waves straight away: the new revision first runs as canary replicas behind an
 * InferencePool and endpoint picker of their own, the HTTPRoute sends them a stepped share of the traffic, and each
 * step is gated on the canary's routing metrics. Like the rollout policy, it is an annotation: an extension of the
 * upstream API that no CRD prunes.
 *
 *   metadata:
 *     annotations:
 *       fusioninfer.io/canary: |
 *         steps: [5, 25, 50]
 *         stepSeconds: 120
 *         replicas: 1
 *         minRequests: 5
 *         analysis: { maxTtftP95Seconds: 2, maxTtftP95Ratio: 1.5, maxErrorRate: 0.05, maxQueuePerReplica: 8 }
 *         onBreach: rollback
 */

import { parseDocument } from 'yaml';
import { MAX_LWS_NAME_LENGTH } from '../names';

/** The annotation that carries a service's canary policy. @public */
export const CANARY_ANNOTATION = 'fusioninfer.io/canary';

/**
 * The label that tells a canary service's stable pods (`stable`) from its canary pods (`canary`); the two
 * InferencePools select on it while a canary runs. Present only on services with the canary annotation.
 * @public
 */
export const TRACK_LABEL = 'fusioninfer.io/track';

/** Limits on the canary's routing metrics; a step passes only while none is exceeded. @public */
export interface CanaryAnalysis {
  /** Worst p95 time to first token of a canary endpoint, seconds. */
  maxTtftP95Seconds?: number;
  /** Worst canary TTFT p95 over the worst stable TTFT p95 in the same window. */
  maxTtftP95Ratio?: number;
  /** Share of the canary's OpenAI requests answered 5xx (0–1). */
  maxErrorRate?: number;
  /** Waiting requests per canary replica (mean). */
  maxQueuePerReplica?: number;
}

/** A service's canary policy, defaults filled in. @public */
export interface CanaryPolicy {
  /** Canary traffic weights in percent, increasing, each 1–99; promotion is the step to 100. */
  steps: number[];
  /** How long each step must hold with its gates passing before the next. */
  stepSeconds: number;
  /** Canary replicas per workload role. */
  replicas: number;
  /** A window in which the canary answered fewer requests is recorded but neither passes nor breaches. */
  minRequests: number;
  analysis: CanaryAnalysis;
  /** What a breached gate does: hold the canary where it is, or send all traffic back and remove it. */
  onBreach: 'pause' | 'rollback';
  /** After the last step passes, promote without waiting for a click. */
  autoPromote: boolean;
}

/** A problem with the canary annotation, naming the field and the rule. @public */
export interface CanaryPolicyIssue {
  path: string;
  message: string;
}

/** The defaults: 5 → 25 → 50 % for two minutes each, one canary replica per role, pause on a breach. @public */
export const DEFAULT_CANARY_POLICY: CanaryPolicy = {
  steps: [5, 25, 50],
  stepSeconds: 120,
  replicas: 1,
  minRequests: 5,
  analysis: {},
  onBreach: 'pause',
  autoPromote: false,
};

const MAX_ANNOTATION_BYTES = 16 * 1024;
const KEYS = [
  'steps',
  'stepSeconds',
  'replicas',
  'minRequests',
  'analysis',
  'onBreach',
  'autoPromote',
];
const ANALYSIS_KEYS: Record<keyof CanaryAnalysis, [number, number]> = {
  maxTtftP95Seconds: [0.001, 3600],
  maxTtftP95Ratio: [1, 1000],
  maxErrorRate: [0, 1],
  maxQueuePerReplica: [0, 100000],
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The canary LeaderWorkerSet of replica `index` of `role` (beside `{svc}-{role}-{index}` of the stable replicas). @public */
export function canaryLwsName(svc: string, role: string, index: number) {
  return `${svc}-${role}-canary-${index}`;
}

/**
 * The canary policy of an InferenceService (undefined without the annotation) and the problems of its annotation
 * (JSON or YAML). Never throws; a policy with problems is not used.
 * @public
 */
export function readCanaryPolicy(isvc: unknown): {
  policy?: CanaryPolicy;
  issues: CanaryPolicyIssue[];
} {
  const obj = isObj(isvc) ? isvc : {};
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const raw = annotations[CANARY_ANNOTATION];
  if (raw === undefined) return { issues: [] };
  const path = `metadata.annotations["${CANARY_ANNOTATION}"]`;
  const issues: CanaryPolicyIssue[] = [];
  const issue = (p: string, message: string) =>
    issues.push({ path: p ? `${path}.${p}` : path, message });
  if (typeof raw !== 'string' || raw.length > MAX_ANNOTATION_BYTES) {
    issue(
      '',
      `must be a JSON or YAML mapping of at most ${MAX_ANNOTATION_BYTES} bytes`,
    );
    return { issues };
  }
  let given: unknown;
  if (raw.trim() === '') given = {};
  else
    try {
      const doc = parseDocument(raw, { uniqueKeys: true });
      given = doc.errors.length
        ? undefined
        : (doc.toJS({ maxAliasCount: 10 }) ?? {});
    } catch {
      given = undefined;
    }
  if (!isObj(given)) {
    issue(
      '',
      `must be a mapping of ${KEYS.join(', ')} (an empty value takes the defaults)`,
    );
    return { issues };
  }
  const policy: CanaryPolicy = {
    ...DEFAULT_CANARY_POLICY,
    analysis: {},
  };
  for (const [k, v] of Object.entries(given)) {
    switch (k) {
      case 'steps':
        if (
          !Array.isArray(v) ||
          v.length === 0 ||
          v.length > 20 ||
          !v.every(x => Number.isInteger(x) && x >= 1 && x <= 99)
        )
          issue(
            'steps',
            'must be a list of 1 to 20 whole percentages from 1 to 99 (100 is the promotion)',
          );
        else if (v.some((x, i) => i > 0 && x <= v[i - 1]))
          issue('steps', 'must increase from one step to the next');
        else policy.steps = [...v];
        break;
      case 'stepSeconds':
        if (!Number.isInteger(v) || (v as number) < 10 || (v as number) > 86400)
          issue('stepSeconds', 'must be a whole number from 10 to 86400');
        else policy.stepSeconds = v as number;
        break;
      case 'replicas':
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100)
          issue('replicas', 'must be a whole number from 1 to 100');
        else policy.replicas = v as number;
        break;
      case 'minRequests':
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100000)
          issue('minRequests', 'must be a whole number from 1 to 100000');
        else policy.minRequests = v as number;
        break;
      case 'onBreach':
        if (v !== 'pause' && v !== 'rollback')
          issue('onBreach', 'must be "pause" or "rollback"');
        else policy.onBreach = v;
        break;
      case 'autoPromote':
        if (typeof v !== 'boolean')
          issue('autoPromote', 'must be true or false');
        else policy.autoPromote = v;
        break;
      case 'analysis':
        if (!isObj(v)) {
          issue(
            'analysis',
            `must be a mapping of ${Object.keys(ANALYSIS_KEYS).join(', ')}`,
          );
          break;
        }
        for (const [a, x] of Object.entries(v)) {
          const range = ANALYSIS_KEYS[a as keyof CanaryAnalysis];
          if (!range) {
            issue(
              `analysis.${a}`,
              `is not a canary limit (${Object.keys(ANALYSIS_KEYS).join(', ')})`,
            );
            continue;
          }
          if (typeof x !== 'number' || !(x >= range[0] && x <= range[1]))
            issue(
              `analysis.${a}`,
              `must be a number from ${range[0]} to ${range[1]}`,
            );
          else policy.analysis[a as keyof CanaryAnalysis] = x;
        }
        break;
      default:
        issue(k, `is not a canary setting (${KEYS.join(', ')})`);
    }
  }
  // The canary LeaderWorkerSets are named like the stable ones with "-canary"; the same length limit holds.
  const svc = typeof meta.name === 'string' ? meta.name : '';
  const spec = isObj(obj.spec) ? obj.spec : {};
  const roles = Array.isArray(spec.roles) ? spec.roles.slice(0, 1000) : [];
  if (!roles.some(r => isObj(r) && r.componentType === 'router'))
    issue(
      '',
      'a canary needs a router role: its HTTPRoute is what splits the traffic between the stable and the canary pool',
    );
  for (const r of roles) {
    if (!isObj(r) || typeof r.name !== 'string') continue;
    if (r.componentType === 'router') continue;
    const longest = canaryLwsName(svc, r.name, policy.replicas - 1);
    if (longest.length > MAX_LWS_NAME_LENGTH)
      issue(
        '',
        `the canary LeaderWorkerSet name "${longest}" (${longest.length} characters) would be longer than ${MAX_LWS_NAME_LENGTH}; shorten metadata.name or the role name "${r.name}"`,
      );
  }
  return issues.length ? { issues } : { policy, issues };
}
