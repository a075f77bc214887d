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
import { LeaderElector } from './LeaderElector';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** An in-memory Lease with optimistic concurrency; a client of it can be made to hang (partition). */
class FakeLeaseStore {
  lease?: LeaseObject;
  private rv = 0;
  writes: string[] = [];

  client(who: string, opts: { hang?: () => boolean } = {}): LeaseClient {
    const gate = async <T>(signal: AbortSignal, fn: () => T): Promise<T> => {
      if (opts.hang?.()) {
        // A partitioned call: never answers. (It ignores the signal, like a request stuck in a dead socket.)
        await new Promise(() => undefined);
      }
      if (signal.aborted) throw new Error('aborted');
      return fn();
    };
    const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
    return {
      get: signal =>
        gate(signal, () => (this.lease ? clone(this.lease) : undefined)),
      create: (l, signal) =>
        gate(signal, () => {
          if (this.lease)
            throw Object.assign(new Error('exists'), { code: 409 });
          this.lease = {
            ...clone(l),
            metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
          };
          this.writes.push(who);
          return clone(this.lease);
        }),
      replace: (l, signal) =>
        gate(signal, () => {
          if (
            l.metadata.resourceVersion !== this.lease?.metadata.resourceVersion
          )
            throw Object.assign(new Error('conflict'), { code: 409 });
          this.lease = {
            ...clone(l),
            metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
          };
          this.writes.push(who);
          return clone(this.lease);
        }),
    };
  }
}

const timing = {
  leaseDurationMs: 600,
  renewDeadlineMs: 400,
  retryPeriodMs: 50,
};

describe('LeaderElector', () => {
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(electors.splice(0).map(e => e.stop()));
  });
  const make = (lease: LeaseClient, identity: string) => {
    const events: string[] = [];
    const e = new LeaderElector(lease, {
      namespace: 'fusioninfer-system',
      name: 'x',
      identity,
      timing,
      onStartedLeading: () => events.push('start'),
      onStoppedLeading: () => events.push('stop'),
    });
    electors.push(e);
    return { e, events };
  };

  it('steps down at the renew deadline when a renewal hangs, and at most one instance leads at any time', async () => {
    const store = new FakeLeaseStore();
    let partitioned = false;
    const a = make(store.client('a', { hang: () => partitioned }), 'a');
    a.e.start();
    for (let i = 0; i < 40 && !a.e.isLeader; i++) await sleep(20);
    expect(a.e.isLeader).toBe(true);
    const b = make(store.client('b'), 'b');
    b.e.start();
    await sleep(300);
    expect(b.e.isLeader).toBe(false);

    partitioned = true;
    const t0 = performance.now();
    let aSteppedDownAt: number | undefined;
    let bLeadsAt: number | undefined;
    let both = 0;
    while (performance.now() - t0 < 2000) {
      const al = a.e.isLeader;
      const bl = b.e.isLeader;
      if (al && bl) both++;
      if (!al && aSteppedDownAt === undefined)
        aSteppedDownAt = performance.now() - t0;
      if (bl && bLeadsAt === undefined) bLeadsAt = performance.now() - t0;
      await sleep(5);
    }
    expect(both).toBe(0);
    // A stops within its renew deadline even though its call never returned.
    expect(aSteppedDownAt).toBeDefined();
    expect(aSteppedDownAt!).toBeLessThanOrEqual(timing.renewDeadlineMs + 60);
    expect(a.events).toEqual(['start', 'stop']);
    // B takes over only after a full lease duration without change.
    expect(bLeadsAt).toBeDefined();
    expect(bLeadsAt!).toBeGreaterThan(aSteppedDownAt!);
    expect(store.lease!.spec!.holderIdentity).toBe('b');
  }, 10000);

  it('measures expiry with its own clock from the last observed change, not the remote renewTime', async () => {
    const store = new FakeLeaseStore();
    // A healthy leader elsewhere whose clock is an hour behind: its renewTime always looks an hour old.
    const skewed = store.client('skewed');
    const renew = async () => {
      const l = await skewed.get(AbortSignal.timeout(1000));
      const old = new Date(Date.now() - 3600_000).toISOString();
      const next: LeaseObject = {
        metadata: l?.metadata ?? { name: 'x', namespace: 'fusioninfer-system' },
        spec: {
          holderIdentity: 'skewed',
          leaseDurationSeconds: 1,
          renewTime: old,
          acquireTime: old,
          leaseTransitions: 0,
        },
      };
      await (
        l
          ? skewed.replace(next, AbortSignal.timeout(1000))
          : skewed.create(next, AbortSignal.timeout(1000))
      ).catch(() => undefined);
    };
    await renew();
    const timer = setInterval(() => void renew(), 100);
    try {
      const b = make(store.client('b'), 'b');
      b.e.start();
      for (let i = 0; i < 60; i++) {
        expect(b.e.isLeader).toBe(false);
        await sleep(25);
      }
      expect(store.writes.filter(w => w === 'b')).toEqual([]);
      // Once the holder stops renewing, B takes over after the lease duration.
      clearInterval(timer);
      for (let i = 0; i < 100 && !b.e.isLeader; i++) await sleep(25);
      expect(b.e.isLeader).toBe(true);
    } finally {
      clearInterval(timer);
    }
  }, 10000);

  it('gives the lease up on stop so another instance takes over at once', async () => {
    const store = new FakeLeaseStore();
    const a = make(store.client('a'), 'a');
    a.e.start();
    for (let i = 0; i < 40 && !a.e.isLeader; i++) await sleep(20);
    await a.e.stop();
    expect(store.lease!.spec!.holderIdentity).toBeNull();
    const b = make(store.client('b'), 'b');
    b.e.start();
    for (let i = 0; i < 10 && !b.e.isLeader; i++) await sleep(20);
    expect(b.e.isLeader).toBe(true);
  });
});
