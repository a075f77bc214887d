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

import {
  findYamlAmbiguities,
  formatIssue,
  renderInferenceService,
  RenderOptions,
  RenderSummary,
  stringifyKubernetesYaml,
  validateInferenceService,
  ValidationIssue,
  YAML_MAX_NESTING_BOUND,
  yamlNestingBound,
  plural,
} from '@fusioninfer/plugin-fusioninfer-common';
import { isScalar, parseAllDocuments } from 'yaml';

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  /** Reads a regular file; may stop after MAX_INPUT_BYTES + 1 bytes (see readFileCapped). */
  readFile(path: string): Promise<Buffer>;
  /** Reads standard input; may stop after MAX_INPUT_BYTES + 1 bytes. */
  readStdin(): Promise<Buffer>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Largest input accepted. The API server refuses objects above ~1.5 MiB (etcd) and requests above 3 MiB. */
export const MAX_INPUT_BYTES = 5 * 1024 * 1024;

export const USAGE = `Usage:
  fusioninfer validate [-f FILE|-]
  fusioninfer render   [-f FILE|-] [-n NAMESPACE] [-o yaml|json] [--summary]
                       [--epp-image IMAGE] [--pd-epp-image IMAGE] [--kv-cache-metric NAME|none]

Reads InferenceService manifests (fusioninfer.io/v1alpha1; several YAML documents or a List are fine) from FILE,
or from standard input when FILE is "-" or omitted. FILE must be a regular file of at most 5 MiB. Unquoted values
that kubectl reads differently (yes/no/on/off/y/n, 017, 0o17, 0b11, 1_000) are errors: quote strings, write
numbers in plain decimal. YAML output quotes every string kubectl could misread.

  validate   exit 0 when every document is valid (warnings go to stderr),
             1 with one "path: message" line per error on stderr.
  render     prints every child the controller creates (YAML documents, or one v1 List with -o json);
             --summary adds pods and GPU totals on stderr. Exit 1 on invalid input, 2 on unreadable input.
`;

class UsageError extends Error {}
class InputError extends Error {}

interface Args {
  command: 'validate' | 'render' | 'help' | 'version';
  file?: string;
  namespace?: string;
  output: 'yaml' | 'json';
  summary: boolean;
  render: RenderOptions;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: 'help',
    output: 'yaml',
    summary: false,
    render: {},
  };
  const rest = [...argv];
  const first = rest.shift();
  if (
    first === undefined ||
    first === 'help' ||
    first === '--help' ||
    first === '-h'
  )
    return args;
  if (first === '--version' || first === 'version')
    return { ...args, command: 'version' };
  if (first !== 'validate' && first !== 'render')
    throw new UsageError(`unknown command "${first}"`);
  args.command = first;
  const value = (flag: string): string => {
    const v = rest.shift();
    if (v === undefined || (v.startsWith('-') && v !== '-'))
      throw new UsageError(`${flag} needs a value`);
    return v;
  };
  while (rest.length > 0) {
    let flag = rest.shift()!;
    // --flag=value, and -f=value for the one-letter flags (kubectl accepts both: -o=json, -n=ml)
    let eq = -1;
    if (flag.startsWith('--')) eq = flag.indexOf('=');
    else if (/^-[a-z]=/.test(flag)) eq = 2;
    if (eq > 0) {
      rest.unshift(flag.slice(eq + 1));
      flag = flag.slice(0, eq);
    }
    switch (flag) {
      case '-f':
      case '--filename':
        args.file = value(flag);
        break;
      case '-n':
      case '--namespace':
        if (args.command !== 'render')
          throw new UsageError(`${flag} only applies to render`);
        args.namespace = value(flag);
        break;
      case '-o':
      case '--output': {
        if (args.command !== 'render')
          throw new UsageError(`${flag} only applies to render`);
        const o = value(flag);
        if (o !== 'yaml' && o !== 'json')
          throw new UsageError(`unsupported output "${o}" (yaml or json)`);
        args.output = o;
        break;
      }
      case '--summary':
        args.summary = true;
        break;
      case '--epp-image':
        args.render.eppImage = value(flag);
        break;
      case '--pd-epp-image':
        args.render.pdEppImage = value(flag);
        break;
      case '--kv-cache-metric': {
        const v = value(flag);
        args.render.kvCacheMetric = v === 'none' ? null : v;
        break;
      }
      case '-h':
      case '--help':
        return { ...args, command: 'help' };
      default:
        throw new UsageError(`unknown flag "${flag}"`);
    }
  }
  return args;
}

async function readInput(args: Args, io: CliIo): Promise<string> {
  let buf: Buffer;
  const name = !args.file || args.file === '-' ? 'standard input' : args.file;
  try {
    buf =
      !args.file || args.file === '-'
        ? await io.readStdin()
        : await io.readFile(args.file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reasons: Record<string, string> = {
      ENOENT: 'no such file',
      EISDIR: 'is a directory',
      EACCES: 'permission denied',
    };
    const why =
      err.code === 'ESPECIAL'
        ? `${err.message}; pass a manifest file or pipe it on standard input`
        : (reasons[err.code ?? ''] ?? err.message);
    throw new InputError(`cannot read ${name}: ${why}`);
  }
  if (buf.length > MAX_INPUT_BYTES) {
    // Readers stop after MAX_INPUT_BYTES + 1 bytes, so the true size is unknown here.
    throw new InputError(
      `${name} is larger than ${MAX_INPUT_BYTES / 1048576} MiB; at most ${MAX_INPUT_BYTES / 1048576} MiB is accepted (Kubernetes objects are limited to about 1.5 MiB)`,
    );
  }
  if (buf.includes(0))
    throw new InputError(`${name} is binary, not YAML or JSON text`);
  return buf.toString('utf8');
}

/** Parses every YAML document; expands `kind: List` documents into their items. */
export function parseManifests(text: string): unknown[] {
  return parseManifestDocuments(text).values;
}

/** A plain scalar that kubectl (YAML 1.1) and this tool (YAML 1.2) read differently. */
export interface InputAmbiguity {
  /** Index of the YAML document (0-based) and the number of documents. */
  document: number;
  documents: number;
  issue: ValidationIssue;
}

/**
 * {@link parseManifests}, plus every scalar that kubectl would read differently (`017`, `1_000`, `yes`, `on` …):
 * those make the input ambiguous, since what this tool validates would not be what kubectl applies (review M8).
 */
export function parseManifestDocuments(text: string): {
  values: unknown[];
  ambiguities: InputAmbiguity[];
} {
  // The YAML parser recurses per level; hostile nesting is refused before it (it can crash the process).
  if (yamlNestingBound(text) > YAML_MAX_NESTING_BOUND)
    throw new InputError(
      `not usable YAML: nested too deeply to be parsed safely (nesting bound above ${YAML_MAX_NESTING_BOUND}: one per open bracket, two per column of indentation)`,
    );
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    throw new InputError(`not valid YAML: ${firstLine((e as Error).message)}`);
  }
  if (!Array.isArray(docs)) docs = [docs];
  const out: unknown[] = [];
  const ambiguities: InputAmbiguity[] = [];
  for (const [i, doc] of docs.entries()) {
    const problem = doc.errors[0];
    if (problem) {
      const where = problem.linePos?.[0]
        ? ` (line ${problem.linePos[0].line}, column ${problem.linePos[0].col})`
        : '';
      throw new InputError(
        `not valid YAML${docs.length > 1 ? ` in document ${i + 1}` : ''}${where}: ${firstLine(problem.message)}`,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (e) {
      throw new InputError(
        `not usable YAML: ${firstLine((e as Error).message)}`,
      );
    }
    // An empty document (nothing, or only comments, between "---" markers: a leading or trailing "---", files
    // joined with "---") is skipped, as kubectl skips it; an explicit `null` or `~` is still reported.
    if (
      (value === null || value === undefined) &&
      (doc.contents === null ||
        (isScalar(doc.contents) && doc.contents.source === ''))
    )
      continue;
    for (const a of findYamlAmbiguities(doc))
      ambiguities.push({
        document: i,
        documents: docs.length,
        issue: { path: a.path, message: a.message, severity: 'error' },
      });
    const obj = value as { kind?: unknown; items?: unknown };
    const isList =
      !!obj &&
      typeof obj === 'object' &&
      !Array.isArray(obj) &&
      Array.isArray(obj.items) &&
      typeof obj.kind === 'string' &&
      obj.kind.endsWith('List');
    if (isList) {
      out.push(...(obj.items as unknown[]));
    } else {
      out.push(value);
    }
  }
  return { values: out, ambiguities };
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

function summaryLine(s: RenderSummary): string {
  const accelerators = Object.entries(s.totals.accelerators);
  const claims = s.totals.resourceClaims ?? 0;
  return (
    `${s.namespace}/${s.name}: ${s.roles
      .filter(r => r.componentType !== 'router')
      .map(r => `${r.name} ${r.replicas}×${plural(r.nodesPerReplica, 'pod')}`)
      .join(', ')}; ` +
    // GPU equivalents (a MIG 3g slice is 3/7), then the raw count of each accelerator resource.
    `${plural(s.totals.pods, 'pod')}, ${plural(s.totals.gpus, 'GPU')}${
      accelerators.length
        ? ` (${accelerators.map(([k, v]) => `${k}: ${v}`).join(', ')})`
        : ''
    }${claims ? `, ${plural(claims, 'DRA resource claim')} (devices not counted)` : ''}; ` +
    `gang scheduling ${s.gangScheduling ? 'yes' : 'no'}${s.router ? `; router ${s.router.strategy} (${s.router.image})` : ''}; ${s.totals.children} children\n`
  );
}

function docLabel(doc: unknown, index: number, total: number): string {
  if (total <= 1) return '';
  const name = (doc as { metadata?: { name?: unknown } })?.metadata?.name;
  return `documents[${index}]${typeof name === 'string' ? ` (${name})` : ''}: `;
}

function report(
  io: CliIo,
  prefix: string,
  issues: ValidationIssue[],
  kind: 'error' | 'warning',
) {
  for (const issue of issues)
    io.stderr(
      `${kind === 'warning' ? 'warning: ' : ''}${prefix}${formatIssue(issue)}\n`,
    );
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function runCli(
  argv: string[],
  io: CliIo,
  version = '0.0.0',
): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.stderr(`fusioninfer: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (args.command === 'version') {
    io.stdout(`${version}\n`);
    return 0;
  }
  try {
    const { values: docs, ambiguities } = parseManifestDocuments(
      await readInput(args, io),
    );
    for (const a of ambiguities)
      io.stderr(
        `${a.documents > 1 ? `documents[${a.document}]: ` : ''}${formatIssue(a.issue)}\n`,
      );
    if (docs.length === 0) {
      io.stderr(
        'fusioninfer: the input holds no document; expected an InferenceService manifest (apiVersion fusioninfer.io/v1alpha1, kind InferenceService)\n',
      );
      return 1;
    }
    let failed = ambiguities.length > 0;
    // Validate everything first (cheap and bounded), so that nothing is printed when any document is invalid.
    const valid: unknown[] = [];
    docs.forEach((doc, i) => {
      const result = validateInferenceService(doc);
      const prefix = docLabel(doc, i, docs.length);
      report(io, prefix, result.warnings, 'warning');
      report(io, prefix, result.errors, 'error');
      if (!result.valid) failed = true;
      else valid.push(doc);
    });
    if (failed) return 1;
    if (args.command === 'render') {
      // Rendered and written one service at a time: memory stays bounded by one service's children (see LIMITS),
      // however many services the input holds.
      const summaries: string[] = [];
      let first = true;
      if (args.output === 'json')
        io.stdout('{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": [');
      for (const doc of valid) {
        const rendered = renderInferenceService(doc, {
          ...args.render,
          namespace: args.namespace,
        });
        for (const c of rendered.children) {
          if (args.output === 'json') {
            // Byte for byte what JSON.stringify(list, null, 2) prints.
            io.stdout(
              `${first ? '\n' : ',\n'}${JSON.stringify(c, null, 2).replace(/^/gm, '    ')}`,
            );
          } else {
            // Quoted wherever kubectl (YAML 1.1) would read a string as a boolean or number (review M8).
            io.stdout(`${first ? '' : '---\n'}${stringifyKubernetesYaml(c)}`);
          }
          first = false;
        }
        summaries.push(summaryLine(rendered.summary));
      }
      if (args.output === 'json') io.stdout(first ? ']\n}\n' : '\n  ]\n}\n');
      if (args.summary) for (const line of summaries) io.stderr(line);
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr(`fusioninfer: ${e.message}\n`);
      return 2;
    }
    io.stderr(
      `fusioninfer: internal error: ${firstLine(String((e as Error)?.message ?? e))}\n`,
    );
    return 3;
  }
}
