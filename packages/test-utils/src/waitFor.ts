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

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds. Default 25. */
  intervalMs?: number;
  /** Named in the timeout error, e.g. "the LeaderWorkerSet". */
  what?: string;
}

/**
 * Polls `fn` until it returns a truthy value and returns that value. An attempt that throws counts as "not yet";
 * when time runs out the error names `what` and the last attempt's error, so a failing test says what it waited
 * for and why it never came.
 *
 * @example
 * const lws = await waitFor(() => client.get(KINDS.LeaderWorkerSet, 'default', 'qwen-inference-0'));
 * await waitFor(() => events.length === 3, { timeoutMs: 3000, intervalMs: 10 });
 */
export async function waitFor<T>(
  fn: () =>
    Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitForOptions | number = {},
): Promise<T> {
  const {
    timeoutMs = 10_000,
    intervalMs = 25,
    what,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const cause = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting${what ? ` for ${what}` : ''}${cause}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}
