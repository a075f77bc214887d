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

import { Rounds } from './rounds';

describe('Rounds', () => {
  afterEach(() => jest.useRealTimers());

  it('runs one round at a time: a round still running when the next is due makes that one skip', async () => {
    jest.useFakeTimers();
    const finish: Array<() => void> = [];
    let started = 0;
    const rounds = new Rounds({
      intervalMs: 100,
      round: () =>
        new Promise<void>(resolve => {
          started++;
          finish.push(resolve);
        }),
      onError: () => {},
    });
    rounds.start();
    rounds.start(); // once
    await jest.advanceTimersByTimeAsync(350);
    expect(started).toBe(1); // three intervals, one round still running
    finish.shift()!();
    await jest.advanceTimersByTimeAsync(100);
    expect(started).toBe(2);
    // runNow joins the running round
    const joined = rounds.runNow();
    expect(started).toBe(2);
    finish.shift()!();
    await joined;
    const stopped = rounds.stop();
    await stopped;
    await jest.advanceTimersByTimeAsync(1000);
    expect(started).toBe(2);
  });

  it('hands a failed round to onError and goes on; stop waits for the round running', async () => {
    const errors: string[] = [];
    let calls = 0;
    let release!: () => void;
    const rounds = new Rounds({
      intervalMs: 0, // no timer: rounds only when asked
      round: async () => {
        calls++;
        if (calls === 1) throw new Error('cluster unreachable');
        await new Promise<void>(r => {
          release = r;
        });
      },
      onError: e => errors.push(e.message),
    });
    rounds.start();
    await rounds.runNow();
    expect(errors).toEqual(['cluster unreachable']);
    const second = rounds.runNow();
    let stopped = false;
    const stopping = rounds.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await Promise.all([second, stopping]);
    expect(stopped).toBe(true);
    expect(calls).toBe(2);
  });
});
