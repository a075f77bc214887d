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
 * Model servers on LWS leader pods: an engine per pod (created from the container's vLLM arguments) behind the
 * OpenAI API and vLLM /metrics on port 8000 or a declared container port, reachable through the pod proxy once the
 * pod is Ready. Every request is written to the container's log as uvicorn's access log line. The pod's behaviour
 * (./behaviours: slower, with errors) is set on its engine.
 */

import { STATUS_CODES } from 'http';
import { KObject } from '../api';
import { PodHttpHandler, PodHttpResolver } from '../http';
import { isReady, LWS, SimContext } from './context';
import { engineOptionsFromArgs, SimEngine } from './engine';
import { modelServerHandler } from './servers';

/** The engine of a model-server pod, created on first use. */
export function engineFor(ctx: SimContext, pod: KObject): SimEngine {
  let engine = ctx.engines.get(pod.metadata.uid);
  if (!engine) {
    const c = pod.spec?.containers?.[0];
    const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
    const b = ctx.behaviourOf(pod);
    engine = new SimEngine({
      ...engineOptionsFromArgs(argv, ctx.engineDefaults),
      ...(b?.ttftMultiplier !== undefined
        ? { ttftMultiplier: b.ttftMultiplier }
        : {}),
      ...(b?.latencyMultiplier !== undefined
        ? { latencyMultiplier: b.latencyMultiplier }
        : {}),
      ...(b?.errorRate !== undefined ? { errorRate: b.errorRate } : {}),
    });
    ctx.engines.set(pod.metadata.uid, engine);
  }
  return engine;
}

export function modelServerResolver(ctx: SimContext): PodHttpResolver {
  return (pod, port) => {
    if (!isReady(pod)) return undefined;
    const labels = pod.metadata.labels ?? {};
    if (labels.app && String(labels.app).endsWith('-epp')) return undefined;
    if (labels[LWS.worker] !== '0') return undefined;
    const c = pod.spec?.containers?.[0];
    const declared: number[] = (c?.ports ?? []).map(
      (p: any) => p.containerPort,
    );
    if (port !== 8000 && !declared.includes(port)) return undefined;
    const handler = modelServerHandler(engineFor(ctx, pod));
    const logged: PodHttpHandler = async req => {
      const res = await handler(req);
      if (c && req.path.split('?')[0] !== '/metrics')
        ctx.logs.append(
          pod,
          c.name,
          `INFO:     127.0.0.1:${40000 + Math.floor(Math.random() * 20000)} - "${req.method} ${req.path.split('?')[0]} HTTP/1.1" ${res.status} ${STATUS_CODES[res.status] ?? ''}`,
        );
      return res;
    };
    return logged;
  };
}
