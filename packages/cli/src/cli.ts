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
  clusterSnapshotOf,
  ClusterSnapshot,
  gpuFromProduct,
  GpuSpec,
  ModelCatalog,
  modelConfigOf,
  ModelEntry,
  parseGpuMemory,
  preflight,
  formatPreflight,
  readEngineArgs,
  shippedModelCatalog,
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
  fusioninfer preflight [-f FILE|-] [-o text|json] [--gpu PRODUCT | --gpu-memory SIZE]
                       [--nodes COUNTxGPUS[,COUNTxGPUS…]] [--model-config [MODEL=]CONFIG.JSON]…

Reads InferenceService manifests (fusioninfer.io/v1alpha1; several YAML documents or a List are fine) from FILE,
or from standard input when FILE is "-" or omitted. FILE must be a regular file of at most 5 MiB. Unquoted values
that kubectl reads differently (yes/no/on/off/y/n, 017, 0o17, 0b11, 1_000) are errors: quote strings, write
numbers in plain decimal. YAML output quotes every string kubectl could misread.

  validate   exit 0 when every document is valid (warnings go to stderr),
             1 with one "path: message" line per error on stderr.
  render     prints every child the controller creates (YAML documents, or one v1 List with -o json);
             --summary adds pods and GPU totals on stderr. Exit 1 on invalid input, 2 on unreadable input.
  preflight  per role: whether vLLM starts on the GPU (memory, KV cache tokens, requests of full length at once,
             the error vLLM would print and a fix), and whether the pods fit the nodes (--nodes 4x8: four nodes
             with 8 free GPUs each; the gang together). The GPU: --gpu H100-80GB (a known product) or
             --gpu-memory 80GiB. Models: the shipped catalog, or a config.json given with --model-config (for
             the service's models, or MODEL=FILE for one). Answers "unknown" where it does not know. Exit 1
             when a role does not start or the pods do not fit.
`;

class UsageError extends Error {}
class InputError extends Error {}

interface Args {
  command: 'validate' | 'render' | 'preflight' | 'help' | 'version';
  file?: string;
  namespace?: string;
  output: 'yaml' | 'json' | 'text';
  summary: boolean;
  render: RenderOptions;
  gpu?: GpuSpec;
  nodes?: Array<{ count: number; gpus: number }>;
  /** `--model-config` files: [model name or undefined for every model of the service, path]. */
  modelConfigs: Array<[string | undefined, string]>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: 'help',
    output: 'yaml',
    summary: false,
    render: {},
    modelConfigs: [],
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
  if (first !== 'validate' && first !== 'render' && first !== 'preflight')
    throw new UsageError(`unknown command "${first}"`);
  args.command = first;
  if (first === 'preflight') args.output = 'text';
  const only = (flag: string, command: Args['command']) => {
    if (args.command !== command)
      throw new UsageError(`${flag} only applies to ${command}`);
  };
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
        if (args.command === 'validate')
          throw new UsageError(`${flag} only applies to render and preflight`);
        const o = value(flag);
        const allowed =
          args.command === 'render' ? ['yaml', 'json'] : ['text', 'json'];
        if (!allowed.includes(o))
          throw new UsageError(
            `unsupported output "${o}" (${allowed.join(' or ')})`,
          );
        args.output = o as Args['output'];
        break;
      }
      case '--gpu': {
        only(flag, 'preflight');
        const v = value(flag);
        const gpu = gpuFromProduct(v);
        if (!gpu)
          throw new UsageError(
            `unknown GPU product "${v}" (known: H100-80GB, H200, A100-80GB, A100-40GB, L40S, L4, A10G, T4, B200, MI300X …); or give --gpu-memory 80GiB`,
          );
        args.gpu = gpu;
        break;
      }
      case '--gpu-memory': {
        only(flag, 'preflight');
        const v = value(flag);
        const bytes = parseGpuMemory(v);
        if (!bytes)
          throw new UsageError(
            `${flag} "${v}" is not an amount of memory (e.g. 80GiB, 81559Mi)`,
          );
        args.gpu = { memoryBytes: bytes, source: 'given' };
        break;
      }
      case '--nodes': {
        only(flag, 'preflight');
        const v = value(flag);
        const groups = v
          .split(',')
          .map(g => /^([0-9]{1,4})x([0-9]{1,3})$/.exec(g.trim()));
        if (groups.some(g => !g || Number(g[1]) < 1))
          throw new UsageError(
            `${flag} "${v}" is not COUNTxGPUS[,COUNTxGPUS…] (e.g. 4x8: four nodes with 8 free GPUs)`,
          );
        args.nodes = groups.map(g => ({
          count: Number(g![1]),
          gpus: Number(g![2]),
        }));
        break;
      }
      case '--model-config': {
        only(flag, 'preflight');
        const v = value(flag);
        const at = v.indexOf('=');
        args.modelConfigs.push(
          at > 0 ? [v.slice(0, at), v.slice(at + 1)] : [undefined, v],
        );
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

async function readInputFile(file: string, io: CliIo): Promise<Buffer> {
  try {
    const buf = await io.readFile(file);
    if (buf.length > MAX_INPUT_BYTES)
      throw new InputError(
        `${file} is larger than ${MAX_INPUT_BYTES / 1048576} MiB`,
      );
    return buf;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${file}: ${(e as Error).message}`);
  }
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

/** The model catalog of a pre-flight: the shipped models, and the --model-config files for the service's models. */
async function preflightCatalog(
  args: Args,
  io: CliIo,
  docs: unknown[],
): Promise<ModelCatalog> {
  const entries: ModelEntry[] = [...shippedModelCatalog()];
  const names = new Set<string>();
  for (const doc of docs) {
    const roles = (doc as any)?.spec?.roles;
    if (!Array.isArray(roles)) continue;
    for (const role of roles) {
      const containers = role?.template?.spec?.containers;
      if (!Array.isArray(containers)) continue;
      for (const c of containers) {
        const model = readEngineArgs(c).model;
        if (model) names.add(model);
      }
    }
  }
  for (const [model, file] of args.modelConfigs) {
    const text = (await readInputFile(file, io)).toString('utf8');
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new InputError(
        `--model-config ${file}: not JSON (${firstLine((e as Error).message)})`,
      );
    }
    const parsed = modelConfigOf(config);
    if (!parsed.num_hidden_layers && !parsed.text_config)
      throw new InputError(
        `--model-config ${file}: not a model config.json (no num_hidden_layers)`,
      );
    for (const id of model ? [model] : names)
      entries.push({ id, config: parsed, source: file });
  }
  return new ModelCatalog(entries);
}

/** A synthetic cluster from --nodes (node-0 … with the --gpu labels), or none. */
function preflightSnapshot(args: Args): ClusterSnapshot | undefined {
  if (!args.nodes) return undefined;
  const nodes: unknown[] = [];
  for (const g of args.nodes)
    for (let i = 0; i < g.count && nodes.length < 10_000; i++)
      nodes.push({
        metadata: {
          name: `node-${nodes.length}`,
          labels: args.gpu
            ? {
                ...(args.gpu.product
                  ? { 'nvidia.com/gpu.product': args.gpu.product }
                  : {}),
                'nvidia.com/gpu.memory': String(
                  Math.round(args.gpu.memoryBytes / 1024 ** 2 / 0.99),
                ),
              }
            : {},
        },
        status: {
          allocatable: { 'nvidia.com/gpu': String(g.gpus), pods: '110' },
        },
      });
  return clusterSnapshotOf(nodes as any, []);
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
    if (args.command === 'preflight') {
      const catalog = await preflightCatalog(args, io, valid);
      const snapshot = preflightSnapshot(args);
      let bad = false;
      const reports = valid.map(doc => {
        const r = preflight(
          doc,
          snapshot,
          catalog,
          args.gpu ? { gpu: args.gpu } : {},
        );
        if (r.verdict === 'does-not-start' || r.gang.fits === false) bad = true;
        const meta = (
          doc as { metadata?: { name?: string; namespace?: string } }
        ).metadata;
        return {
          name: `${meta?.namespace ?? 'default'}/${meta?.name ?? ''}`,
          report: r,
        };
      });
      if (args.output === 'json')
        io.stdout(
          `${JSON.stringify(reports.length === 1 ? reports[0].report : reports, null, 2)}\n`,
        );
      else
        for (const r of reports) io.stdout(formatPreflight(r.report, r.name));
      return bad ? 1 : 0;
    }
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
