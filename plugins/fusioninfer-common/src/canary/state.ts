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
 * Where a canary stands, as a pure state machine. The state lives on the InferenceService in the annotation
 * `fusioninfer.io/canary-status` (the upstream CRD's status schema would prune it), written by the backend's canary
 * controller (steps, gates) and by the Promote / Roll back / Pause / Resume commands through the one writer, like the
 * Deployment controller's `deployment.kubernetes.io/revision`. The reconciler only reads it ({@link canaryMode}).
 */

import { specHash } from '../hash';
import { CanaryAnalysis, CanaryPolicy } from './policy';

/** The annotation that carries the canary's state (written by the backend). @public */
export const CANARY_STATUS_ANNOTATION = 'fusioninfer.io/canary-status';

/** The phases of a canary. @public */
export type CanaryPhase =
  | 'Starting'
  | 'Progressing'
  | 'Paused'
  | 'AwaitingPromotion'
  | 'Promoting'
  | 'Complete'
  | 'RolledBack';

/** One evaluation of the gates. @public */
export interface CanaryCheck {
  at: string;
  weight: number;
  /** Worst canary TTFT p95 (s), worst stable TTFT p95 in the same window, canary 5xx share, mean queue. */
  ttftP95?: number;
  stableTtftP95?: number;
  errorRate?: number;
  queuePerReplica?: number;
  /** Requests the canary finished in the window (0: nothing to judge). */
  requests?: number;
  /** The limits exceeded, in words (empty: healthy). */
  breaches: string[];
  /** Why the window was not judged (too few canary requests). */
  note?: string;
}

/** One thing that happened to the canary (the timeline). @public */
export interface CanaryEvent {
  at: string;
  phase: CanaryPhase;
  weight: number;
  message: string;
  /** Who: a user entity ref, or `canary-controller`. */
  by?: string;
}

/** The state of a service's canary. @public */
export interface CanaryStatus {
  /** The workload revision the canary runs ({@link workloadRevision}). */
  revision: string;
  phase: CanaryPhase;
  /** Index into the policy's steps (-1 before the first). */
  step: number;
  /** The canary's traffic weight in percent now. */
  weight: number;
  /** When the phase or step began. */
  since: string;
  /** Passing checks with traffic in the current step. */
  passed: number;
  /** Why it holds, in words. */
  reason?: string;
  /** The latest checks, newest last (at most 20). */
  checks: CanaryCheck[];
  /** The timeline, newest last (at most 40). */
  events: CanaryEvent[];
}

const MAX_CHECKS = 20;
const MAX_EVENTS = 40;
const PHASES: CanaryPhase[] = [
  'Starting',
  'Progressing',
  'Paused',
  'AwaitingPromotion',
  'Promoting',
  'Complete',
  'RolledBack',
];
/** Phases in which the canary's replicas run. @public */
export const CANARY_ACTIVE_PHASES: readonly CanaryPhase[] = [
  'Starting',
  'Progressing',
  'Paused',
  'AwaitingPromotion',
  'Promoting',
];

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const str = (v: unknown, max = 2000) =>
  typeof v === 'string' ? v.slice(0, max) : undefined;

/**
 * The revision of a service's workloads: the hash of its worker, prefiller and decoder roles without their replica
 * counts (scaling is not a new revision; the router is not part of the canary).
 * @public
 */
export function workloadRevision(isvc: unknown): string {
  const spec = isObj(isvc) && isObj(isvc.spec) ? isvc.spec : {};
  const roles = Array.isArray(spec.roles) ? spec.roles : [];
  return specHash(
    roles
      .filter(r => isObj(r) && r.componentType !== 'router')
      .map(r => {
        const { replicas: _replicas, ...rest } = r as Record<string, unknown>;
        return rest;
      }),
  );
}

/** The canary state of a service, or undefined (absent or unreadable: the controller starts afresh). Never throws. @public */
export function readCanaryStatus(isvc: unknown): CanaryStatus | undefined {
  const meta = isObj(isvc) && isObj(isvc.metadata) ? isvc.metadata : {};
  const raw = isObj(meta.annotations)
    ? meta.annotations[CANARY_STATUS_ANNOTATION]
    : undefined;
  if (typeof raw !== 'string' || raw.length > 64 * 1024) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObj(v)) return undefined;
  const phase = PHASES.find(p => p === v.phase);
  const revision = str(v.revision, 100);
  const since = str(v.since, 40);
  if (!phase || !revision || !since) return undefined;
  const checks = (Array.isArray(v.checks) ? v.checks : [])
    .filter(isObj)
    .slice(-MAX_CHECKS)
    .map((c): CanaryCheck => ({
      at: str(c.at, 40) ?? '',
      weight: num(c.weight) ?? 0,
      ...(num(c.ttftP95) !== undefined ? { ttftP95: num(c.ttftP95) } : {}),
      ...(num(c.stableTtftP95) !== undefined
        ? { stableTtftP95: num(c.stableTtftP95) }
        : {}),
      ...(num(c.errorRate) !== undefined
        ? { errorRate: num(c.errorRate) }
        : {}),
      ...(num(c.queuePerReplica) !== undefined
        ? { queuePerReplica: num(c.queuePerReplica) }
        : {}),
      ...(num(c.requests) !== undefined ? { requests: num(c.requests) } : {}),
      breaches: (Array.isArray(c.breaches) ? c.breaches : [])
        .map(b => str(b, 300))
        .filter((b): b is string => !!b)
        .slice(0, 5),
      ...(str(c.note, 300) ? { note: str(c.note, 300) } : {}),
    }));
  const events = (Array.isArray(v.events) ? v.events : [])
    .filter(isObj)
    .slice(-MAX_EVENTS)
    .map((e): CanaryEvent => ({
      at: str(e.at, 40) ?? '',
      phase: PHASES.find(p => p === e.phase) ?? phase,
      weight: num(e.weight) ?? 0,
      message: str(e.message, 500) ?? '',
      ...(str(e.by, 200) ? { by: str(e.by, 200) } : {}),
    }));
  const reason = str(v.reason, 1000);
  return {
    revision,
    phase,
    step: Math.max(-1, Math.trunc(num(v.step) ?? -1)),
    weight: Math.min(100, Math.max(0, num(v.weight) ?? 0)),
    since,
    passed: Math.max(0, Math.trunc(num(v.passed) ?? 0)),
    ...(reason ? { reason } : {}),
    checks,
    events,
  };
}

/** The annotation value of a canary state (bounded: old checks and events dropped). @public */
export function serializeCanaryStatus(s: CanaryStatus): string {
  return JSON.stringify({
    ...s,
    checks: s.checks.slice(-MAX_CHECKS),
    events: s.events.slice(-MAX_EVENTS),
  });
}

/** What the reconciler does for a canary service now. @public */
export interface CanaryMode {
  /** Render the canary's replicas, pool and endpoint picker. */
  renderCanary: boolean;
  /** The canary's share of the HTTPRoute (0: the route as upstream renders it, one backend). */
  weight: number;
  /** Keep every stable replica at its live spec (no wave moves). */
  holdStable: boolean;
  /** Why, in words (for the rollout condition). */
  reason?: string;
  /** The canary is active or pending for this revision. */
  active: boolean;
}

/** What the reconciler knows of the cluster for a canary. @public */
export interface CanaryObservation {
  /** A live stable replica runs another spec than the rendered one. */
  stableOutdated: boolean;
  /** Every live stable replica's pods carry `fusioninfer.io/track: stable`, so a second pool can exclude them. */
  stableTracked: boolean;
}

/**
 * What the reconciler renders for a canary service, from its policy, its state and the cluster: pure, so the
 * reconciler never writes the state. A new revision whose stable pods are tracked starts a canary at weight 0 before
 * the controller records it (no wave moves meanwhile); a rolled-back revision keeps the stable replicas as they run.
 * @public
 */
export function canaryMode(
  policy: CanaryPolicy | undefined,
  status: CanaryStatus | undefined,
  revision: string,
  seen: CanaryObservation,
): CanaryMode {
  const none: CanaryMode = {
    renderCanary: false,
    weight: 0,
    holdStable: false,
    active: false,
  };
  if (!policy) return none;
  if (status && status.revision === revision) {
    switch (status.phase) {
      case 'Complete':
        return none;
      case 'RolledBack':
        return {
          ...none,
          holdStable: seen.stableOutdated,
          reason: `the canary of this revision was rolled back${status.reason ? ` (${status.reason})` : ''}; the stable replicas keep their spec until the spec changes or the canary is resumed`,
        };
      case 'Promoting':
        return {
          renderCanary: true,
          weight: status.weight,
          holdStable: false,
          active: true,
          reason: 'promoting: the stable replicas move to the canary revision',
        };
      default:
        return {
          renderCanary: true,
          weight: status.weight,
          holdStable: true,
          active: true,
          reason: `canary ${status.phase.toLowerCase()} at ${status.weight} % of the traffic${status.reason ? `: ${status.reason}` : ''}`,
        };
    }
  }
  if (!seen.stableOutdated) return none;
  if (!seen.stableTracked)
    return {
      ...none,
      reason: `the stable pods do not carry ${'fusioninfer.io/track'}=stable yet (the canary annotation is new): this change rolls out in waves; later changes start as canaries`,
    };
  return {
    renderCanary: true,
    weight: 0,
    holdStable: true,
    active: true,
    reason: 'canary starting: its replicas come up before any traffic moves',
  };
}

/** The canary's numbers in one metrics window. @public */
export interface CanarySample {
  /** Worst TTFT p95 of a canary endpoint, seconds. */
  ttftP95?: number;
  /** Worst TTFT p95 of a stable endpoint, seconds. */
  stableTtftP95?: number;
  errorRate?: number;
  queuePerReplica?: number;
  /** Requests the canary finished in the window. */
  requests?: number;
}

/** The limits a sample exceeds, in words. @public */
export function canaryBreaches(
  analysis: CanaryAnalysis,
  s: CanarySample,
): string[] {
  const out: string[] = [];
  const f = (x: number) => (Math.round(x * 1000) / 1000).toString();
  if (
    analysis.maxTtftP95Seconds !== undefined &&
    s.ttftP95 !== undefined &&
    s.ttftP95 > analysis.maxTtftP95Seconds
  )
    out.push(`TTFT p95 ${f(s.ttftP95)} s > ${f(analysis.maxTtftP95Seconds)} s`);
  if (
    analysis.maxTtftP95Ratio !== undefined &&
    s.ttftP95 !== undefined &&
    s.stableTtftP95 !== undefined &&
    s.stableTtftP95 > 0 &&
    s.ttftP95 / s.stableTtftP95 > analysis.maxTtftP95Ratio
  )
    out.push(
      `TTFT p95 ${f(s.ttftP95)} s is ${f(s.ttftP95 / s.stableTtftP95)}× the stable ${f(s.stableTtftP95)} s > ${f(analysis.maxTtftP95Ratio)}×`,
    );
  if (
    analysis.maxErrorRate !== undefined &&
    s.errorRate !== undefined &&
    s.errorRate > analysis.maxErrorRate
  )
    out.push(
      `error rate ${f(s.errorRate * 100)} % > ${f(analysis.maxErrorRate * 100)} %`,
    );
  if (
    analysis.maxQueuePerReplica !== undefined &&
    s.queuePerReplica !== undefined &&
    s.queuePerReplica > analysis.maxQueuePerReplica
  )
    out.push(
      `queue ${f(s.queuePerReplica)} per replica > ${f(analysis.maxQueuePerReplica)}`,
    );
  return out;
}

/** What the controller sees at one evaluation. @public */
export interface CanaryTickInput {
  policy: CanaryPolicy;
  status?: CanaryStatus;
  revision: string;
  seen: CanaryObservation;
  /** Every canary replica is Ready. */
  canaryReady: boolean;
  /** Every stable replica runs the revision and is Ready (the promotion is done). */
  stablePromoted: boolean;
  /** A new metrics window since the last check (undefined: none yet). */
  sample?: CanarySample;
  /** Why the Gateway cannot split the traffic (no parent, or a parent refused two weighted pools). */
  gatewayProblem?: string;
  now: number;
}

const CONTROLLER = 'canary-controller';
const NO_TRAFFIC =
  'no window of this step saw enough canary requests to be judged yet: a step passes only on a judged, passing check';

function evented(
  s: CanaryStatus,
  at: string,
  message: string,
  by = CONTROLLER,
): CanaryStatus {
  return {
    ...s,
    events: [
      ...s.events,
      { at, phase: s.phase, weight: s.weight, message, by },
    ].slice(-MAX_EVENTS),
  };
}

/**
 * One evaluation by the canary controller: the next state, or the same object when nothing changes (so the caller
 * writes only on change). Starts a canary for a new tracked revision, gives it its first weight once its replicas are
 * Ready, checks each metrics window against the limits (a breach pauses, or rolls back when so configured), moves to
 * the next step after `stepSeconds` with at least one passing check that saw traffic, waits for (or with
 * `autoPromote` starts) the promotion after the last step, and completes the promotion when every stable replica runs
 * the revision.
 * @public
 */
export function tickCanary(input: CanaryTickInput): CanaryStatus | undefined {
  const { policy, revision, seen, now } = input;
  const at = new Date(now).toISOString();
  let s = input.status;
  if (!s || s.revision !== revision) {
    const mode = canaryMode(policy, undefined, revision, seen);
    if (!mode.active) return s;
    return evented(
      {
        revision,
        phase: 'Starting',
        step: -1,
        weight: 0,
        since: at,
        passed: 0,
        reason: `waiting for ${policy.replicas} canary ${policy.replicas === 1 ? 'replica' : 'replicas'} per role to be Ready`,
        checks: [],
        events: [],
      },
      at,
      `canary of revision ${revision} started`,
    );
  }
  const stepMs = policy.stepSeconds * 1000;
  switch (s.phase) {
    case 'Starting': {
      if (!input.canaryReady) return s;
      if (input.gatewayProblem) return pauseFor(s, at, input.gatewayProblem);
      s = {
        ...s,
        phase: 'Progressing',
        step: 0,
        weight: policy.steps[0],
        since: at,
        passed: 0,
        reason: undefined,
      };
      return evented(s, at, `canary Ready: ${s.weight} % of the traffic`);
    }
    case 'Promoting': {
      if (!input.stablePromoted) return s;
      s = {
        ...s,
        phase: 'Complete',
        weight: 0,
        since: at,
        reason: undefined,
      };
      return evented(
        s,
        at,
        'promoted: every stable replica runs the revision; all traffic on the stable pool, canary replicas removed',
      );
    }
    case 'Complete':
    case 'RolledBack':
      return s;
    default:
      break;
  }
  // Progressing, Paused, AwaitingPromotion: the gates are checked in every new window.
  if (input.gatewayProblem && s.phase === 'Progressing')
    return pauseFor(s, at, input.gatewayProblem);
  if (input.sample) {
    // A p95 or a share over a handful of requests says nothing: such a window is recorded, not judged.
    const requests = input.sample.requests ?? 0;
    const judged = requests >= policy.minRequests;
    const breaches = judged
      ? canaryBreaches(policy.analysis, input.sample)
      : [];
    const check: CanaryCheck = {
      at,
      weight: s.weight,
      ...input.sample,
      breaches,
      ...(judged
        ? {}
        : {
            note: `${requests} canary ${requests === 1 ? 'request' : 'requests'}, fewer than ${policy.minRequests}: not judged`,
          }),
    };
    // A window without any canary request after another such window at the same weight is no news: not recorded,
    // so an idle canary writes nothing.
    const last = s.checks.at(-1);
    const idle =
      requests === 0 &&
      !!last &&
      (last.requests ?? 0) === 0 &&
      last.weight === s.weight;
    if (!idle) s = { ...s, checks: [...s.checks, check].slice(-MAX_CHECKS) };
    if (breaches.length) {
      if (policy.onBreach === 'rollback')
        return evented(
          {
            ...s,
            phase: 'RolledBack',
            weight: 0,
            since: at,
            reason: breaches.join('; '),
          },
          at,
          `rolled back: ${breaches.join('; ')}`,
        );
      if (s.phase === 'Progressing')
        return pauseFor(s, at, breaches.join('; '));
      return { ...s, reason: breaches.join('; ') };
    }
    if (s.phase === 'Progressing' && judged) s = { ...s, passed: s.passed + 1 };
  }
  if (s.phase !== 'Progressing') return s;
  if (now - Date.parse(s.since) < stepMs) return s;
  if (s.passed === 0)
    return s.reason === NO_TRAFFIC ? s : { ...s, reason: NO_TRAFFIC };
  if (s.step + 1 < policy.steps.length) {
    s = {
      ...s,
      step: s.step + 1,
      weight: policy.steps[s.step + 1],
      since: at,
      passed: 0,
      reason: undefined,
    };
    return evented(
      s,
      at,
      `step ${s.step + 1} of ${policy.steps.length}: ${s.weight} %`,
    );
  }
  if (policy.autoPromote) {
    s = { ...s, phase: 'Promoting', since: at, reason: undefined };
    return evented(s, at, 'every step passed: promoting (autoPromote)');
  }
  s = {
    ...s,
    phase: 'AwaitingPromotion',
    since: at,
    reason:
      'every step passed: promote to move the stable replicas to this revision',
  };
  return evented(s, at, 'every step passed; waiting for a promotion');
}

function pauseFor(s: CanaryStatus, at: string, why: string): CanaryStatus {
  return evented(
    { ...s, phase: 'Paused', since: at, reason: why },
    at,
    `paused: ${why}`,
  );
}

/** A person's command on a canary. @public */
export type CanaryCommand = 'promote' | 'rollback' | 'pause' | 'resume';

/**
 * The state after a command, or why it cannot apply now. Promote: from a running canary whose replicas are Ready, to
 * the promotion (the stable replicas move in waves, the canary keeps its weight until they are done). Roll back: all
 * traffic back to the stable pool and the canary removed (not once the promotion moves stable replicas: revert the
 * spec then). Pause holds the weight; resume goes on from the same step, or starts a rolled-back canary again.
 * @public
 */
export function applyCanaryCommand(
  status: CanaryStatus | undefined,
  revision: string,
  command: CanaryCommand,
  by: string,
  now: number,
): { status: CanaryStatus } | { error: string } {
  const at = new Date(now).toISOString();
  if (!status || status.revision !== revision)
    return {
      error:
        'no canary runs for the current revision of this service (a canary starts when the spec of its workloads changes)',
    };
  const p = status.phase;
  const done = (s: CanaryStatus, message: string) => ({
    status: evented(s, at, message, by),
  });
  switch (command) {
    case 'rollback':
      if (p === 'RolledBack' || p === 'Complete')
        return {
          error: `the canary is already ${p === 'Complete' ? 'promoted' : 'rolled back'}`,
        };
      if (p === 'Promoting')
        return {
          error:
            'the promotion is moving the stable replicas to this revision; revert the spec to go back',
        };
      return done(
        {
          ...status,
          phase: 'RolledBack',
          weight: 0,
          since: at,
          reason: `rolled back by ${by}`,
        },
        'rolled back: all traffic to the stable pool, canary replicas removed',
      );
    case 'promote':
      if (p === 'Starting')
        return { error: 'the canary replicas are not Ready yet' };
      if (p === 'Promoting' || p === 'Complete')
        return { error: 'the canary is already promoted' };
      if (p === 'RolledBack')
        return { error: 'the canary was rolled back; resume it first' };
      return done(
        { ...status, phase: 'Promoting', since: at, reason: undefined },
        `promotion started by ${by}`,
      );
    case 'pause':
      if (p !== 'Progressing' && p !== 'Starting')
        return { error: `the canary is ${p}, not running` };
      return done(
        { ...status, phase: 'Paused', since: at, reason: `paused by ${by}` },
        `paused by ${by}`,
      );
    case 'resume':
      if (p === 'RolledBack')
        return done(
          {
            ...status,
            phase: 'Starting',
            step: -1,
            weight: 0,
            since: at,
            passed: 0,
            reason:
              'started again: waiting for the canary replicas to be Ready',
          },
          `started again by ${by}`,
        );
      if (p !== 'Paused') return { error: `the canary is ${p}, not paused` };
      return done(
        {
          ...status,
          phase: status.step < 0 ? 'Starting' : 'Progressing',
          since: at,
          passed: 0,
          reason: undefined,
        },
        `resumed by ${by}`,
      );
    default:
      return { error: `unknown command ${String(command)}` };
  }
}
