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
  VOLCANO_SCHEDULER,
} from '../constants';
import { inferenceServiceCrd } from '../crd/inferenceServiceCrd';
import { dns1035LabelProblems, dns1123LabelProblems } from '../names';
import { InferenceServiceLimits, LIMITS, limitIssues } from '../limits';
import {
  JSONSchemaProps,
  pruneStructural,
  validateStructural,
} from '../schema';
import {
  describeValue,
  isObj,
  Report,
  trunc,
  ValidationIssue,
  ValidationResult,
} from './issues';
import { checkRoles } from './roles';
import { readCanaryPolicy } from '../canary/policy';
import { readRevisionLabelling, readRolloutPolicies } from '../rollout/policy';
import { readAutoscalingPolicies } from '../autoscaling/policy';

export { formatIssue } from './issues';
export type { ValidationIssue, ValidationResult } from './issues';

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

const ROOT_SCHEMA = inferenceServiceCrd.spec.versions[0].schema!
  .openAPIV3Schema as JSONSchemaProps;

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

function check(
  obj: unknown,
  error: Report,
  warn: Report,
  limitPaths: ReadonlySet<string>,
): void {
  if (!isObj(obj)) {
    error(
      '',
      `must be an InferenceService object (apiVersion ${INFERENCE_SERVICE_API_VERSION}, kind ${INFERENCE_SERVICE_KIND}), got ${describeValue(obj)}`,
    );
    return;
  }
  if (obj.apiVersion !== INFERENCE_SERVICE_API_VERSION) {
    error(
      'apiVersion',
      `must be "${INFERENCE_SERVICE_API_VERSION}", got ${describeValue(obj.apiVersion)}`,
    );
  }
  if (obj.kind !== INFERENCE_SERVICE_KIND) {
    error(
      'kind',
      `must be "${INFERENCE_SERVICE_KIND}", got ${describeValue(obj.kind)}`,
    );
  }

  const svc = checkMetadata(obj.metadata, error);
  checkSchema(obj, error, limitPaths);

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
  checkRoles(spec.roles, svc, error, warn);
  // The rollout policies of the annotation (issue 19): a rollout that could never move is refused here.
  for (const issue of readRolloutPolicies(obj).issues)
    error(issue.path, issue.message);
  for (const issue of readRevisionLabelling(obj).issues)
    error(issue.path, issue.message);
  // The canary policy of the annotation (issue 19): steps, limits, a router to weigh, canary names that fit.
  for (const issue of readCanaryPolicy(obj).issues)
    error(issue.path, issue.message);
  // The autoscaling policies of the annotation (issue 20): bounds, signal and target naming the field.
  const autoscaling = readAutoscalingPolicies(obj);
  for (const issue of autoscaling.issues) error(issue.path, issue.message);
  for (const w of autoscaling.warnings) warn(w.path, w.message);
}

/** Checks `metadata` (name, namespace, labels, annotations); returns the service name, or '' when it has none. */
function checkMetadata(md: unknown, error: Report): string {
  if (!isObj(md)) {
    error('metadata', 'Required value: metadata with a name is required');
    return '';
  }
  let svc = '';
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
      error(`metadata.${key}`, 'must be a map of string keys to string values');
    }
  }
  return svc;
}

/** What the API server would reject by the CRD schema, and what it would silently drop. */
function checkSchema(
  obj: Record<string, unknown>,
  error: Report,
  limitPaths: ReadonlySet<string>,
): void {
  for (const issue of validateStructural(ROOT_SCHEMA, obj)) {
    if (
      issue.path === 'metadata' ||
      issue.path.startsWith('metadata.') ||
      issue.path === 'apiVersion' ||
      issue.path === 'kind'
    )
      continue;
    // Role names (pattern, uniqueness) get a more specific message from checkRoles.
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
}
