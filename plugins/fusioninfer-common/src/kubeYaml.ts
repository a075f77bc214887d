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
 * YAML that means the same to YAML 1.2 readers (this suite, the `yaml` package) and to the YAML 1.1 readers of the
 * Kubernetes world (kubectl and client-go read YAML with go-yaml v2 through sigs.k8s.io/yaml): `yes`, `on`, `y`
 * are booleans there, `017` is octal, `1_000` is a number (review M8).
 */

import { Document, isPair, isScalar, isSeq, Lexer, Node, visit } from 'yaml';
import { joinPath } from './schema';

/** Plain scalars that go-yaml v2 resolves to something other than what they look like in YAML 1.2. */
const GO_YAML_WORDS: Record<string, unknown> = {};
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'])
  GO_YAML_WORDS[w] = true;
for (const w of ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'])
  GO_YAML_WORDS[w] = false;
for (const w of ['true', 'True', 'TRUE']) GO_YAML_WORDS[w] = true;
for (const w of ['false', 'False', 'FALSE']) GO_YAML_WORDS[w] = false;
for (const w of ['~', 'null', 'Null', 'NULL', '']) GO_YAML_WORDS[w] = null;
for (const w of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
  GO_YAML_WORDS[w] = Infinity;
for (const w of ['-.inf', '-.Inf', '-.INF']) GO_YAML_WORDS[w] = -Infinity;
for (const w of ['.nan', '.NaN', '.NAN']) GO_YAML_WORDS[w] = NaN;

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseInt(s, 0, 64) syntax (prefixes 0x, 0o, 0b, and a leading 0 for octal). */
function goParseInt(s: string): number | undefined {
  const m =
    /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(
      s,
    );
  if (!m) return undefined;
  const body = m[2];
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return m[1] === '-' && n !== 0 ? -n : n; // Go integers have no -0
}

/**
 * How kubectl (go-yaml v2's resolver, as used by sigs.k8s.io/yaml) reads a plain scalar: booleans for y/yes/on/…,
 * integers in any Go base after removing `_`, floats, or the string itself. Timestamps stay strings there.
 * @public
 */
export function kubectlPlainScalar(source: string): unknown {
  if (Object.hasOwn(GO_YAML_WORDS, source)) return GO_YAML_WORDS[source];
  if (/^[-+.0-9]/.test(source)) {
    const plain = source.replace(/_/g, '');
    const i = goParseInt(plain);
    if (i !== undefined) return i;
    if (GO_FLOAT.test(plain)) return parseFloat(plain);
  }
  return source;
}

const same = (a: unknown, b: unknown) =>
  a === b ||
  (typeof a === 'number' && typeof b === 'number' && isNaN(a) && isNaN(b));

function show(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (v === null) return 'null';
  if (typeof v === 'number') return `the number ${v}`;
  return String(v);
}

/** One plain scalar that YAML 1.1 readers (kubectl) and YAML 1.2 read differently. @public */
export interface YamlAmbiguity {
  /** JSON path of the scalar in its document, e.g. `spec.roles[0].replicas`. */
  path: string;
  message: string;
}

function pathTo(node: Node, ancestors: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    const next = i + 1 < ancestors.length ? ancestors[i + 1] : node;
    if (isPair(a)) {
      const k = isScalar(a.key) ? a.key.value : a.key;
      out = joinPath(out, String(k));
    } else if (isSeq(a)) out += `[${a.items.indexOf(next as never)}]`;
  }
  return out;
}

/**
 * Lists the plain (unquoted) scalars of a parsed YAML document that kubectl would read as a different value than
 * YAML 1.2 does — `017` (octal 15 vs 17), `1_000` (1000 vs a string), `yes`/`on`/`y` (booleans vs strings), `0b11`,
 * merge keys `<<` — plus `0o17`, which other YAML 1.1 readers take as a string. Quoted scalars are never ambiguous.
 * @public
 */
export function findYamlAmbiguities(doc: Document): YamlAmbiguity[] {
  const out: YamlAmbiguity[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (node.type !== 'PLAIN' || typeof node.source !== 'string') return;
      const src = node.source;
      const path = pathTo(node, ancestors);
      if (key === 'key' && src === '<<') {
        out.push({
          path,
          message:
            'merge key "<<": kubectl (YAML 1.1) merges the mapping, YAML 1.2 readers keep a key named "<<"; write the fields out',
        });
        return;
      }
      const kubectl = kubectlPlainScalar(src);
      const yaml12 = node.value;
      const octalPrefix = /^[-+]?0[oO][0-7_]+$/.test(src);
      if (same(kubectl, yaml12) && !octalPrefix) return;
      const what = key === 'key' ? 'key' : 'value';
      out.push({
        path,
        message: octalPrefix
          ? `ambiguous ${what} ${src}: YAML 1.2 reads the number ${yaml12}, YAML 1.1 readers the string "${src}"; write ${String(yaml12)} (or quote it for a string)`
          : `ambiguous ${what} ${src}: kubectl (YAML 1.1) reads ${show(kubectl)}, YAML 1.2 ${show(yaml12)}; quote it ("${src}") for a string, or write the ${typeof kubectl === 'boolean' ? 'boolean true/false' : 'number in decimal without leading zeros or "_"'} that is meant`,
      });
    },
  });
  return out;
}

/** Strings that some YAML 1.1 or 1.2 reader would not read back as that string when left unquoted. */
function needsQuotes(s: string): boolean {
  return (
    Object.hasOwn(GO_YAML_WORDS, s) ||
    /^[-+]?\.?[0-9]/.test(s) ||
    s === '<<' ||
    s === '='
  );
}

/**
 * YAML for Kubernetes tools: the `yaml` package's output, with every string that a YAML 1.1 reader such as kubectl
 * (or a YAML 1.2 reader) could take for a boolean, number or null double-quoted — `"yes"`, `"on"`, `"1_000"`,
 * `"017"`, `"0o17"`, `"1:30"`. No line folding. Keys are treated the same way.
 * @public
 */
export function stringifyKubernetesYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && needsQuotes(node.value))
        node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * Bound on {@link yamlNestingBound} below which the `yaml` package parses safely: it composes documents recursively,
 * and about 500 levels exhaust the stack — in a way V8 does not always survive (a fatal out-of-memory in its regexp
 * compiler was observed, not a catchable RangeError). Real documents stay far below: a pod template is ~15 deep.
 * @public
 */
export const YAML_MAX_NESTING_BOUND = 400;

/**
 * An upper bound on the nesting depth of YAML text, computed without parsing: the `yaml` package's own lexer
 * (iterative, linear; quoted strings, comments and block scalars are single tokens), counting flow brackets and, for
 * block structure, twice the column of each token plus two (a nested block collection is indented further than its
 * parent, or by two with a compact `- `). Stops as soon as `max` is exceeded. Run it before parsing untrusted YAML.
 * @public
 */
export function yamlNestingBound(
  text: string,
  max: number = YAML_MAX_NESTING_BOUND,
): number {
  let flow = 0;
  let col = 0;
  let block = 0;
  let bound = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '\n' || token === '\r\n') {
      col = 0;
      continue;
    }
    // Zero-width control tokens of the lexer (document start, scalar marker, …).
    if (token.length === 1 && token.charCodeAt(0) < 0x20 && token !== '\t')
      continue;
    if (flow === 0 && token.trim() !== '') block = 2 * col + 2;
    if (token === '[' || token === '{') flow++;
    else if ((token === ']' || token === '}') && flow > 0) flow--;
    if (block + flow > bound) {
      bound = block + flow;
      if (bound > max) return bound;
    }
    const nl = token.lastIndexOf('\n');
    col = nl >= 0 ? token.length - nl - 1 : col + token.length;
  }
  return bound;
}
