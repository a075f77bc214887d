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
 * Load generator: sends OpenAI completions to the leader pods of an InferenceService through the API server's pod
 * proxy, so the model servers' metrics (queue, running, KV cache, prefix-cache hits) move; or, in gateway mode, to a
 * Gateway's Service through the service proxy, so the Gateway's routes and weights decide where each request goes.
 * Bounded in count and time.
 */

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import https from 'https';
import fetch from 'node-fetch';

export interface LoadOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /**
   * InferenceService name (pods labelled fusioninfer.io/service=NAME, LWS worker-index 0); required unless `gateway`
   * is set.
   */
  service?: string;
  /**
   * Send every request through this Gateway's Service (`services/NAME:80/proxy`) instead of to the leader pods, with
   * `host` as the Host header (matched against the HTTPRoutes' hostnames).
   */
  gateway?: { name: string; host?: string };
  /** Requests per second (open loop). */
  rps: number;
  /** Seconds to run. */
  durationSeconds: number;
  /** Upper bound on requests (default rps × duration). */
  maxRequests?: number;
  promptMix?: 'shared-prefix' | 'random';
  maxTokens?: number;
  /** Model to request (a LoRA adapter name, or the base model by default). */
  model?: string;
  /** Refuse API servers that are not on the loopback interface unless set. */
  allowRemote?: boolean;
  /** How the rate moves over the run (default constant at `rps`). */
  shape?: LoadShape;
}

/**
 * The shape of the load over time, peaking at `rps`: `square` — `rps` for the first half of every period, nothing
 * in the second; `ramp` — from 0 up to `rps` over the run; `burst` — `rps` for `burstSeconds` every `everySeconds`,
 * a tenth of it in between.
 */
export type LoadShape =
  | { kind: 'constant' }
  | { kind: 'square'; periodSeconds: number }
  | { kind: 'ramp' }
  | { kind: 'burst'; everySeconds: number; burstSeconds: number };

/** Reads a shape as the CLI takes it: `constant`, `square:PERIOD`, `ramp`, `burst:EVERY:LENGTH` (seconds). */
export function parseLoadShape(text: string): LoadShape {
  const [kind, a, b] = text.split(':');
  const positive = (v: string | undefined) => {
    const n = Number(v);
    if (!(n > 0))
      throw new Error(
        `load shape "${text}": ${v ?? '(missing)'} is not a positive number of seconds`,
      );
    return n;
  };
  if (kind === 'constant' && a === undefined) return { kind };
  if (kind === 'ramp' && a === undefined) return { kind };
  if (kind === 'square' && b === undefined)
    return { kind, periodSeconds: positive(a) };
  if (kind === 'burst') {
    const shape = {
      kind,
      everySeconds: positive(a),
      burstSeconds: positive(b),
    } as const;
    if (shape.burstSeconds > shape.everySeconds)
      throw new Error(
        `load shape "${text}": a burst cannot be longer than its period`,
      );
    return shape;
  }
  throw new Error(
    `load shape "${text}": expected constant, square:PERIOD, ramp or burst:EVERY:LENGTH`,
  );
}

/** Requests per second at `t` seconds into a run of `duration` seconds. */
export function loadRate(
  shape: LoadShape,
  rps: number,
  t: number,
  duration: number,
): number {
  switch (shape.kind) {
    case 'square':
      return t % shape.periodSeconds < shape.periodSeconds / 2 ? rps : 0;
    case 'ramp':
      return (rps * t) / duration;
    case 'burst':
      return t % shape.everySeconds < shape.burstSeconds ? rps : rps / 10;
    default:
      return rps;
  }
}

/**
 * When each request is sent (seconds from the start), at most `max`: the rate integrated in 10 ms steps, one request
 * each time the integral reaches a whole number (open loop; a constant rate spaces them 1/rps apart from 0).
 */
export function loadSchedule(
  shape: LoadShape,
  rps: number,
  duration: number,
  max: number,
): number[] {
  if (shape.kind === 'constant') {
    const out: number[] = [];
    for (let i = 0; i < max && i / rps <= duration; i++) out.push(i / rps);
    return out;
  }
  const out: number[] = [];
  let acc = 0;
  // Integer steps (t = k / 100), so the shape's windows fall on the seconds they name.
  for (let k = 0; k / 100 <= duration && out.length < max; k++) {
    acc += loadRate(shape, rps, k / 100, duration) / 100;
    if (acc >= 1 - 1e-9) {
      out.push(k / 100);
      acc -= 1;
    }
  }
  return out;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** failed / sent: the error rate the clients saw (0 when nothing was sent). */
  errorRate: number;
  /** Answers by HTTP status (`"200"`, `"500"`, `"503"`), and `"error"` for requests that got no answer. */
  statuses: Record<string, number>;
  achievedRps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Successful answers by pod; in gateway mode by the endpoint the gateway chose (`x-gateway-destination-endpoint`). */
  byPod: Record<string, number>;
  /**
   * Requests by whole second since the start (when sent), counted by the `x-fusioninfer-backend` header of the answer
   * (`InferencePool/NAME`); failures under their status (`"503"`, `"error"`). Gateway mode only.
   */
  byBackend?: Array<{ second: number; counts: Record<string, number> }>;
  /**
   * Answers by the `x-fusioninfer-pair` header (`<prefiller image>-><decoder image>`, `none->…` when decode-only) that
   * a gateway serving a prefill/decode pool sets; failures too, when they carry it. Gateway mode only, and only when
   * some answer had the header.
   */
  byPair?: Record<string, number>;
}

const SHARED_PREFIX =
  'You are a meticulous assistant for the FusionInfer platform. Answer briefly and precisely. '.repeat(
    8,
  );
const quantile = (xs: number[], q: number) =>
  xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] : 0;

function loopback(server: string): boolean {
  const host = new URL(server).hostname;
  return (
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\./.test(host)
  );
}

/** Runs the load; resolves when every request has finished. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const cluster = o.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  if (!o.allowRemote && !loopback(cluster.server))
    throw new Error(
      `refusing to send load to ${cluster.server}: not a loopback address (pass allowRemote to override)`,
    );
  if (!(o.rps > 0) || !(o.durationSeconds > 0))
    throw new Error('rps and duration must be positive');
  if (!o.gateway && !o.service)
    throw new Error('a service or a gateway is required');
  // Gateway mode: one target, the Gateway's Service; the Gateway picks the backend and endpoint per request.
  const targets = o.gateway
    ? [`services/${encodeURIComponent(o.gateway.name)}:80/proxy/v1/completions`]
    : (await readyLeaders(o)).map(p => `pods/${p}:8000/proxy/v1/completions`);
  // The kubeconfig's TLS settings (its CA, client certificates) and credentials, exactly as kubectl uses them:
  // an https development cluster is trusted through the CA written into its kubeconfig.
  const fetchOptions = (await o.kubeConfig.applyToFetchOptions({})) as any;
  const headers: Record<string, string> = {};
  const given = fetchOptions.headers;
  if (given && typeof given.forEach === 'function')
    given.forEach((v: string, k: string) => {
      headers[k] = v;
    });
  else Object.assign(headers, given ?? {});
  headers['content-type'] = 'application/json';
  if (o.gateway?.host) {
    headers.host = o.gateway.host;
    // Node names the TLS server after the Host header (SNI and the certificate check): the API server's certificate
    // is for its own address, so the connection keeps that name while the request carries the gateway's host.
    const agent = fetchOptions.agent as https.Agent | undefined;
    if (agent instanceof https.Agent)
      fetchOptions.agent = new https.Agent({
        ...(agent as https.Agent & { options: https.AgentOptions }).options,
        servername: '',
      });
  }
  const max = Math.min(
    o.maxRequests ?? Math.ceil(o.rps * o.durationSeconds),
    100_000,
  );
  const latencies: number[] = [];
  const byPod: Record<string, number> = {};
  const bySecond: Array<Record<string, number>> = [];
  const byPair: Record<string, number> = {};
  const tally = { ok: 0, failed: 0 };
  const statuses: Record<string, number> = {};
  const count = (key: string) => {
    statuses[key] = (statuses[key] ?? 0) + 1;
  };
  const start = Date.now();
  const inflight: Promise<void>[] = [];
  const schedule = loadSchedule(
    o.shape ?? { kind: 'constant' },
    o.rps,
    o.durationSeconds,
    max,
  );
  for (let i = 0; i < schedule.length; i++) {
    const due = start + schedule[i] * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    const target = targets[i % targets.length];
    const second = Math.floor((Date.now() - start) / 1000);
    const tallyBackend = (key: string) => {
      const counts = (bySecond[second] ??= {});
      counts[key] = (counts[key] ?? 0) + 1;
    };
    const prompt =
      o.promptMix === 'random'
        ? `Request ${i}: ${Math.random().toString(36).repeat(20)}`
        : `${SHARED_PREFIX} Question ${i}: what is ${i} squared?`;
    const t0 = Date.now();
    inflight.push(
      fetch(`${cluster.server}/api/v1/namespaces/${o.namespace}/${target}`, {
        ...fetchOptions,
        method: 'POST',
        headers,
        body: JSON.stringify({
          ...(o.model ? { model: o.model } : {}),
          prompt,
          max_tokens: o.maxTokens ?? 32,
        }),
        signal: AbortSignal.timeout(60_000) as any,
      })
        .then(async r => {
          await r.arrayBuffer();
          count(String(r.status));
          const backend = r.headers.get('x-fusioninfer-backend');
          const pair = o.gateway ? r.headers.get('x-fusioninfer-pair') : null;
          if (pair) byPair[pair] = (byPair[pair] ?? 0) + 1;
          if (r.ok) {
            tally.ok++;
            const pod = o.gateway
              ? (r.headers.get('x-gateway-destination-endpoint') ?? '?')
              : target.split('/')[1].split(':')[0];
            byPod[pod] = (byPod[pod] ?? 0) + 1;
            tallyBackend(backend ?? 'unknown');
          } else {
            tally.failed++;
            tallyBackend(String(r.status));
          }
        })
        .catch(() => {
          count('error');
          tally.failed++;
          tallyBackend('error');
        })
        .finally(() => latencies.push(Date.now() - t0)),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const seconds = (Date.now() - start) / 1000;
  return {
    sent: inflight.length,
    ok: tally.ok,
    failed: tally.failed,
    errorRate: inflight.length
      ? Number((tally.failed / inflight.length).toFixed(4))
      : 0,
    statuses,
    achievedRps: Number(
      (inflight.length / Math.max(seconds, 0.001)).toFixed(2),
    ),
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
    },
    byPod,
    ...(o.gateway
      ? {
          byBackend: Array.from(bySecond, (counts, second) => ({
            second,
            counts: counts ?? {},
          })),
          ...(Object.keys(byPair).length > 0 ? { byPair } : {}),
        }
      : {}),
  };
}

/** The Ready leader pods of the service (pod mode). */
async function readyLeaders(o: LoadOptions): Promise<string[]> {
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const pods = (
    await core.listNamespacedPod({
      namespace: o.namespace,
      labelSelector: `fusioninfer.io/service=${o.service},leaderworkerset.sigs.k8s.io/worker-index=0`,
    })
  ).items.filter(p =>
    (p.status?.conditions ?? []).some(
      c => c.type === 'Ready' && c.status === 'True',
    ),
  );
  if (pods.length === 0)
    throw new Error(
      `no ready leader pods for service ${o.namespace}/${o.service}`,
    );
  return pods.map(p => p.metadata!.name!);
}

/** CLI entry of fusioninfer-loadgen. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      process.stderr.write(
        'Usage: fusioninfer-loadgen --service NAME | --gateway NAME [--host H] [--namespace NS] [--kubeconfig PATH] [--rps R] [--duration S] [--shape constant|square:PERIOD|ramp|burst:EVERY:LENGTH] [--prompt-mix shared-prefix|random] [--max-tokens N] [--model NAME]\n',
      );
      process.exitCode = 2;
      return;
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  if (!args.service && !args.gateway) {
    process.stderr.write(
      'fusioninfer-loadgen: --service or --gateway is required\n',
    );
    process.exitCode = 2;
    return;
  }
  let shape: LoadShape | undefined;
  try {
    shape = args.shape ? parseLoadShape(args.shape) : undefined;
  } catch (e) {
    process.stderr.write(`fusioninfer-loadgen: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const kc = new KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else kc.loadFromDefault();
  const result = await runLoad({
    kubeConfig: kc,
    namespace:
      args.namespace ??
      kc.getContextObject(kc.getCurrentContext())?.namespace ??
      'default',
    ...(args.service ? { service: args.service } : {}),
    ...(args.gateway
      ? {
          gateway: {
            name: args.gateway,
            ...(args.host ? { host: args.host } : {}),
          },
        }
      : {}),
    rps: Number(args.rps ?? 5),
    durationSeconds: Number(args.duration ?? 10),
    promptMix:
      (args['prompt-mix'] as LoadOptions['promptMix']) ?? 'shared-prefix',
    maxTokens: Number(args['max-tokens'] ?? 32),
    model: args.model,
    ...(shape ? { shape } : {}),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
