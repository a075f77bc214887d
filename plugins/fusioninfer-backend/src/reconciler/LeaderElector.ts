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

import { LeaseClient, LeaseObject } from '@fusioninfer/plugin-fusioninfer-node';

/** Timing of leader election (client-go's LeaseDuration / RenewDeadline / RetryPeriod). */
export interface LeaderElectionTiming {
  /** How long a non-leader waits, after it last saw the record change, before it takes the Lease. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long steps down (must be < leaseDurationMs). */
  renewDeadlineMs: number;
  /** Interval between attempts to acquire or renew. */
  retryPeriodMs: number;
}

/** Defaults derived from the lease duration as client-go's defaults are (15 s / 10 s / 2 s). */
export function leaderElectionTiming(
  leaseDurationSeconds: number,
): LeaderElectionTiming {
  const leaseDurationMs = Math.max(300, leaseDurationSeconds * 1000);
  return {
    leaseDurationMs,
    renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
    retryPeriodMs: Math.max(50, Math.round(leaseDurationMs / 7.5)),
  };
}

/** Thrown by a write attempted without leadership. */
export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`not the leader: ${what} refused`);
    this.name = 'NotLeaderError';
  }
}

/**
 * Lease-based leader election in one cluster (coordination.k8s.io/v1) with client-go's rules:
 * - every Lease call is bounded by an AbortSignal (it never hangs past the renew deadline);
 * - the leader steps down when no renewal has succeeded within `renewDeadlineMs`, counted from the moment it sent
 *   its last successful renewal, so a partitioned leader stops writing before anybody else may take over;
 * - a Lease held by another instance counts as expired only `leaseDurationMs` after this instance last saw the
 *   record change (its local clock), never by comparing the remote renewTime with the local clock;
 * - {@link LeaderElector.isLeader} checks the deadline on every read, so a write gate is correct even while a
 *   renewal call is still pending.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private deadlineTimer?: NodeJS.Timeout;
  private leading = false;
  private stopped = true;
  /** Local (monotonic) time at which the last successful renewal was sent. */
  private renewedAt = 0;
  /** The record as last observed, and the local time at which it was seen to change. */
  private observed?: { key: string; at: number; durationMs: number };
  private inflight?: AbortController;
  private readonly now: () => number;
  private readonly timing: LeaderElectionTiming;

  constructor(
    private readonly lease: LeaseClient,
    private readonly options: {
      namespace: string;
      name: string;
      identity: string;
      timing: LeaderElectionTiming;
      onStartedLeading: () => void;
      onStoppedLeading: () => void;
      onError?: (e: unknown) => void;
      /** Monotonic clock in ms (tests). */
      now?: () => number;
    },
  ) {
    this.now = options.now ?? (() => performance.now());
    this.timing = options.timing;
    if (this.timing.renewDeadlineMs >= this.timing.leaseDurationMs)
      throw new Error(
        'leader election: renewDeadline must be shorter than leaseDuration',
      );
  }

  /** True while leading and the last successful renewal is younger than the renew deadline. */
  get isLeader(): boolean {
    if (!this.leading) return false;
    if (this.now() - this.renewedAt >= this.timing.renewDeadlineMs) {
      this.stepDown();
      return false;
    }
    return true;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadlineTimer);
    this.inflight?.abort();
    const wasLeading = this.isLeader;
    this.stepDown();
    if (!wasLeading) return;
    // Release the lease so another instance takes over at once (client-go's ReleaseOnCancel).
    try {
      const signal = AbortSignal.timeout(this.timing.retryPeriodMs * 2);
      const lease = await this.lease.get(signal);
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.lease.replace(
          {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: null,
              renewTime: null,
              acquireTime: null,
              leaseDurationSeconds: 1,
            },
          },
          signal,
        );
      }
    } catch {
      // best effort
    }
  }

  private stepDown() {
    clearTimeout(this.deadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    this.options.onStoppedLeading();
  }

  private becomeLeader(sentAt: number) {
    this.renewedAt = sentAt;
    clearTimeout(this.deadlineTimer);
    // Step down at the deadline even if the next renewal never returns.
    this.deadlineTimer = setTimeout(
      () => void this.isLeader,
      Math.max(0, sentAt + this.timing.renewDeadlineMs - this.now()) + 1,
    );
    if (!this.leading) {
      this.leading = true;
      this.options.onStartedLeading();
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const sentAt = this.now();
    // Bound the attempt: a leader must know the outcome before its deadline, a candidate within a retry period.
    const budget = this.leading
      ? Math.max(
          10,
          Math.min(
            this.timing.renewDeadlineMs,
            this.renewedAt + this.timing.renewDeadlineMs - sentAt,
          ),
        )
      : Math.max(this.timing.retryPeriodMs, this.timing.renewDeadlineMs / 2);
    const abort = new AbortController();
    this.inflight = abort;
    // Every Lease call of this attempt is bounded (AbortSignal.timeout), and stop() cancels it.
    const signal = AbortSignal.any([
      abort.signal,
      AbortSignal.timeout(Math.max(1, Math.floor(budget))),
    ]);
    try {
      const ok = await this.tryAcquireOrRenew(signal, sentAt);
      if (this.stopped) return;
      if (ok) this.becomeLeader(sentAt);
      else this.stepDown();
    } catch (e) {
      if (!this.stopped) this.options.onError?.(e);
      // A failed renewal does not end leadership by itself: the renew deadline does (isLeader).
      void this.isLeader;
    } finally {
      if (this.inflight === abort) this.inflight = undefined;
    }
    if (!this.stopped)
      this.timer = setTimeout(
        () => void this.tick(),
        this.timing.retryPeriodMs,
      );
  }

  private async tryAcquireOrRenew(
    signal: AbortSignal,
    sentAt: number,
  ): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const nowIso = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const durationSeconds = Math.max(
      1,
      Math.round(this.timing.leaseDurationMs / 1000),
    );
    const lease = await this.lease.get(signal);
    if (!lease) {
      try {
        await this.lease.create(
          {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: nowIso,
              renewTime: nowIso,
              leaseTransitions: 0,
            },
          },
          signal,
        );
        this.observe(undefined, sentAt);
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === 409) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.observe(lease, sentAt);
    const iHold = holder === identity;
    if (holder && !iHold) {
      const expired =
        this.now() >= this.observed!.at + this.observed!.durationMs;
      if (!expired) return false;
    }
    // Our own record (also after a step-down) is renewed; optimistic concurrency on resourceVersion protects it.
    const next: LeaseObject = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: nowIso,
        acquireTime: iHold ? (spec.acquireTime ?? nowIso) : nowIso,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (iHold ? 0 : 1),
      },
    };
    try {
      await this.lease.replace(next, signal);
    } catch (e) {
      if ((e as { code?: number }).code === 409) return false; // someone else renewed or took it first
      throw e;
    }
    this.observe(next, sentAt);
    return true;
  }

  /** Records the Lease as seen now; the observed time moves only when the record changed. */
  private observe(lease: LeaseObject | undefined, at: number) {
    const spec = lease?.spec ?? {};
    const key = lease
      ? JSON.stringify([
          spec.holderIdentity ?? '',
          spec.renewTime ?? '',
          spec.acquireTime ?? '',
          spec.leaseTransitions ?? 0,
        ])
      : `self:${at}`;
    const durationMs =
      (spec.leaseDurationSeconds ?? 0) * 1000 || this.timing.leaseDurationMs;
    if (!this.observed || this.observed.key !== key)
      this.observed = { key, at: lease ? this.now() : at, durationMs };
    else this.observed.durationMs = durationMs;
  }
}
