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

import { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';

/**
 * Lease-based leader election in one cluster (coordination.k8s.io/v1), as controller-runtime does it: the holder
 * renews its Lease; another instance takes over once the Lease has not been renewed for leaseDurationSeconds.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;

  constructor(
    private readonly api: CoordinationV1Api,
    private readonly options: {
      namespace: string;
      name: string;
      identity: string;
      leaseDurationSeconds: number;
      onStartedLeading: () => void;
      onStoppedLeading: () => void;
      onError?: (e: unknown) => void;
    },
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      this.setLeading(false);
      // Release the lease so another instance takes over at once.
      try {
        const lease = await this.api.readNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
        });
        if (lease.spec?.holderIdentity === this.options.identity) {
          await this.api.replaceNamespacedLease({
            name: this.options.name,
            namespace: this.options.namespace,
            body: {
              ...lease,
              spec: {
                ...lease.spec,
                holderIdentity: undefined,
                renewTime: undefined,
                acquireTime: undefined,
              },
            },
          });
        }
      } catch {
        // best effort
      }
    }
  }

  private setLeading(v: boolean) {
    if (v === this.leading) return;
    this.leading = v;
    if (v) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.setLeading(await this.tryAcquireOrRenew());
    } catch (e) {
      this.options.onError?.(e);
      // Without a confirmed renewal we cannot be sure we still lead.
      this.setLeading(false);
    }
    if (!this.stopped)
      this.timer = setTimeout(
        () => void this.tick(),
        Math.max(100, (this.options.leaseDurationSeconds * 1000) / 3),
      );
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = new Date();
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now as any,
      acquireTime: now as any,
    };
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec },
        });
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === 409) return false;
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime
      ? new Date(lease.spec.renewTime as any).getTime()
      : 0;
    const duration =
      (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = !holder || renewed + duration < now.getTime();
    if (holder !== identity && !expired) return false;
    try {
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: identity,
            leaseDurationSeconds,
            renewTime: now as any,
            acquireTime:
              holder === identity ? lease.spec?.acquireTime : (now as any),
            leaseTransitions:
              (lease.spec?.leaseTransitions ?? 0) +
              (holder === identity ? 0 : 1),
          },
        },
      });
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 409) return false; // someone else renewed or took it first
      throw e;
    }
  }
}
