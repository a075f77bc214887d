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
 * Work done in rounds on an interval, one round at a time: a round still running when the next is due makes that one
 * skip (a slow cluster delays the next round instead of stacking them). The autoscaler, the canary controller and the
 * usage recorder run their rounds with it. A failed round is handed to `onError` and the next one runs as usual.
 */
export class Rounds {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly o: {
      /** Milliseconds between rounds; 0 or less: `start` does nothing (rounds run only through `runNow`). */
      intervalMs: number;
      round: () => Promise<void>;
      onError: (error: Error) => void;
    },
  ) {}

  /** Starts the interval (once; the timer never keeps the process alive). */
  start(): void {
    if (this.timer || this.o.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.runNow();
    }, this.o.intervalMs);
    this.timer.unref?.();
  }

  /** Runs a round now, or joins the one running. */
  runNow(): Promise<void> {
    if (!this.running)
      this.running = this.o
        .round()
        .catch(e => this.o.onError(e as Error))
        .finally(() => {
          this.running = undefined;
        });
    return this.running;
  }

  /** Stops the interval and waits for the round running, if any. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
