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
 * The kubelet: every pod bound to a node runs (phase, pod IP, container statuses), whatever owns it (a bare
 * `kubectl run` pod too), becomes Ready after the start-up delay, or crash-loops with the reason the program would
 * print (an image named *crashloop*, an EPP whose configuration names plugins its image lacks); Job pods and
 * `restartPolicy: Never|OnFailure` pods succeed when their programs end (./programs: `echo` at once, `sleep 3600`
 * after an hour); the kubelet's events and the containers' log lines follow what each pod does. Model-server pods
 * follow their image's behaviour (./behaviours): their own start-up delay, a crash or OOM kill after loading with
 * CrashLoopBackOff restarts, a readiness probe that starts failing.
 */

import {
  LLM_D_ONLY_PLUGIN_TYPES,
  parseEndpointPickerConfig,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KObject } from '../api';
import {
  CRASH_BACKOFF_MS,
  hash,
  LWS,
  nowIso,
  sameJson,
  SimContext,
} from './context';
import { echoLines, programRun } from './programs';

export const isModelServer = (pod: KObject): boolean =>
  pod.metadata.labels?.[LWS.worker] === '0' &&
  !String(pod.spec?.containers?.[0]?.image ?? '').includes('epp');
export const isEpp = (pod: KObject): boolean => {
  const image = String(pod.spec?.containers?.[0]?.image ?? '');
  return (
    String(pod.metadata.labels?.app ?? '').endsWith('-epp') ||
    image.includes('epp') ||
    image.includes('inference-scheduler')
  );
};
const argValue = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  const eq = args.find(a => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
};
const imageTag = (image: unknown) =>
  String(image ?? '')
    .split(':')[1]
    ?.replace(/^v/, '') ?? 'latest';
const stamp = () => {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};
/** A vLLM log line: `INFO 11-27 16:55:50 [file.py:123] message`. */
export const vllm = (where: string, message: string) =>
  `INFO ${stamp()} [${where}] ${message}`;
const eppLine = (
  level: string,
  logger: string,
  msg: string,
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    level,
    ts: new Date().toISOString(),
    logger,
    msg,
    ...extra,
  });

// EPP configurations parsed once per text (every pass asks again for every EPP pod).
const parsedConfigs = new Map<
  string,
  ReturnType<typeof parseEndpointPickerConfig>
>();
function parsedConfig(text: string) {
  let parsed = parsedConfigs.get(text);
  if (!parsed) {
    if (parsedConfigs.size > 256) parsedConfigs.clear();
    parsed = parseEndpointPickerConfig(text);
    parsedConfigs.set(text, parsed);
  }
  return parsed;
}
const hashes = new Map<string, string>();
const memoHash = (key: string, v: unknown) => {
  let h = hashes.get(key);
  if (!h) {
    if (hashes.size > 50_000) hashes.clear();
    h = hash(v, 64);
    hashes.set(key, h);
  }
  return h;
};

/** Why an EPP pod's container fails to start (its ConfigMap is missing or names plugins the image lacks). */
export function eppConfigProblem(
  ctx: SimContext,
  pod: KObject,
): string | undefined {
  const { api, cmT, safe } = ctx;
  const c = pod.spec?.containers?.[0];
  if (
    !c ||
    (!String(c.image ?? '').includes('epp') &&
      !String(c.image ?? '').includes('inference-scheduler'))
  )
    return undefined;
  const vol = (pod.spec?.volumes ?? []).find((v: any) => v.configMap?.name);
  const cm = vol
    ? safe(() => api.peek(cmT, pod.metadata.namespace, vol.configMap.name))
    : undefined;
  const text = cm?.data?.['config.yaml'];
  if (!text)
    return vol ? `configmap "${vol.configMap.name}" not found` : undefined;
  const parsed = parsedConfig(text);
  const error = parsed.issues.find(i => i.severity === 'error');
  if (error)
    return `failed to load the EPP config: ${error.path} ${error.message}`;
  const llmd = String(c.image).includes('llm-d');
  const missing = parsed.pluginTypes.find(t =>
    LLM_D_ONLY_PLUGIN_TYPES.includes(t),
  );
  if (missing && !llmd)
    return `plugin type '${missing}' is not found in registry`;
  return undefined;
}

/** One pass of the kubelet: phases, pod IPs, readiness after the start-up delay, crash loops, events and logs. */
export function kubelet(ctx: SimContext): void {
  const { api, podsT, startedAt, startupDelay, setStatus } = ctx;
  const now = Date.now();
  for (const pod of api.scan(podsT)) {
    if (!pod.spec?.nodeName || pod.metadata.deletionTimestamp) continue;
    const uid = pod.metadata.uid;
    const starting = !startedAt.has(uid);
    if (starting && !ctx.spend()) continue; // started by a later pass
    if (starting) startedAt.set(uid, now);
    const started = startedAt.get(uid)!;
    const finish = finishesAfter(pod);
    if (finish !== undefined) {
      if (['Succeeded', 'Failed'].includes(pod.status?.phase)) continue;
      if (now - started >= startupDelay + finish) {
        if (starting) containersStarted(ctx, pod);
        completed(ctx, pod);
        continue;
      }
      // until then it runs like any pod: Running, and Ready once the start-up delay has passed
    }
    const behaviour = ctx.behaviourOf(pod);
    if (behaviour?.failStart) {
      failingStart(ctx, pod, behaviour.failStart, {
        runMs: behaviour.startupDelayMs ?? startupDelay,
        elapsed: now - started,
        starting,
      });
      continue;
    }
    const delay = behaviour?.startupDelayMs ?? startupDelay;
    // notReadyAfterMs: the model server's readiness probe fails from then on (its container keeps running)
    const probeFailing =
      behaviour?.notReadyAfterMs !== undefined &&
      now - started >= delay + behaviour.notReadyAfterMs;
    const crash = (pod.spec.containers ?? []).some((c: any) =>
      String(c.image ?? '').includes('crashloop'),
    )
      ? 'Back-off restarting failed container'
      : eppConfigProblem(ctx, pod);
    const prev = pod.status ?? {};
    const podIP = prev.podIP ?? ctx.nextPodIp();
    const containersUp = !crash && now - started >= delay;
    const ready = containersUp && !probeFailing;
    const restarts = crash ? Math.floor((now - started) / CRASH_BACKOFF_MS) : 0;
    const keep = (type: string, status: string) => {
      const p = (prev.conditions ?? []).find((c: any) => c.type === type);
      return {
        type,
        status,
        lastTransitionTime:
          p && p.status === status ? p.lastTransitionTime : nowIso(),
      };
    };
    const status = {
      ...prev,
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: prev.startTime ?? nowIso(),
      qosClass: prev.qosClass ?? 'BestEffort',
      conditions: [
        keep('PodScheduled', 'True'),
        keep('Initialized', 'True'),
        keep('ContainersReady', ready ? 'True' : 'False'),
        keep('Ready', ready ? 'True' : 'False'),
      ],
      containerStatuses: (pod.spec.containers ?? []).map(
        (c: any, i: number) => ({
          name: c.name,
          image: c.image,
          imageID: `docker.io/${c.image}@sha256:${memoHash(`i/${c.image}`, c.image)}`,
          containerID: `containerd://${memoHash(`c/${uid}/${i}`, { uid, i })}`,
          ready: containersUp && !(i === 0 && probeFailing),
          started: !crash,
          restartCount: restarts,
          state: crash
            ? {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off 10s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid}): ${crash}`,
                },
              }
            : {
                running: {
                  startedAt:
                    prev.containerStatuses?.[i]?.state?.running?.startedAt ??
                    nowIso(),
                },
              },
          ...(crash
            ? {
                lastState: {
                  terminated: {
                    exitCode: 1,
                    reason: 'Error',
                    message: crash,
                  },
                },
              }
            : {}),
        }),
      ),
    };
    // a status change of a running pod waits for a later pass once this step's budget is spent
    if (!starting && !sameJson(pod.status, status) && !ctx.spend()) continue;
    if (starting) containersStarted(ctx, pod);
    const wasReady = (prev.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    );
    if (ready && !wasReady) writeReadyLogs(ctx, pod);
    if (probeFailing && wasReady) readinessProbeFailed(ctx, pod, podIP);
    const prevRestarts = prev.containerStatuses?.[0]?.restartCount ?? -1;
    if (crash && restarts !== prevRestarts) {
      writeCrashLogs(ctx, pod, crash, prevRestarts >= 0);
      ctx.event(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${pod.spec.containers?.[0]?.name} in pod ${pod.metadata.name}: ${crash}`,
        'kubelet',
      );
    }
    if (ready) writeServingStats(ctx, pod, now);
    setStatus(podsT, pod, status);
  }
}

/**
 * When a pod's programs end (ms after its containers start), or undefined when the pod runs until it is deleted.
 * Job pods and `restartPolicy: Never|OnFailure` pods end when all their containers' programs have ended
 * (`kubectl run --restart=Never busybox -- echo hi` at once, `-- sleep 3600` after an hour; ./programs reads them).
 * A program the kubelet cannot read (the image's own, a server) ends at once in a Job and runs in a bare pod;
 * `restartPolicy: Always` pods run (restarts of ended programs are not modelled).
 */
function finishesAfter(pod: KObject): number | undefined {
  const job = (pod.metadata.ownerReferences ?? []).some(
    (r: any) => r.kind === 'Job',
  );
  if (!job && !['Never', 'OnFailure'].includes(pod.spec?.restartPolicy))
    return undefined;
  let latest = 0;
  for (const c of (pod.spec?.containers ?? []) as any[]) {
    const run = programRun(c);
    if (run.kind === 'forever') return undefined;
    if (run.kind === 'unknown') {
      if (!job) return undefined;
    } else latest = Math.max(latest, run.afterMs);
  }
  return latest;
}

/** A finished program: phase Succeeded, containers terminated with exit code 0, and what `echo` printed. */
function completed(ctx: SimContext, pod: KObject): void {
  const finishedAt = nowIso();
  const prev = pod.status ?? {};
  const cond = (type: string, status: string, reason?: string) => ({
    type,
    status,
    ...(reason ? { reason } : {}),
    lastTransitionTime: finishedAt,
  });
  ctx.setStatus(ctx.podsT, pod, {
    ...prev,
    phase: 'Succeeded',
    hostIP: '127.0.0.1',
    podIP: prev.podIP ?? ctx.nextPodIp(),
    startTime: prev.startTime ?? finishedAt,
    qosClass: prev.qosClass ?? 'BestEffort',
    conditions: [
      cond('PodScheduled', 'True'),
      cond('Initialized', 'True', 'PodCompleted'),
      cond('ContainersReady', 'False', 'PodCompleted'),
      cond('Ready', 'False', 'PodCompleted'),
    ],
    containerStatuses: ((pod.spec?.containers ?? []) as any[]).map((c, i) => ({
      name: c.name,
      image: c.image,
      imageID: `docker.io/${c.image}@sha256:${memoHash(`i/${c.image}`, c.image)}`,
      ...(prev.containerStatuses?.[i]?.containerID
        ? { containerID: prev.containerStatuses[i].containerID }
        : {}),
      ready: false,
      started: false,
      restartCount: 0,
      state: {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt:
            prev.containerStatuses?.[i]?.state?.running?.startedAt ??
            prev.startTime ??
            finishedAt,
          finishedAt,
        },
      },
    })),
  });
}

/**
 * The kubelet's events for started containers and the first lines each program writes (a model server's up to its
 * loaded weights, or while still loading them when `weightsLoaded` is false).
 */
function containersStarted(
  ctx: SimContext,
  pod: KObject,
  weightsLoaded = true,
): void {
  for (const c of (pod.spec?.containers ?? []) as any[]) {
    ctx.event(
      pod,
      'Normal',
      'Pulled',
      `Container image "${c.image}" already present on machine`,
      'kubelet',
      `Pulled/${c.name}`,
    );
    ctx.event(
      pod,
      'Normal',
      'Created',
      `Created container: ${c.name}`,
      'kubelet',
      `Created/${c.name}`,
    );
    ctx.event(
      pod,
      'Normal',
      'Started',
      `Started container ${c.name}`,
      'kubelet',
      `Started/${c.name}`,
    );
  }
  // what the programs print as they start (echo, alone or in a shell script)
  for (const c of (pod.spec?.containers ?? []) as any[]) {
    const lines = echoLines(c);
    if (lines.length) ctx.logs.append(pod, c.name, ...lines);
  }
  const c = pod.spec?.containers?.[0];
  if (!c) return;
  if (isModelServer(pod)) {
    ctx.logs.append(pod, c.name, ...modelServerStartLines(c, weightsLoaded));
  } else if (isEpp(pod)) {
    ctx.logs.append(
      pod,
      c.name,
      eppLine('info', 'setup', 'Flags processed', { image: c.image }),
      eppLine('info', 'setup', 'Loading the EPP configuration'),
    );
  }
}

/** What vLLM prints as it starts, up to the loaded weights (`weightsLoaded`) or while it is still loading them. */
function modelServerStartLines(c: any, weightsLoaded: boolean): string[] {
  const args = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  const model =
    argValue(args, '--model') ?? args.find(a => a.includes('/')) ?? 'model';
  return [
    vllm('api_server.py:1090', `vLLM API server version ${imageTag(c.image)}`),
    vllm('api_server.py:1091', `args: ${args.join(' ')}`),
    vllm(
      'config.py:3392',
      `Using max model len ${argValue(args, '--max-model-len') ?? '40960'}`,
    ),
    vllm('gpu_model_runner.py:1770', `Starting to load model ${model}...`),
    ...(weightsLoaded
      ? [vllm('default_loader.py:262', 'Loading weights took 4.12 seconds')]
      : []),
  ];
}

function writeReadyLogs(ctx: SimContext, pod: KObject): void {
  const c = pod.spec?.containers?.[0];
  if (!c) return;
  if (isModelServer(pod)) {
    ctx.logs.append(
      pod,
      c.name,
      vllm(
        'gpu_model_runner.py:1792',
        'Model loading took 15.27 GiB and 5.08 seconds',
      ),
      vllm('kv_cache_utils.py:829', 'GPU KV cache size: 262,144 tokens'),
      vllm(
        'api_server.py:1857',
        'Starting vLLM API server 0 on http://0.0.0.0:8000',
      ),
      'INFO:     Started server process [1]',
      'INFO:     Waiting for application startup.',
      'INFO:     Application startup complete.',
    );
  } else if (isEpp(pod)) {
    ctx.logs.append(
      pod,
      c.name,
      eppLine('info', 'setup', 'Starting manager'),
      eppLine('info', 'controller-runtime.metrics', 'Serving metrics server', {
        bindAddress: ':9090',
        secure: false,
      }),
      eppLine('info', 'setup', 'gRPC ext-proc server listening', {
        port: 9002,
      }),
    );
  }
}

function writeCrashLogs(
  ctx: SimContext,
  pod: KObject,
  reason: string,
  restarted: boolean,
): void {
  const c = pod.spec?.containers?.[0];
  if (!c) return;
  if (restarted) ctx.logs.restart(pod, c.name);
  if (isEpp(pod)) {
    ctx.logs.append(
      pod,
      c.name,
      eppLine('info', 'setup', 'Flags processed', { image: c.image }),
      eppLine('error', 'setup', 'Failed to load the EPP configuration', {
        error: reason,
      }),
    );
  } else ctx.logs.append(pod, c.name, `Error: ${reason}`);
}

/** vLLM's periodic engine statistics (every 10 s while it serves). */
const lastStats = new WeakMap<
  SimContext,
  Map<string, { at: number; requests: number }>
>();
function writeServingStats(ctx: SimContext, pod: KObject, now: number): void {
  const engine = ctx.engines.get(pod.metadata.uid);
  const c = pod.spec?.containers?.[0];
  if (!engine || !c) return;
  const byPod = lastStats.get(ctx) ?? lastStats.set(ctx, new Map()).get(ctx)!;
  const last = byPod.get(pod.metadata.uid) ?? { at: now, requests: 0 };
  if (!byPod.has(pod.metadata.uid)) byPod.set(pod.metadata.uid, last);
  const s = engine.state;
  if (
    now - last.at < 10_000 ||
    (s.requests === last.requests && s.running === 0 && s.waiting === 0)
  )
    return;
  const hitRate = s.prefixQueries ? (100 * s.prefixHits) / s.prefixQueries : 0;
  ctx.logs.append(
    pod,
    c.name,
    vllm(
      'loggers.py:123',
      `Engine 000: Avg prompt throughput: ${((s.requests - last.requests) / ((now - last.at) / 1000)).toFixed(1)} requests/s, Running: ${s.running} reqs, Waiting: ${s.waiting} reqs, GPU KV cache usage: ${(100 * s.kvUsage).toFixed(1)}%, Prefix cache hit rate: ${hitRate.toFixed(1)}%`,
    ),
  );
  byPod.set(pod.metadata.uid, { at: now, requests: s.requests });
}

/** A vLLM log line at ERROR level. */
const vllmError = (where: string, message: string) =>
  `ERROR ${stamp()} [${where}] ${message}`;

/** Go's time.Duration text for whole seconds (10s, 1m20s, 5m0s), as the kubelet's back-off message prints it. */
const goDuration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
};
const isoAt = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/**
 * How long the kubelet takes to restart a container after its first exit (its pod-lifecycle relist runs every
 * second): the container shows `terminated` meanwhile. At most the run time itself, so fast test clusters stay fast.
 */
export const FIRST_RESTART_MS = 1000;
/** The kubelet's crash-loop back-off: 10 s after the second exit, doubling, at most five minutes. */
export const MAX_CRASH_BACKOFF_MS = 300_000;

/** Where a container that always fails is in its crash loop, in ms after its first start. */
export interface CrashPhase {
  /** The attempt running or last exited; also the container's restartCount. */
  attempt: number;
  /** When this attempt started. */
  startedAt: number;
  /** When this attempt exited, once it has. */
  exitedAt?: number;
  /** The wait after this attempt's exit before the next one (the first restart is not backed off). */
  waitMs: number;
  /** The attempt before this one (lastState), from the second attempt on. */
  previous?: { startedAt: number; exitedAt: number };
}

/**
 * The kubelet's restarts of a container that exits `runMs` after each start: the first restart at once (after
 * FIRST_RESTART_MS at most), then back-off 10 s, 20 s, 40 s ... up to five minutes, as kubelet's CrashLoopBackOff.
 */
export function crashPhase(elapsed: number, runMs: number): CrashPhase {
  const run = Math.max(1, runMs);
  let start = 0;
  let previous: CrashPhase['previous'];
  for (let attempt = 0; ; attempt++) {
    const exit = start + run;
    const waitMs =
      attempt === 0
        ? Math.min(FIRST_RESTART_MS, run)
        : Math.min(CRASH_BACKOFF_MS * 2 ** (attempt - 1), MAX_CRASH_BACKOFF_MS);
    if (elapsed < exit) return { attempt, startedAt: start, waitMs, previous };
    if (elapsed < exit + waitMs)
      return { attempt, startedAt: start, exitedAt: exit, waitMs, previous };
    previous = { startedAt: start, exitedAt: exit };
    start = exit + waitMs;
  }
}

/** What a failing vLLM prints when its attempt ends: the engine's start-up error, or nothing more when OOM-killed. */
function failureLines(failure: 'crash' | 'oom'): string[] {
  if (failure === 'oom')
    // killed by the kernel while reading the weights into memory: the progress bar is the last thing it wrote
    return [
      'Loading safetensors checkpoint shards:   0% Completed | 0/4 [00:00<?, ?it/s]',
      'Loading safetensors checkpoint shards:  25% Completed | 1/4 [00:02<00:07,  2.41s/it]',
      'Loading safetensors checkpoint shards:  50% Completed | 2/4 [00:04<00:04,  2.38s/it]',
    ];
  const where = 'core.py:708';
  return [
    vllmError(where, 'EngineCore failed to start.'),
    vllmError(where, 'Traceback (most recent call last):'),
    vllmError(
      where,
      '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core',
    ),
    vllmError(where, '    engine_core = EngineCoreProc(*args, **kwargs)'),
    vllmError(
      where,
      'RuntimeError: CUDA error: no kernel image is available for execution on the device',
    ),
    'Traceback (most recent call last):',
    '  File "/usr/local/bin/vllm", line 10, in <module>',
    '    sys.exit(main())',
    'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
  ];
}

/** Which attempt of each failing pod the logs and events have followed so far. */
const crashProgress = new WeakMap<
  SimContext,
  Map<string, { attempt: number; exited: boolean }>
>();

/**
 * A model-server pod whose behaviour is failStart: its first container loads for `runMs`, then exits — 1 (Error)
 * for `crash`, 137 (OOMKilled) for `oom` — and is restarted by the kubelet with CrashLoopBackOff back-off; the pod
 * stays Running and never Ready. Its log gets vLLM's lines for every attempt (the previous attempt's with
 * `--previous`), the kubelet a BackOff event. With the LWS default restartPolicy the LWS controller recreates the
 * group once a container has restarted (./lws).
 */
function failingStart(
  ctx: SimContext,
  pod: KObject,
  failure: 'crash' | 'oom',
  o: { runMs: number; elapsed: number; starting: boolean },
): void {
  const uid = pod.metadata.uid;
  const c0 = pod.spec?.containers?.[0];
  if (!c0) return;
  const first = ctx.startedAt.get(uid)!;
  const phase = crashPhase(o.elapsed, o.runMs);
  const prev = pod.status ?? {};
  const podIP = prev.podIP ?? ctx.nextPodIp();
  const exitCode = failure === 'oom' ? 137 : 1;
  const reason = failure === 'oom' ? 'OOMKilled' : 'Error';
  const containerId = (attempt: number) =>
    `containerd://${memoHash(`c/${uid}/0/${attempt}`, { uid, i: 0, attempt })}`;
  // FallbackToLogsOnError: the kubelet puts the end of the log into the termination message
  const logTail =
    c0.terminationMessagePolicy === 'FallbackToLogsOnError'
      ? (failureLines(failure).join('\n').slice(-2048) as string)
      : undefined;
  const terminated = (
    attempt: number,
    t: { startedAt: number; exitedAt: number },
  ) => ({
    exitCode,
    reason,
    ...(logTail ? { message: logTail } : {}),
    startedAt: isoAt(first + t.startedAt),
    finishedAt: isoAt(first + t.exitedAt),
    containerID: containerId(attempt),
  });
  const exited = phase.exitedAt !== undefined;
  const backingOff = exited && phase.attempt > 0;
  const keep = (type: string, status: string) => {
    const p = (prev.conditions ?? []).find((c: any) => c.type === type);
    return {
      type,
      status,
      lastTransitionTime:
        p && p.status === status ? p.lastTransitionTime : nowIso(),
    };
  };
  // running; just exited (the first time: restarted at once, no back-off); or waiting out the back-off
  const thisRun = exited
    ? terminated(phase.attempt, {
        startedAt: phase.startedAt,
        exitedAt: phase.exitedAt!,
      })
    : undefined;
  let state: Record<string, unknown> = {
    running: { startedAt: isoAt(first + phase.startedAt) },
  };
  if (thisRun) state = { terminated: thisRun };
  if (backingOff)
    state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(phase.waitMs)} restarting failed container=${c0.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})`,
      },
    };
  // lastState: the attempt that exited while the kubelet backs off, else the one before the running attempt
  const lastState = backingOff
    ? thisRun
    : phase.previous && terminated(phase.attempt - 1, phase.previous);
  const status = {
    ...prev,
    phase: 'Running',
    hostIP: '127.0.0.1',
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: prev.startTime ?? nowIso(),
    qosClass: prev.qosClass ?? 'BestEffort',
    conditions: [
      keep('PodScheduled', 'True'),
      keep('Initialized', 'True'),
      keep('ContainersReady', 'False'),
      keep('Ready', 'False'),
    ],
    containerStatuses: (pod.spec.containers ?? []).map((c: any, i: number) => ({
      name: c.name,
      image: c.image,
      imageID: `docker.io/${c.image}@sha256:${memoHash(`i/${c.image}`, c.image)}`,
      ...(i === 0
        ? {
            containerID: containerId(phase.attempt),
            ready: false,
            started: !exited,
            restartCount: phase.attempt,
            state,
            ...(lastState ? { lastState: { terminated: lastState } } : {}),
          }
        : {
            // the other containers (sidecars) run normally
            containerID: `containerd://${memoHash(`c/${uid}/${i}`, { uid, i })}`,
            ready: o.elapsed >= o.runMs,
            started: true,
            restartCount: 0,
            state: {
              running: {
                startedAt:
                  prev.containerStatuses?.[i]?.state?.running?.startedAt ??
                  nowIso(),
              },
            },
          }),
    })),
  };
  if (!o.starting && !sameJson(pod.status, status) && !ctx.spend()) return;
  const byPod =
    crashProgress.get(ctx) ?? crashProgress.set(ctx, new Map()).get(ctx)!;
  if (byPod.size > 50_000) byPod.clear();
  let seen = byPod.get(uid);
  if (o.starting || !seen) {
    containersStarted(ctx, pod, failure === 'crash');
    seen = { attempt: 0, exited: false };
  }
  if (phase.attempt > seen.attempt) {
    // the attempts since the last pass: the one that was running ended, a new one started
    if (!seen.exited) ctx.logs.append(pod, c0.name, ...failureLines(failure));
    ctx.logs.restart(pod, c0.name);
    if (isModelServer(pod))
      ctx.logs.append(
        pod,
        c0.name,
        ...modelServerStartLines(c0, failure === 'crash'),
      );
    seen = { attempt: phase.attempt, exited: false };
  }
  if (exited && !seen.exited) {
    ctx.logs.append(pod, c0.name, ...failureLines(failure));
    ctx.logs.exited(pod, c0.name);
    seen = { attempt: phase.attempt, exited: true };
    if (backingOff)
      ctx.event(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${c0.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`,
        'kubelet',
      );
  }
  byPod.set(uid, seen);
  ctx.setStatus(ctx.podsT, pod, status);
}

/** The kubelet's event when a model server stops answering its readiness probe (behaviour notReadyAfterMs). */
function readinessProbeFailed(ctx: SimContext, pod: KObject, podIP: string) {
  const c = pod.spec?.containers?.[0];
  const get = c?.readinessProbe?.httpGet;
  const port = get?.port ?? 8000;
  const path = get?.path ?? '/health';
  ctx.event(
    pod,
    'Warning',
    'Unhealthy',
    `Readiness probe failed: Get "http://${podIP}:${port}${path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    'kubelet',
  );
}
