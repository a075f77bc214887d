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
 * A tolerant parser of the Prometheus text exposition format (0.0.4, and the OpenMetrics subset that model servers
 * emit). It never throws: a line it cannot read is reported with its number and skipped. It accepts every variant in
 * the reference samples: Python and Go number formats (`3.0`, `1.098174e+06`, `6.442450944e+010`), `+Inf`/`NaN`,
 * blanks after commas inside label sets, trailing commas, escaped label values, optional timestamps, `# EOF`, and
 * UTF-8 quoted metric names (`{"my.metric", le="1"}`).
 */

/** One sample line. @public */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** Metric type from a `# TYPE` line. @public */
export type PromMetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'info'
  | 'stateset'
  | 'gaugehistogram'
  | 'unknown';

/** The parsed body of a `/metrics` response. @public */
export interface PromExposition {
  /** Samples in the order of the body. */
  samples: PromSample[];
  /** `# TYPE` per metric family name. */
  types: Record<string, PromMetricType>;
  /** `# HELP` per metric family name. */
  help: Record<string, string>;
  /** Lines that could not be read (at most 100 are kept). */
  errors: Array<{ line: number; message: string }>;
  /** Samples grouped by sample name (e.g. `vllm:time_to_first_token_seconds_bucket`). */
  byName: Map<string, PromSample[]>;
}

/** Options of {@link parsePrometheusText}. @public */
export interface ParsePrometheusOptions {
  /** Bodies larger than this are cut (default 16 MiB). */
  maxBytes?: number;
  /** Stop after this many samples (default 200,000). */
  maxSamples?: number;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const MAX_ERRORS = 100;
const TYPES = new Set<PromMetricType>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'info',
  'stateset',
  'gaugehistogram',
  'unknown',
]);

/** Parses a Prometheus float (`NaN`, `+Inf`, `-Inf`, exponents with any number of digits). @public */
export function parsePromNumber(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
    case 'NaN':
    case 'nan':
      return NaN;
    default: {
      if (
        !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) &&
        !/^0[xX][0-9a-fA-F]+$/.test(s)
      )
        return Number.NaN;
      return Number(s);
    }
  }
}

class LineReader {
  pos = 0;
  constructor(readonly s: string) {}
  get done() {
    return this.pos >= this.s.length;
  }
  peek() {
    return this.s[this.pos];
  }
  skipBlanks() {
    while (
      this.pos < this.s.length &&
      (this.s[this.pos] === ' ' || this.s[this.pos] === '\t')
    )
      this.pos++;
  }
  name(): string | undefined {
    const start = this.pos;
    if (this.done || !NAME_START.test(this.s[this.pos])) return undefined;
    this.pos++;
    while (this.pos < this.s.length && NAME_CHAR.test(this.s[this.pos]))
      this.pos++;
    return this.s.slice(start, this.pos);
  }
  quoted(): string | undefined {
    if (this.s[this.pos] !== '"') return undefined;
    this.pos++;
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === '"') return out;
      if (c === '\\') {
        const n = this.s[this.pos++];
        if (n === 'n') out += '\n';
        else if (n === undefined) return undefined;
        else out += n;
      } else out += c;
    }
    return undefined;
  }
  token(): string {
    const start = this.pos;
    while (
      this.pos < this.s.length &&
      this.s[this.pos] !== ' ' &&
      this.s[this.pos] !== '\t'
    )
      this.pos++;
    return this.s.slice(start, this.pos);
  }
}

/** Parses a sample line; returns an error message when the line is malformed. */
function parseSampleLine(line: string): PromSample | string {
  const r = new LineReader(line);
  let name = r.name();
  const labels: Record<string, string> = {};
  if (r.peek() === '{') {
    r.pos++;
    for (;;) {
      r.skipBlanks();
      if (r.peek() === '}') {
        r.pos++;
        break;
      }
      let key: string | undefined;
      if (r.peek() === '"') {
        key = r.quoted();
        if (key === undefined) return 'unterminated quoted name';
      } else key = r.name();
      if (key === undefined) return `bad label name at column ${r.pos + 1}`;
      r.skipBlanks();
      if (r.peek() !== '=') {
        // A quoted string without "=" is the metric name (UTF-8 names, Prometheus 3).
        if (
          name === undefined &&
          line[r.pos] !== undefined &&
          (r.peek() === ',' || r.peek() === '}')
        ) {
          name = key;
        } else return `expected "=" after label "${key}"`;
      } else {
        r.pos++;
        r.skipBlanks();
        const v = r.quoted();
        if (v === undefined)
          return `label "${key}": value must be a quoted string`;
        if (Object.prototype.hasOwnProperty.call(labels, key))
          return `label "${key}" appears twice`;
        labels[key] = v;
      }
      r.skipBlanks();
      if (r.peek() === ',') {
        r.pos++;
        continue;
      }
      if (r.peek() === '}') {
        r.pos++;
        break;
      }
      return `expected "," or "}" at column ${r.pos + 1}`;
    }
  }
  if (name === undefined) return 'missing metric name';
  r.skipBlanks();
  const valueText = r.token();
  if (!valueText) return `metric "${name}": missing value`;
  const value = parsePromNumber(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN' && valueText !== 'nan')
    return `metric "${name}": "${valueText}" is not a number`;
  r.skipBlanks();
  let timestampMs: number | undefined;
  if (!r.done) {
    const ts = r.token();
    const t = Number(ts);
    if (!Number.isFinite(t))
      return `metric "${name}": "${ts}" is not a timestamp`;
    // OpenMetrics timestamps are seconds with a fraction; 0.0.4 timestamps are integer milliseconds.
    timestampMs = ts.includes('.') ? t * 1000 : t;
    r.skipBlanks();
    // OpenMetrics exemplars ("# {...} v") may follow; ignore them.
    if (!r.done && r.peek() !== '#')
      return `metric "${name}": unexpected text after the timestamp`;
  }
  return timestampMs === undefined
    ? { name, labels, value }
    : { name, labels, value, timestampMs };
}

/** Parses a `/metrics` body; never throws. @public */
export function parsePrometheusText(
  text: unknown,
  options: ParsePrometheusOptions = {},
): PromExposition {
  const out: PromExposition = {
    samples: [],
    types: {},
    help: {},
    errors: [],
    byName: new Map(),
  };
  const error = (line: number, message: string) => {
    if (out.errors.length < MAX_ERRORS) out.errors.push({ line, message });
  };
  if (typeof text !== 'string') {
    error(0, 'body is not text');
    return out;
  }
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const maxSamples = options.maxSamples ?? 200_000;
  let body = text;
  if (body.length > maxBytes) {
    error(0, `body is larger than ${maxBytes} bytes; the rest is ignored`);
    body = body.slice(0, body.lastIndexOf('\n', maxBytes) + 1);
  }
  let lineNo = 0;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    lineNo++;
    let line = body.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (!trimmed) continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE|EOF)\b\s*(\S*)\s*(.*)$/.exec(trimmed);
      if (!m) continue;
      if (m[1] === 'EOF') break;
      const family =
        m[2].startsWith('"') && m[2].endsWith('"') ? m[2].slice(1, -1) : m[2];
      if (!family) {
        error(lineNo, `# ${m[1]} without a metric name`);
      } else if (m[1] === 'TYPE') {
        const type = m[3].trim().toLowerCase() as PromMetricType;
        if (TYPES.has(type)) out.types[family] = type;
        else error(lineNo, `# TYPE ${family}: unknown type "${m[3].trim()}"`);
      } else {
        out.help[family] = m[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      continue;
    }
    const s = parseSampleLine(trimmed);
    if (typeof s === 'string') {
      error(lineNo, s);
      continue;
    }
    if (out.samples.length >= maxSamples) {
      error(lineNo, `more than ${maxSamples} samples; the rest is ignored`);
      break;
    }
    out.samples.push(s);
    const list = out.byName.get(s.name);
    if (list) list.push(s);
    else out.byName.set(s.name, [s]);
  }
  return out;
}
