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
 * One autoscaling decision per role, with the Kubernetes HorizontalPodAutoscaler's semantics: desired =
 * ceil(current × value / target), nothing within the tolerance, up at once, down to the highest recommendation of the
 * stabilisation window; then what this suite adds: a cooldown between changes (and between reversals the window
 * itself), the P/D ratio, scale to zero after an idle period, the project's GPU quota and whether the gang still fits
 * the cluster. Pure: the backend reads the metrics, the quota and the cluster and acts on the answer.
 */

import { preflight } from '../preflight/preflight';
import type { ClusterSnapshot } from '../preflight/preflight';
import { summarizeInferenceService } from '../render/summary';
import type { RoutingAggregate } from '../metrics/types';
import {
  AUTOSCALING_SIGNALS,
  AutoscalingMode,
  AutoscalingPolicyIssue,
  AutoscalingSignal,
  readAutoscalingPolicies,
  RoleAutoscalingPolicy,
} from './policy';

/** What a role's model servers say now: the collector's aggregate of the role (`RoutingAggregate`). @public */
export type AutoscalingRoleSample = Pick<
  RoutingAggregate,
  | 'reporting'
  | 'waiting'
  | 'running'
  | 'kvCacheUsage'
  | 'promptTokensPerSecond'
  | 'requestRate'
>;

/** The samples of one decision, by role name. @public */
export type AutoscalingSamples = Record<
  string,
  AutoscalingRoleSample | undefined
>;

/** What the autoscaler remembers of a role between decisions. @public */
export interface AutoscalingRoleState {
  /** Recommendations (within min/max) of the last stabilisation window, oldest first, `at` in ms. */
  recommendations: Array<{ at: number; replicas: number }>;
  /** The replicas seen at the last decision (a different value now is a change somebody made). */
  replicas?: number;
  /** The last change of the role's replicas, by the autoscaler or anybody else. */
  lastChange?: { at: number; from: number; to: number };
  /** Since when the role has served nothing (ms). */
  idleSince?: number;
}

/** The state of one service, by role name. @public */
export type AutoscalingState = Record<string, AutoscalingRoleState>;

/** Why a decision does not (fully) happen now. @public */
export type AutoscalingBlockReason =
  | 'no-signal'
  | 'max'
  | 'stabilization'
  | 'cooldown'
  | 'ratio'
  | 'quota'
  | 'gang-cannot-fit'
  | 'approval-pending'
  | 'at-zero';

/** One thing that blocks or limits a decision, in words. @public */
export interface AutoscalingBlock {
  reason: AutoscalingBlockReason;
  message: string;
}

/** The decision for one role. @public */
export interface AutoscalingRoleDecision {
  role: string;
  mode: AutoscalingMode;
  signal: AutoscalingSignal;
  /** The signal as measured (absent: no signal). */
  value?: number;
  target: number;
  minReplicas: number;
  maxReplicas: number;
  /** Replicas of the role's spec now. */
  current: number;
  /** What the signal alone asks for (ceil(current × value / target), or current within the tolerance). */
  desired?: number;
  /** The recommendation: desired within min/max, stabilised, in P/D ratio, zero when idle long enough. */
  recommendation: number;
  /** What to set now: the recommendation within the quota and the cluster, or current when held. */
  next: number;
  blockedBy: AutoscalingBlock[];
  /** The decision in one sentence. */
  summary: string;
}

/** What {@link decide} knows besides the samples. @public */
export interface AutoscalingContext {
  /** The InferenceService as it is now (its roles' replicas, what a replica needs). */
  service: unknown;
  /** The cluster now, the service's own pods counted as free (absent: fit unknown, not checked). */
  snapshot?: ClusterSnapshot;
  /** GPUs the service's team project may still add in the cluster (absent: no quota). */
  quotaGpusLeft?: number;
  /** An approval request of the autoscaler for this service that is still pending (its id). */
  approvalPending?: string;
  /** Accelerator resources counted as GPUs (the governance configuration; default: the built-in list). */
  acceleratorResources?: string[];
}

/** One decision of a service: per role, the new state and the changes to make. @public */
export interface AutoscalingDecision {
  at: number;
  roles: AutoscalingRoleDecision[];
  state: AutoscalingState;
  /** Roles whose replicas change now (`next` ≠ `current`), acting or advisory. */
  changes: Array<{
    role: string;
    from: number;
    to: number;
    mode: AutoscalingMode;
  }>;
  /** Problems of the annotation: nothing is decided while there are any. */
  issues: AutoscalingPolicyIssue[];
}

const round = (v: number, digits = 3) =>
  Math.round(v * 10 ** digits) / 10 ** digits;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const seconds = (ms: number) =>
  ms >= 120_000
    ? `${Math.round(ms / 60_000)} min`
    : `${Math.max(0, Math.round(ms / 1000))} s`;

/**
 * The value of a signal from a role's sample, as its replicas report it (absent: the role has no reporting replica or
 * the metric is missing). `prefillBacklogSeconds` is the prompt tokens of the waiting requests (waiting × the mean
 * prompt tokens per finished request in the window) over the role's measured prompt tokens per second: 0 with
 * nothing waiting, absent while requests wait and nothing was measured.
 * @public
 */
export function autoscalingSignalValue(
  signal: AutoscalingSignal,
  sample: AutoscalingRoleSample | undefined,
): number | undefined {
  if (!sample || sample.reporting <= 0) return undefined;
  if (signal === 'kvCacheUsage')
    return sample.kvCacheUsage === undefined
      ? undefined
      : round(sample.kvCacheUsage, 4);
  if (sample.waiting === undefined) return undefined;
  if (signal === 'waitingRequests')
    return round(sample.waiting / sample.reporting);
  if (sample.waiting === 0) return 0;
  const tokensPerSecond = sample.promptTokensPerSecond ?? 0;
  const requestsPerSecond = sample.requestRate ?? 0;
  if (tokensPerSecond <= 0 || requestsPerSecond <= 0) return undefined;
  const promptTokensWaiting =
    sample.waiting * (tokensPerSecond / requestsPerSecond);
  return round(promptTokensWaiting / tokensPerSecond);
}

/** Records a change the autoscaler made (after the write succeeded): the cooldown counts from it. @public */
export function recordAutoscalingChange(
  state: AutoscalingState,
  role: string,
  change: { from: number; to: number; at: number },
): AutoscalingState {
  const prev = state[role] ?? { recommendations: [] };
  return {
    ...state,
    [role]: {
      ...prev,
      replicas: change.to,
      lastChange: { at: change.at, from: change.from, to: change.to },
    },
  };
}

interface Working {
  role: string;
  policy: RoleAutoscalingPolicy;
  current: number;
  value?: number;
  desired?: number;
  recommendation: number;
  next: number;
  blocks: AutoscalingBlock[];
  zero: boolean;
  state: AutoscalingRoleState;
  gpusPerReplica: number;
}

/**
 * Decides, for every role with an autoscaling policy, how many replicas it should have now (see the file comment).
 * `samples` are the roles' metrics now, `state` what the previous decision returned (`{}` at first), `now` in ms.
 * Pure; never throws.
 * @public
 */
export function decide(
  samples: AutoscalingSamples,
  state: AutoscalingState,
  policy: ReturnType<typeof readAutoscalingPolicies> | undefined,
  now: number,
  context: AutoscalingContext,
): AutoscalingDecision {
  const read = policy ?? readAutoscalingPolicies(context.service);
  if (read.issues.length)
    return { at: now, roles: [], state, changes: [], issues: read.issues };
  const service = context.service as {
    spec?: { roles?: Array<{ name?: string; replicas?: number }> };
  };
  const specRoles = Array.isArray(service?.spec?.roles)
    ? service.spec!.roles!
    : [];
  const summary = summarizeInferenceService(context.service, {
    ...(context.acceleratorResources
      ? { acceleratorResources: context.acceleratorResources }
      : {}),
  });
  const work: Working[] = [];
  for (const [role, p] of Object.entries(read.policies)) {
    const spec = specRoles.find(r => r?.name === role);
    if (!spec) continue;
    const current = Number.isInteger(spec.replicas)
      ? Math.max(0, spec.replicas!)
      : 1;
    const prev = state[role] ?? { recommendations: [] };
    const s: AutoscalingRoleState = {
      recommendations: prev.recommendations.filter(
        r => r.at > now - p.scaleDownStabilizationSeconds * 1000,
      ),
      replicas: current,
      ...(prev.lastChange ? { lastChange: prev.lastChange } : {}),
      ...(prev.idleSince !== undefined ? { idleSince: prev.idleSince } : {}),
    };
    // A change somebody else made (a person, an approval executed later) starts the cooldown as the autoscaler's do.
    if (prev.replicas !== undefined && prev.replicas !== current)
      s.lastChange = { at: now, from: prev.replicas, to: current };
    const rs = summary.roles.find(r => r.name === role);
    const w: Working = {
      role,
      policy: p,
      current,
      recommendation: current,
      next: current,
      blocks: [],
      zero: false,
      state: s,
      gpusPerReplica: rs ? rs.gpusPerPod * rs.nodesPerReplica : 0,
    };
    work.push(w);
    const sample = samples[role];
    w.value = autoscalingSignalValue(p.signal, sample);
    const idle =
      !!sample &&
      sample.reporting > 0 &&
      (sample.waiting ?? 0) === 0 &&
      (sample.running ?? 0) === 0 &&
      (sample.requestRate ?? 0) === 0;
    if (current > 0) {
      if (idle) s.idleSince = s.idleSince ?? now;
      else delete s.idleSince;
    }
    if (current === 0) {
      // Nothing runs, so nothing measures demand: back from zero needs a gateway that holds requests.
      w.blocks.push({
        reason: 'at-zero',
        message: p.scaleToZeroAfterIdleMinutes
          ? "scaled to zero: a replica comes back only through a gateway that holds the first request (not the development cluster's) or when somebody scales the role"
          : 'the role has 0 replicas: autoscaling resumes once somebody scales it up',
      });
      continue;
    }
    if (w.value === undefined) {
      w.blocks.push({
        reason: 'no-signal',
        message: `no ${AUTOSCALING_SIGNALS[p.signal].description} measured (no replica reports ${AUTOSCALING_SIGNALS[p.signal].metric}${p.signal === 'prefillBacklogSeconds' ? ', or requests wait while no prefill throughput was measured' : ''}); replicas unchanged`,
      });
    } else {
      // Replicas that report nothing (starting, unreachable) count as the HPA counts missing pods: as idle when the
      // signal says up (new replicas are not counted twice), as on target when it says down.
      const reporting = Math.min(samples[role]!.reporting, current);
      let v = w.value;
      if (reporting < current) {
        if (v > p.target) v = (v * reporting) / current;
        else if (v < p.target)
          v = (v * reporting + p.target * (current - reporting)) / current;
      }
      const ratio = v / p.target;
      w.desired =
        Math.abs(ratio - 1) <= p.tolerance
          ? current
          : Math.ceil(round(current * ratio, 6));
    }
    const wanted = w.desired ?? current;
    let bounded = Math.min(p.maxReplicas, Math.max(p.minReplicas, wanted));
    if (wanted > p.maxReplicas)
      w.blocks.push({
        reason: 'max',
        message: `the signal asks for ${wanted} replicas; the maximum is ${p.maxReplicas}`,
      });
    // Without a signal the replicas stay, within the bounds (as the HPA brings a role above its maximum down).
    if (w.desired === undefined)
      bounded = Math.min(p.maxReplicas, Math.max(p.minReplicas, current));
    s.recommendations.push({ at: now, replicas: bounded });
    let rec = bounded;
    if (bounded < current) {
      // Down only as far as the highest recommendation of the window allows.
      const highest = Math.max(...s.recommendations.map(r => r.replicas));
      // Recommendations recorded under an earlier, higher maximum never lift it above the maximum now.
      rec = Math.min(current, p.maxReplicas, Math.max(bounded, highest));
      if (rec > bounded)
        w.blocks.push({
          reason: 'stabilization',
          message: `scale-down to ${bounded} waits: the highest recommendation of the last ${seconds(p.scaleDownStabilizationSeconds * 1000)} is ${highest}`,
        });
    }
    if (
      p.scaleToZeroAfterIdleMinutes !== undefined &&
      s.idleSince !== undefined &&
      now - s.idleSince >= p.scaleToZeroAfterIdleMinutes * 60_000
    ) {
      // The idle period is this decision's own stabilisation.
      w.zero = true;
      rec = 0;
    }
    w.recommendation = rec;
  }

  // Scale to zero together: a P/D pair goes to zero only when both roles have been idle long enough.
  const pd = read.pdRatio;
  const pW = pd && work.find(w => w.role === pd.prefill);
  const dW = pd && work.find(w => w.role === pd.decode);
  if (pW && dW && pW.zero !== dW.zero) {
    for (const w of [pW, dW])
      if (w.zero) {
        w.zero = false;
        w.recommendation = Math.max(
          w.policy.minReplicas,
          Math.min(w.current, w.policy.maxReplicas),
        );
      }
  }
  if (
    pd &&
    pW &&
    dW &&
    !pW.zero &&
    !dW.zero &&
    pW.current > 0 &&
    dW.current > 0
  ) {
    // Keep prefill within ±1 replica of decode × prefill:decode, by raising the role that lags (never lowering one
    // below what its own signal asks).
    const k = pd.prefillPart / pd.decodePart;
    const ideal = dW.recommendation * k;
    if (pW.recommendation < ideal - 1)
      pW.recommendation = Math.min(
        pW.policy.maxReplicas,
        Math.ceil(round(ideal - 1, 6)),
      );
    else if (pW.recommendation > ideal + 1)
      dW.recommendation = Math.min(
        dW.policy.maxReplicas,
        Math.ceil(round((pW.recommendation - 1) / k, 6)),
      );
    if (Math.abs(pW.recommendation - dW.recommendation * k) > 1 + 1e-9)
      for (const w of [pW, dW])
        w.blocks.push({
          reason: 'ratio',
          message: `prefill:decode ${pd.prefillPart}:${pd.decodePart} cannot be kept within ±1 replica inside the maximums (${pW.recommendation} prefill, ${dW.recommendation} decode)`,
        });
  }

  for (const w of work) w.next = w.recommendation;

  // Cooldown: no change within cooldownSeconds of the last one; a reversal waits for the stabilisation window.
  for (const w of work) {
    if (w.next === w.current || !w.state.lastChange) continue;
    const last = w.state.lastChange;
    const since = now - last.at;
    const up = w.next > w.current;
    const reverses = up !== last.to > last.from;
    const wait = Math.max(
      w.policy.cooldownSeconds * 1000,
      reverses ? w.policy.scaleDownStabilizationSeconds * 1000 : 0,
    );
    if (since < wait) {
      w.blocks.push({
        reason: 'cooldown',
        message: `${last.from} → ${last.to} replicas ${seconds(since)} ago; ${reverses ? `a reversal waits ${seconds(w.policy.scaleDownStabilizationSeconds * 1000)} (the stabilisation window)` : `the cooldown is ${seconds(w.policy.cooldownSeconds * 1000)}`}, ${seconds(wait - since)} to go`,
      });
      w.next = w.current;
    }
  }
  // The P/D pair moves together: when one of them is held, so is the other.
  if (pW && dW && (pW.next === pW.current) !== (dW.next === dW.current)) {
    const held = pW.next === pW.current ? pW : dW;
    const other = held === pW ? dW : pW;
    if (held.blocks.some(b => b.reason === 'cooldown')) {
      other.blocks.push({
        reason: 'cooldown',
        message: `${held.role} is cooling down and the P/D pair moves together`,
      });
      other.next = other.current;
    }
  }
  if (context.approvalPending)
    for (const w of work)
      if (w.next !== w.current) {
        w.blocks.push({
          reason: 'approval-pending',
          message: `the autoscaler's approval request ${context.approvalPending} is pending; nothing more changes until it is decided`,
        });
        w.next = w.current;
      }

  // The project's GPU quota caps scale-ups (never scale-downs), in the order of the roles.
  if (context.quotaGpusLeft !== undefined) {
    let left = context.quotaGpusLeft;
    for (const w of work) {
      if (w.next <= w.current || w.gpusPerReplica <= 0) continue;
      const room = Math.max(0, Math.floor(round(left / w.gpusPerReplica, 6)));
      const wanted = w.next;
      w.next = Math.min(w.next, w.current + room);
      left -= (w.next - w.current) * w.gpusPerReplica;
      if (w.next < wanted)
        w.blocks.push({
          reason: 'quota',
          message: `the project's GPU quota leaves ${round(Math.max(0, context.quotaGpusLeft))} GPUs: ${wanted} replicas (${round(w.gpusPerReplica)} GPUs each) would exceed it${w.next > w.current ? `; ${w.next} fit` : ''}`,
        });
    }
  }

  // The gang must still fit the cluster: scale-ups shrink together until the whole service places.
  const ups = work.filter(w => w.next > w.current);
  if (ups.length && context.snapshot) {
    const fits = (t: number) => {
      const candidate = withReplicas(
        context.service,
        Object.fromEntries(
          ups.map(w => [
            w.role,
            w.current + Math.floor((w.next - w.current) * t),
          ]),
        ),
      );
      return preflight(candidate, context.snapshot, [], {
        maxSimulatedPods: 5000,
      }).gang;
    };
    const full = fits(1);
    if (full.fits === false) {
      // The largest fraction of the scale-up that places (10 halvings: exact for up to 1,024 replicas of growth).
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < 10; i++) {
        const mid = (lo + hi) / 2;
        if (fits(mid).fits === false) hi = mid;
        else lo = mid;
      }
      for (const w of ups) {
        const wanted = w.next;
        w.next = w.current + Math.floor((w.next - w.current) * lo);
        w.blocks.push({
          reason: 'gang-cannot-fit',
          message: `${wanted} replicas do not fit the cluster now: ${full.blocking ?? full.message}${w.next > w.current ? `; ${w.next} fit` : ''}`,
        });
      }
    }
  }

  const roles: AutoscalingRoleDecision[] = work.map(w => ({
    role: w.role,
    mode: w.policy.mode,
    signal: w.policy.signal,
    ...(w.value !== undefined ? { value: w.value } : {}),
    target: w.policy.target,
    minReplicas: w.policy.minReplicas,
    maxReplicas: w.policy.maxReplicas,
    current: w.current,
    ...(w.desired !== undefined ? { desired: w.desired } : {}),
    recommendation: w.recommendation,
    next: w.next,
    blockedBy: w.blocks,
    summary: sentence(w),
  }));
  const nextState: AutoscalingState = {};
  for (const w of work) nextState[w.role] = w.state;
  return {
    at: now,
    roles,
    state: nextState,
    changes: work
      .filter(w => w.next !== w.current)
      .map(w => ({
        role: w.role,
        from: w.current,
        to: w.next,
        mode: w.policy.mode,
      })),
    issues: [],
  };
}

/** The service with some roles' replicas replaced. */
function withReplicas(service: unknown, replicas: Record<string, number>) {
  const s = service as { spec: { roles: Array<{ name: string }> } };
  return {
    ...s,
    spec: {
      ...s.spec,
      roles: s.spec.roles.map(r =>
        replicas[r.name] !== undefined
          ? { ...r, replicas: replicas[r.name] }
          : r,
      ),
    },
  };
}

function sentence(w: Working): string {
  const sig = AUTOSCALING_SIGNALS[w.policy.signal];
  const measured =
    w.value === undefined
      ? `no ${sig.description} measured`
      : `${sig.description} ${w.value} against a target of ${w.policy.target}`;
  const held = w.blocks.filter(b =>
    ['cooldown', 'approval-pending', 'quota', 'gang-cannot-fit'].includes(
      b.reason,
    ),
  );
  if (w.zero && w.next === 0 && w.current > 0)
    return `idle for ${plural(w.policy.scaleToZeroAfterIdleMinutes!, 'minute')}: ${w.current} → 0 replicas`;
  const capped =
    w.next !== w.recommendation ? ` (recommended ${w.recommendation})` : '';
  if (w.next !== w.current && w.policy.mode === 'advisory')
    return `${measured}: would scale ${w.current} → ${w.next} replicas${capped} (advisory: nothing is written)`;
  if (w.next !== w.current)
    return `${measured}: ${w.current} → ${w.next} replicas${capped}`;
  if (w.recommendation !== w.current)
    return `${measured}: recommends ${w.recommendation} replicas, stays at ${w.current}${held.length ? ` (${held.map(b => b.reason).join(', ')})` : ''}`;
  return `${measured}: keeps ${plural(w.current, 'replica')}`;
}
