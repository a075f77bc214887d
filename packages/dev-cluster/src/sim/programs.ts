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
 * How long a container's program runs, read from its command and args as people write them: `echo hi` ends at once,
 * `sleep 3600` after an hour, `sleep infinity`, `tail -f …` and `while true` loops never; a shell script (`sh -c`)
 * takes the sum of its sleeps. A program the kubelet cannot read (no command: the image's own entrypoint, or a
 * server such as `nginx` or `python -m http.server`) is `unknown`.
 */

/** What a container's program does once started. */
export type ProgramRun =
  | { kind: 'exits'; afterMs: number }
  | { kind: 'forever' }
  | { kind: 'unknown' };

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);
/** Commands that do their work and end (their duration is not modelled). */
const QUICK = new Set([
  'echo',
  'printf',
  'true',
  'false',
  ':',
  'exit',
  'date',
  'env',
  'printenv',
  'hostname',
  'whoami',
  'id',
  'uname',
  'pwd',
  'ls',
  'cat',
  'head',
  'wc',
  'touch',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'chmod',
  'test',
  '[',
  'nslookup',
  'dig',
  'ping',
  'wget',
  'curl',
  'cd',
  'export',
  'set',
]);

const base = (s: string) => s.slice(s.lastIndexOf('/') + 1);

/** `sleep` arguments (GNU and busybox: `1.5`, `30s`, `2m`, `1h`, `1d`, several summed); undefined for infinity. */
function sleepMs(args: string[]): number | undefined {
  let total = 0;
  for (const a of args) {
    const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
    if (!m) return undefined; // infinity, a variable, …: taken as never ending
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]!;
    total += Number(m[1]) * unit * 1000;
  }
  return total;
}

/** One simple command (argv). */
function command(argv: string[], inScript: boolean): ProgramRun {
  const words = argv.filter(w => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)); // VAR=value prefixes
  const [first, ...rest] = words;
  if (first === undefined) return { kind: 'exits', afterMs: 0 };
  const name = base(first);
  if (name === 'exec' || name === 'nohup' || name === 'timeout') {
    if (name === 'timeout') {
      const limit = sleepMs(rest.slice(0, 1));
      const inner = command(rest.slice(1), inScript);
      if (limit === undefined) return inner;
      if (inner.kind === 'exits')
        return { kind: 'exits', afterMs: Math.min(limit, inner.afterMs) };
      return { kind: 'exits', afterMs: limit };
    }
    return command(rest, inScript);
  }
  if (name === 'sleep') {
    const ms = sleepMs(rest);
    return ms === undefined
      ? { kind: 'forever' }
      : { kind: 'exits', afterMs: ms };
  }
  if (
    name === 'tail' &&
    rest.some(a => /^-[a-zA-Z]*[fF]/.test(a) || a === '--follow')
  )
    return { kind: 'forever' };
  if (name === 'yes') return { kind: 'forever' };
  if (SHELLS.has(name)) {
    const c = rest.findIndex(a => /^-[a-z]*c[a-z]*$/.test(a));
    if (c >= 0 && rest[c + 1] !== undefined) return script(rest[c + 1]);
    return { kind: 'unknown' }; // an interactive shell, or a script file
  }
  if (QUICK.has(name)) return { kind: 'exits', afterMs: 0 };
  // in a script, a step the kubelet does not know is taken as one that ends; alone, it may be a server
  return inScript ? { kind: 'exits', afterMs: 0 } : { kind: 'unknown' };
}

/** A shell script: its commands in sequence; loops that never end (`while true`, `until false`) never do. */
function script(text: string): ProgramRun {
  if (/\b(while\s+(true|:|\[\s*1\s*\])|until\s+false)\b/.test(text))
    return { kind: 'forever' };
  let total = 0;
  let last: ProgramRun = { kind: 'exits', afterMs: 0 };
  for (const part of text.split(/;|&&|\|\||\||\n|&/)) {
    const argv = part
      .trim()
      .replace(/^(do|then|else|\{|\()\s+/, '')
      .split(/\s+/)
      .map(w => w.replace(/^["']|["']$/g, ''))
      .filter(Boolean);
    if (argv.length === 0 || ['done', 'fi', '}', ')'].includes(argv[0]))
      continue;
    last = command(argv, true);
    if (last.kind !== 'exits') return last;
    total += last.afterMs;
  }
  return { kind: 'exits', afterMs: total };
}

/** What a container's program does: its command and args read as the kubelet would start them. */
export function programRun(container: {
  command?: unknown;
  args?: unknown;
}): ProgramRun {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const argv = [...list(container.command), ...list(container.args)];
  if (argv.length === 0) return { kind: 'unknown' };
  return command(argv, false);
}

/** What a container's `echo` commands print (alone, or as statements of a `sh -c` script), in order. */
export function echoLines(container: {
  command?: unknown;
  args?: unknown;
}): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const argv = [...list(container.command), ...list(container.args)];
  const c = argv.findIndex(a => /^-[a-z]*c[a-z]*$/.test(a));
  if (argv.length > 0 && SHELLS.has(base(argv[0])) && c > 0 && argv[c + 1]) {
    const out: string[] = [];
    for (const part of argv[c + 1].split(/;|&&|\|\||\n/)) {
      const m = /^\s*(?:do\s+|then\s+)?echo\s+(.*?)\s*$/.exec(part);
      if (m) out.push(m[1].replace(/^(["'])(.*)\1$/, '$2'));
    }
    return out;
  }
  const echo = argv.indexOf('echo');
  return echo >= 0 ? [argv.slice(echo + 1).join(' ')] : [];
}
