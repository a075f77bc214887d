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

import { echoLines, programRun } from './programs';

describe('how long a container program runs', () => {
  const run = (command?: string[], args?: string[]) =>
    programRun({ command, args });

  it('reads the commands people give kubectl run / create job', () => {
    expect(run(undefined, ['sleep', '3600'])).toEqual({
      kind: 'exits',
      afterMs: 3_600_000,
    });
    expect(run(['echo', 'hi'])).toEqual({ kind: 'exits', afterMs: 0 });
    expect(run(['/bin/sleep'], ['1m', '30s'])).toEqual({
      kind: 'exits',
      afterMs: 90_000,
    });
    expect(run(['sleep', 'infinity'])).toEqual({ kind: 'forever' });
    expect(run(['tail', '-f', '/dev/null'])).toEqual({ kind: 'forever' });
    expect(run(['timeout', '5', 'tail', '-f', '/dev/null'])).toEqual({
      kind: 'exits',
      afterMs: 5000,
    });
    // the image's own program, or a server: unknown
    expect(run()).toEqual({ kind: 'unknown' });
    expect(run(['nginx', '-g', 'daemon off;'])).toEqual({ kind: 'unknown' });
    expect(run(['python', '-m', 'http.server'])).toEqual({ kind: 'unknown' });
  });

  it('reads shell scripts: the sum of their sleeps; endless loops never end', () => {
    expect(run(['sh', '-c', 'echo start; sleep 2 && echo done'])).toEqual({
      kind: 'exits',
      afterMs: 2000,
    });
    expect(run(['/bin/bash', '-ec', 'python train.py; sleep 1.5'])).toEqual({
      kind: 'exits',
      afterMs: 1500,
    });
    expect(
      run(['sh', '-c'], ['while true; do echo tick; sleep 5; done']),
    ).toEqual({ kind: 'forever' });
    expect(run(['sh', '-c', 'echo up && exec sleep infinity'])).toEqual({
      kind: 'forever',
    });
    expect(run(['sh'])).toEqual({ kind: 'unknown' });
  });

  it('knows what echo prints, alone or in a script', () => {
    expect(echoLines({ command: ['echo', 'hello', 'world'] })).toEqual([
      'hello world',
    ]);
    expect(
      echoLines({ command: ['sh', '-c', 'echo "start"; sleep 1; echo done'] }),
    ).toEqual(['start', 'done']);
    expect(echoLines({ args: ['sleep', '3600'] })).toEqual([]);
  });
});
