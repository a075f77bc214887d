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
 * A simulated vLLM engine behind one model-server pod: continuous batching with a concurrency limit and a queue,
 * prefill and decode timing, a block-based KV cache, a prefix cache keyed by prompt blocks, LoRA adapters, and
 * /metrics in vLLM's Prometheus exposition format (names, labels and buckets as vLLM ≥ 0.12 emits them).
 */

import { createHash } from 'crypto';

export interface EngineOptions {
  model: string;
  maxNumSeqs?: number;
  /** KV cache blocks (and tokens per block). */
  numGpuBlocks?: number;
  blockSize?: number;
  /** Prefill throughput (tokens/s) and decode time per token (s). */
  prefillTokensPerSecond?: number;
  decodeSecondsPerToken?: number;
  /** Simulated seconds per real second (tests run faster with a larger value). */
  timeScale?: number;
  loraModules?: string[];
  maxLoras?: number;
  /** Time to first token × N (a model-server behaviour; default 1). */
  ttftMultiplier?: number;
  /** Time per output token × N (a model-server behaviour; default 1). */
  latencyMultiplier?: number;
  /** Fraction of completions answered 500, spread evenly (a model-server behaviour; default 0). */
  errorRate?: number;
}

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
  5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0,
  7.5, 10.0, 20.0, 40.0, 80.0,
];
const E2E_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0,
  60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
];

class Histogram {
  counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number) {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]++;
    });
  }
}

export interface CompletionRequest {
  prompt: string;
  maxTokens: number;
  model?: string;
}

export interface CompletionResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length';
  ttftSeconds: number;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const fmt = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** Rough tokenizer: ~1 token per 4 characters, at least one per word. */
export function countTokens(text: string): number {
  return Math.max(
    1,
    Math.ceil(
      Math.max(text.length / 4, text.split(/\s+/).filter(Boolean).length),
    ),
  );
}

export class SimEngine {
  readonly created = Date.now() / 1000;
  private running = 0;
  private waiting = 0;
  private queue: Array<() => void> = [];
  private kvBlocksInUse = 0;
  private readonly prefixBlocks = new Map<string, number>(); // block hash -> last use (LRU)
  private promptTokens = 0;
  private generationTokens = 0;
  private prefixQueries = 0;
  private prefixHits = 0;
  private success: Record<'stop' | 'length' | 'abort' | 'error', number> = {
    stop: 0,
    length: 0,
    abort: 0,
    error: 0,
  };
  private preemptions = 0;
  private readonly ttft = new Histogram(TTFT_BUCKETS);
  private readonly itl = new Histogram(ITL_BUCKETS);
  private readonly e2e = new Histogram(E2E_BUCKETS);
  private readonly runningLoras = new Map<string, number>();
  private loraUpdated = 0;
  /** Error diffusion for errorRate: each request adds the rate, and fails once a whole error has accumulated. */
  private errorCredit = 0;
  /** prometheus-fastapi-instrumentator's http_requests_total, by handler, method and status class. */
  private readonly http = new Map<string, number>();
  readonly opts: Required<EngineOptions>;

  constructor(options: EngineOptions) {
    this.opts = {
      maxNumSeqs: 32,
      numGpuBlocks: 2048,
      blockSize: 16,
      prefillTokensPerSecond: 8000,
      decodeSecondsPerToken: 0.02,
      timeScale: 1,
      loraModules: [],
      maxLoras: 4,
      ttftMultiplier: 1,
      latencyMultiplier: 1,
      errorRate: 0,
      ...options,
    };
  }

  get models(): string[] {
    return [
      this.opts.model,
      ...this.opts.loraModules.map(m => m.split('=')[0]),
    ];
  }

  get state() {
    return {
      running: this.running,
      waiting: this.waiting,
      kvUsage: this.kvUsage,
      prefixQueries: this.prefixQueries,
      prefixHits: this.prefixHits,
      requests: this.success.stop + this.success.length,
      errors: this.success.error,
    };
  }

  private get kvUsage(): number {
    return Math.min(1, this.kvBlocksInUse / this.opts.numGpuBlocks);
  }

  /**
   * Whether the next completion fails (errorRate, spread evenly: 0.2 fails every fifth request); a failure counts as
   * a request finished with reason `error`, as vLLM counts requests that end in an internal error.
   */
  nextFails(): boolean {
    if (this.opts.errorRate <= 0) return false;
    this.errorCredit += this.opts.errorRate;
    if (this.errorCredit < 1 - 1e-9) return false;
    this.errorCredit -= 1;
    this.success.error++;
    return true;
  }

  /** Counts an HTTP answer as the server's instrumentator does (status grouped as 2xx, 4xx, 5xx). */
  recordHttp(handler: string, method: string, status: number): void {
    const key = `${handler}\n${method}\n${Math.floor(status / 100)}xx`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
  }

  /** Runs one completion through the simulated engine, in (scaled) real time. */
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const start = Date.now();
    const promptTokens = countTokens(req.prompt);
    const maxTokens = Math.max(1, Math.min(req.maxTokens || 16, 4096));
    const lora =
      req.model && req.model !== this.opts.model ? req.model : undefined;
    if (this.running >= this.opts.maxNumSeqs) {
      this.waiting++;
      await new Promise<void>(resolve => this.queue.push(resolve));
      this.waiting--;
    }
    this.running++;
    if (lora) {
      this.runningLoras.set(lora, (this.runningLoras.get(lora) ?? 0) + 1);
      this.loraUpdated = Date.now() / 1000;
    }
    try {
      // Prefix cache: prompt blocks already seen need no prefill.
      const blockChars = this.opts.blockSize * 4;
      let cachedTokens = 0;
      let prefix = '';
      let stillCached = true;
      for (let i = 0; i + blockChars <= req.prompt.length; i += blockChars) {
        prefix += req.prompt.slice(i, i + blockChars);
        const h = createHash('sha1').update(prefix).digest('hex');
        if (stillCached && this.prefixBlocks.has(h))
          cachedTokens += this.opts.blockSize;
        else stillCached = false;
        this.prefixBlocks.set(h, Date.now());
      }
      if (this.prefixBlocks.size > this.opts.numGpuBlocks) {
        const oldest = [...this.prefixBlocks.entries()]
          .sort((a, b) => a[1] - b[1])
          .slice(0, this.prefixBlocks.size - this.opts.numGpuBlocks);
        for (const [k] of oldest) this.prefixBlocks.delete(k);
      }
      cachedTokens = Math.min(cachedTokens, promptTokens);
      this.prefixQueries += promptTokens;
      this.prefixHits += cachedTokens;
      const blocks = Math.ceil(
        (promptTokens + maxTokens) / this.opts.blockSize,
      );
      this.kvBlocksInUse += blocks;
      if (this.kvBlocksInUse > this.opts.numGpuBlocks) this.preemptions++;
      const scale = this.opts.timeScale;
      const prefillSeconds =
        ((promptTokens - cachedTokens) / this.opts.prefillTokensPerSecond +
          0.005) *
        this.opts.ttftMultiplier;
      // Batching slows decoding a little as the batch grows.
      const decodeStep =
        this.opts.decodeSecondsPerToken *
        this.opts.latencyMultiplier *
        (1 + this.running / (this.opts.maxNumSeqs * 2));
      await sleep((prefillSeconds * 1000) / scale);
      const ttft = ((Date.now() - start) / 1000) * scale;
      this.ttft.observe(ttft);
      this.promptTokens += promptTokens;
      const words = req.prompt.split(/\s+/).filter(Boolean);
      const completionTokens = Math.max(
        1,
        Math.min(maxTokens, 1 + (words.length % maxTokens)),
      );
      await sleep((completionTokens * decodeStep * 1000) / scale);
      for (let i = 1; i < completionTokens; i++) this.itl.observe(decodeStep);
      this.generationTokens += completionTokens;
      this.kvBlocksInUse -= blocks;
      const finishReason = completionTokens >= maxTokens ? 'length' : 'stop';
      this.success[finishReason]++;
      this.e2e.observe(((Date.now() - start) / 1000) * scale);
      const text = Array.from(
        { length: completionTokens },
        (_, i) => words[(i * 7) % Math.max(1, words.length)] ?? 'token',
      ).join(' ');
      return {
        text,
        promptTokens,
        completionTokens,
        finishReason,
        ttftSeconds: ttft,
      };
    } finally {
      this.running--;
      if (lora) {
        const n = (this.runningLoras.get(lora) ?? 1) - 1;
        if (n <= 0) this.runningLoras.delete(lora);
        else this.runningLoras.set(lora, n);
        this.loraUpdated = Date.now() / 1000;
      }
      this.queue.shift()?.();
    }
  }

  /** The /metrics body, in vLLM's exposition format. */
  metrics(): string {
    const m = this.opts.model;
    const l = (extra = '') => `{engine="0"${extra},model_name="${m}"}`;
    const out: string[] = [];
    const gauge = (name: string, help: string, v: number) =>
      out.push(
        `# HELP ${name} ${help}`,
        `# TYPE ${name} gauge`,
        `${name}${l()} ${fmt(v)}`,
      );
    const counter = (name: string, help: string, v: number) =>
      out.push(
        `# HELP ${name}_total ${help}`,
        `# TYPE ${name}_total counter`,
        `${name}_total${l()} ${fmt(v)}`,
        `# HELP ${name}_created ${help}`,
        `# TYPE ${name}_created gauge`,
        `${name}_created${l()} ${fmt(this.created)}`,
      );
    const hist = (name: string, help: string, h: Histogram) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      h.buckets.forEach((b, i) =>
        out.push(
          `${name}_bucket{engine="0",le="${fmt(b)}",model_name="${m}"} ${fmt(h.counts[i])}`,
        ),
      );
      out.push(
        `${name}_bucket{engine="0",le="+Inf",model_name="${m}"} ${fmt(h.count)}`,
        `${name}_count${l()} ${fmt(h.count)}`,
        `${name}_sum${l()} ${fmt(h.sum)}`,
      );
      out.push(
        `# HELP ${name}_created ${help}`,
        `# TYPE ${name}_created gauge`,
        `${name}_created${l()} ${fmt(this.created)}`,
      );
    };
    gauge(
      'vllm:num_requests_running',
      'Number of requests in model execution batches.',
      this.running,
    );
    gauge(
      'vllm:num_requests_waiting',
      'Number of requests waiting to be processed.',
      this.waiting,
    );
    gauge(
      'vllm:kv_cache_usage_perc',
      'KV-cache usage. 1 means 100 percent usage.',
      this.kvUsage,
    );
    counter(
      'vllm:prefix_cache_queries',
      'Prefix cache queries, in terms of number of queried tokens.',
      this.prefixQueries,
    );
    counter(
      'vllm:prefix_cache_hits',
      'Prefix cache hits, in terms of number of cached tokens.',
      this.prefixHits,
    );
    counter(
      'vllm:num_preemptions',
      'Cumulative number of preemption from the engine.',
      this.preemptions,
    );
    counter(
      'vllm:prompt_tokens',
      'Number of prefill tokens processed.',
      this.promptTokens,
    );
    counter(
      'vllm:generation_tokens',
      'Number of generation tokens processed.',
      this.generationTokens,
    );
    out.push(
      '# HELP vllm:request_success_total Count of successfully processed requests.',
      '# TYPE vllm:request_success_total counter',
    );
    for (const r of ['stop', 'length', 'abort', 'error'] as const) {
      out.push(
        `vllm:request_success_total{engine="0",finished_reason="${r}",model_name="${m}"} ${fmt(this.success[r])}`,
      );
    }
    hist(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      this.ttft,
    );
    hist(
      'vllm:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      this.itl,
    );
    hist(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      this.e2e,
    );
    out.push(
      '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
      '# TYPE vllm:cache_config_info gauge',
    );
    out.push(
      `vllm:cache_config_info{block_size="${this.opts.blockSize}",cache_dtype="auto",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_gpu_blocks="${this.opts.numGpuBlocks}"} 1.0`,
    );
    if (this.http.size > 0) {
      const series = [...this.http.entries()].sort(([a], [b]) =>
        a.localeCompare(b),
      );
      const labels = (key: string) => {
        const [handler, method, status] = key.split('\n');
        return `{handler="${handler}",method="${method}",status="${status}"}`;
      };
      const help = 'Total number of requests by method, status and handler.';
      out.push(
        `# HELP http_requests_total ${help}`,
        '# TYPE http_requests_total counter',
        ...series.map(([k, v]) => `http_requests_total${labels(k)} ${fmt(v)}`),
        `# HELP http_requests_created ${help}`,
        '# TYPE http_requests_created gauge',
        ...series.map(
          ([k]) => `http_requests_created${labels(k)} ${fmt(this.created)}`,
        ),
      );
    }
    if (this.opts.loraModules.length > 0) {
      out.push(
        '# HELP vllm:lora_requests_info Running stats on lora requests.',
        '# TYPE vllm:lora_requests_info gauge',
      );
      out.push(
        `vllm:lora_requests_info{max_lora="${this.opts.maxLoras}",running_lora_adapters="${[...this.runningLoras.keys()].join(',')}",waiting_lora_adapters=""} ${fmt(this.loraUpdated || this.created)}`,
      );
    }
    return `${out.join('\n')}\n`;
  }
}

/** Reads engine options from a vLLM container's argv. */
export function engineOptionsFromArgs(
  argv: string[],
  defaults: Partial<EngineOptions> = {},
): EngineOptions {
  const flat = argv.flatMap(a => a.split(/\s+/)).filter(Boolean);
  const value = (flag: string): string | undefined => {
    for (let i = 0; i < flat.length; i++) {
      if (flat[i] === flag) return flat[i + 1];
      if (flat[i].startsWith(`${flag}=`)) return flat[i].slice(flag.length + 1);
    }
    return undefined;
  };
  const lora: string[] = [];
  flat.forEach((a, i) => {
    if (a === '--lora-modules')
      for (let j = i + 1; j < flat.length && !flat[j].startsWith('--'); j++)
        lora.push(flat[j]);
  });
  const served = value('--served-model-name');
  return {
    ...defaults,
    model:
      served ??
      value('--model') ??
      flat.find(
        (a, i) => i > 0 && flat[i - 1] === 'serve' && !a.startsWith('-'),
      ) ??
      'model',
    ...(value('--max-num-seqs')
      ? {
          maxNumSeqs: Math.max(
            1,
            Math.min(Number(value('--max-num-seqs')), 256),
          ),
        }
      : {}),
    ...(flat.includes('--enable-lora')
      ? { loraModules: lora, maxLoras: Number(value('--max-loras') ?? 4) }
      : {}),
  };
}
