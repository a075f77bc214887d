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

import { KObject, KubeApi } from '../api';
import { PodHttpHandler, ProxyResponse } from '../http';
import { SimEngine } from './engine';

const json = (status: number, body: unknown): ProxyResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function openAiError(
  status: number,
  message: string,
  type = 'BadRequestError',
) {
  return json(status, {
    object: 'error',
    message,
    type,
    param: null,
    code: status,
  });
}

/** The OpenAI API routes, counted in http_requests_total (vLLM's instrumentator leaves out /metrics and /health). */
const INSTRUMENTED = ['/v1/models', '/v1/completions', '/v1/chat/completions'];

/** The OpenAI-compatible server of a model-server (vLLM) pod. */
export function modelServerHandler(engine: SimEngine): PodHttpHandler {
  const serve = openAiServer(engine);
  return async req => {
    const res = await serve(req);
    const path = req.path.split('?')[0];
    if (INSTRUMENTED.includes(path))
      engine.recordHttp(path, req.method, res.status);
    return res;
  };
}

function openAiServer(engine: SimEngine): PodHttpHandler {
  return async req => {
    const path = req.path.split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        body: engine.metrics(),
      };
    }
    if (req.method === 'GET' && (path === '/health' || path === '/ping'))
      return { status: 200, body: '' };
    if (req.method === 'GET' && path === '/v1/models') {
      return json(200, {
        object: 'list',
        data: engine.models.map(id => ({
          id,
          object: 'model',
          created: Math.floor(engine.created),
          owned_by: 'vllm',
          root: id,
          parent: id === engine.opts.model ? null : engine.opts.model,
        })),
      });
    }
    if (
      req.method !== 'POST' ||
      (path !== '/v1/completions' && path !== '/v1/chat/completions')
    ) {
      return json(404, { detail: 'Not Found' });
    }
    let body: any;
    try {
      body = JSON.parse(req.body.toString('utf8') || '{}');
    } catch {
      return openAiError(400, 'Invalid JSON body');
    }
    if (!isObj(body))
      return openAiError(400, 'The request body must be a JSON object');
    const model =
      typeof body.model === 'string' ? body.model : engine.opts.model;
    if (!engine.models.includes(model))
      return openAiError(
        404,
        `The model \`${model}\` does not exist.`,
        'NotFoundError',
      );
    const chat = path === '/v1/chat/completions';
    let prompt: string;
    if (chat) {
      if (!Array.isArray(body.messages) || body.messages.length === 0)
        return openAiError(400, 'messages must be a non-empty list');
      prompt = body.messages
        .map(
          (m: any) =>
            `${m?.role ?? 'user'}: ${typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '')}`,
        )
        .join('\n');
    } else {
      prompt = Array.isArray(body.prompt)
        ? body.prompt.join('\n')
        : String(body.prompt ?? '');
    }
    const maxTokens = Number(
      body.max_tokens ?? body.max_completion_tokens ?? 16,
    );
    if (!Number.isFinite(maxTokens) || maxTokens < 1)
      return openAiError(400, 'max_tokens must be at least 1');
    // a model-server behaviour (errorRate): this request ends in an internal error
    if (engine.nextFails())
      return openAiError(500, 'Internal server error', 'InternalServerError');
    const r = await engine.complete({ prompt, maxTokens, model });
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${Math.random().toString(16).slice(2, 14)}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      total_tokens: r.promptTokens + r.completionTokens,
    };
    if (body.stream) {
      const chunks = r.text.split(' ').map((w, i) => (i === 0 ? w : ` ${w}`));
      const lines = chunks.map((c, i) => {
        const last = i === chunks.length - 1;
        const choice = chat
          ? {
              index: 0,
              delta:
                i === 0 ? { role: 'assistant', content: c } : { content: c },
              finish_reason: last ? r.finishReason : null,
            }
          : { index: 0, text: c, finish_reason: last ? r.finishReason : null };
        return `data: ${JSON.stringify({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model, choices: [choice] })}\n\n`;
      });
      return {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `${lines.join('')}data: [DONE]\n\n`,
      };
    }
    const choice = chat
      ? {
          index: 0,
          message: { role: 'assistant', content: r.text },
          finish_reason: r.finishReason,
          logprobs: null,
        }
      : {
          index: 0,
          text: r.text,
          finish_reason: r.finishReason,
          logprobs: null,
        };
    return json(200, {
      id,
      object: chat ? 'chat.completion' : 'text_completion',
      created,
      model,
      choices: [choice],
      usage,
    });
  };
}

/**
 * The EPP's /metrics (port 9090) in GIE format, computed from the model servers of its InferencePool. Answers 401
 * like the real EPP (--metrics-endpoint-auth defaults to true) unless its args contain --metrics-endpoint-auth=false.
 */
export function eppMetricsHandler(
  api: KubeApi,
  eppPod: KObject,
  engineFor: (ns: string, pod: string) => SimEngine | undefined,
): PodHttpHandler {
  return async req => {
    if (req.path.split('?')[0] !== '/metrics')
      return { status: 404, body: '404 page not found\n' };
    const args: string[] = eppPod.spec?.containers?.[0]?.args ?? [];
    if (!args.includes('--metrics-endpoint-auth=false')) {
      return {
        status: 401,
        headers: { 'content-type': 'text/plain' },
        body: 'Unauthorized\n',
      };
    }
    const ns = eppPod.metadata.namespace;
    const poolName = (args.find(a => a.startsWith('--pool-name=')) ?? '').slice(
      '--pool-name='.length,
    );
    const poolType = api.findType(
      'inference.networking.k8s.io',
      'v1',
      'inferencepools',
    );
    const pool = poolType ? api.tryGet(poolType, ns, poolName) : undefined;
    const selector: Record<string, string> =
      pool?.spec?.selector?.matchLabels ?? {};
    const podsType = api.findType('', 'v1', 'pods')!;
    const members = api
      .list(podsType, ns, {
        labelSelector: Object.entries(selector).map(([key, v]) => ({
          key,
          op: 'in' as const,
          values: [v],
        })),
      })
      .items.filter(p =>
        (p.status?.conditions ?? []).some(
          (c: any) => c.type === 'Ready' && c.status === 'True',
        ),
      );
    const states = members.map(p => ({
      name: p.metadata.name,
      engine: engineFor(ns, p.metadata.name),
    }));
    const kv = states.map(s => s.engine?.state.kvUsage ?? 0);
    const queues = states.map(s => s.engine?.state.waiting ?? 0);
    const avg = (xs: number[]) =>
      xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    const sum = (f: (e: SimEngine) => number) =>
      states.reduce((s, x) => s + (x.engine ? f(x.engine) : 0), 0);
    // The EPP counts every request it routes, and a model server's non-200 answer as a ModelServerError.
    const errors = sum(e => e.state.errors);
    const requests = sum(e => e.state.requests) + errors;
    const lines = [
      '# HELP inference_pool_average_kv_cache_utilization [ALPHA] The average kv cache utilization for an inference server pool.',
      '# TYPE inference_pool_average_kv_cache_utilization gauge',
      `inference_pool_average_kv_cache_utilization{name="${poolName}"} ${avg(kv)}`,
      '# HELP inference_pool_average_queue_size [ALPHA] The average number of requests pending in the model server queue.',
      '# TYPE inference_pool_average_queue_size gauge',
      `inference_pool_average_queue_size{name="${poolName}"} ${avg(queues)}`,
      '# HELP inference_pool_per_pod_queue_size [ALPHA] The total number of requests pending in the model server queue for each underlying pod.',
      '# TYPE inference_pool_per_pod_queue_size gauge',
      ...states.map(
        s =>
          `inference_pool_per_pod_queue_size{model_server_pod="${s.name}",name="${poolName}"} ${s.engine?.state.waiting ?? 0}`,
      ),
      '# HELP inference_pool_ready_pods [ALPHA] The number of ready pods in the inference server pool.',
      '# TYPE inference_pool_ready_pods gauge',
      `inference_pool_ready_pods{name="${poolName}"} ${members.length}`,
      '# HELP inference_objective_request_total [ALPHA] Counter of inference objective requests broken out for each model and target model.',
      '# TYPE inference_objective_request_total counter',
      `inference_objective_request_total{model_name="",target_model_name=""} ${requests}`,
      // like the real counter, absent until the first error
      ...(errors > 0
        ? [
            '# HELP inference_objective_request_error_total [ALPHA] Counter of inference objective requests errors broken out for each model and target model.',
            '# TYPE inference_objective_request_error_total counter',
            `inference_objective_request_error_total{error_code="ModelServerError",model_name="",target_model_name=""} ${errors}`,
          ]
        : []),
      '# HELP inference_extension_info [ALPHA] General information of the current build of Inference Extension.',
      '# TYPE inference_extension_info gauge',
      `inference_extension_info{build_ref="${String(
        eppPod.spec?.containers?.[0]?.image ?? '',
      )
        .split(':')
        .pop()}",commit="dev"} 1`,
    ];
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: `${lines.join('\n')}\n`,
    };
  };
}
