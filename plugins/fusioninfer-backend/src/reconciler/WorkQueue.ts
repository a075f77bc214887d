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

/**
 * A controller work queue: de-duplicates keys, never processes one key twice at the same time (a key added while
 * it is being processed runs again afterwards), and retries failures with exponential back-off.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly options: {
      workers?: number;
      baseDelayMs?: number;
      maxDelayMs?: number;
      onError?: (key: string, e: unknown, attempt: number) => void;
    } = {},
  ) {}

  add(key: string): void {
    if (this.stopped || this.paused) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.add(key);
    this.pump();
  }

  /** Re-adds a key after its back-off delay. */
  private retry(key: string): void {
    if (this.stopped || this.paused) return;
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const delay = Math.min(
      this.options.maxDelayMs ?? 30_000,
      (this.options.baseDelayMs ?? 100) * 2 ** (attempt - 1),
    );
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delay),
    );
  }

  private pump(): void {
    const workers = this.options.workers ?? 4;
    while (
      !this.stopped &&
      !this.paused &&
      this.running < workers &&
      this.pending.size > 0
    ) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      this.process(key)
        .then(() => {
          this.failures.delete(key);
        })
        .catch(e => {
          this.options.onError?.(key, e, (this.failures.get(key) ?? 0) + 1);
          this.retry(key);
        })
        .finally(() => {
          this.active.delete(key);
          this.running--;
          if (this.dirty.delete(key) && !this.paused && !this.stopped)
            this.pending.add(key);
          this.pump();
          if (this.idle) for (const w of this.waiters.splice(0)) w();
        });
    }
  }

  /** True when nothing is pending, running or waiting for a retry. */
  get idle(): boolean {
    return (
      this.pending.size === 0 && this.running === 0 && this.timers.size === 0
    );
  }

  /** Resolves once the queue is idle. */
  drained(): Promise<void> {
    return this.idle
      ? Promise.resolve()
      : new Promise(resolve => this.waiters.push(resolve));
  }

  /** Number of reconciles running now. */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Drops everything queued or waiting for a retry and accepts nothing until {@link WorkQueue.resume} (a reconciler
   * that lost leadership). Running work finishes; its retries and re-adds are dropped too.
   */
  pause(): void {
    this.paused = true;
    this.clear();
  }

  resume(): void {
    this.paused = false;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private clear() {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    this.dirty.clear();
    this.failures.clear();
    if (this.idle) for (const w of this.waiters.splice(0)) w();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }
}
