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
 * The proxy subresource of pods and services: picks the pod (a Service's: a random Ready one behind its selector)
 * and port, then hands the request to the simulated server listening there. A Service that a registered service
 * resolver claims (a gateway's Service) is served by that resolver instead, as its data plane would.
 */

import { KObject } from '../api';
import { ApiError, errors } from '../errors';
import { ResourceType } from '../resources';
import { Call, PodHttpHandler, PodHttpResolver, ServerParts } from './types';

export async function proxy(
  { server, req, res }: Call,
  t: ResourceType,
  ns: string,
  nameRaw: string,
  rest: string[],
) {
  // name forms: "pod", "pod:8000", "http:pod:8000"
  const parts = nameRaw.split(':');
  if (parts.length === 3) parts.shift();
  const [name, portPart] = parts;
  const resolvePod: PodHttpResolver = (pod, port) =>
    server.resolvers.map(r => r(pod, port)).find(Boolean);
  let handler: PodHttpHandler;
  if (t.plural === 'pods') {
    const pod = server.api.get(t, ns, name);
    handler = podHandler(
      pod,
      portPart ? portOf(pod, portPart) : firstPort(pod),
      resolvePod,
    );
  } else {
    const svc = server.api.get(t, ns, name);
    handler =
      server.serviceResolvers
        .map(r => r(svc, portPart, resolvePod))
        .find(Boolean) ?? serviceHandler(server, svc, portPart, resolvePod);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = `/${rest.map(encodeURIComponent).join('/')}${url.search}`;
  const body = await server.readBody(req);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === 'string') headers[k] = v;
  const out = await handler({
    method: req.method ?? 'GET',
    path,
    headers,
    body,
  });
  res.writeHead(out.status, out.headers ?? {});
  res.end(out.body);
}

/** A random Ready pod behind the Service's selector, on the target port of the named (or first) Service port. */
function serviceHandler(
  server: ServerParts,
  svc: KObject,
  portPart: string | undefined,
  resolvePod: PodHttpResolver,
): PodHttpHandler {
  const { api } = server;
  const ns = svc.metadata.namespace;
  const podsType = api.findType('', 'v1', 'pods')!;
  const selector = Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => ({
    key: k,
    op: 'in' as const,
    values: [String(v)],
  }));
  const candidates = api
    .list(podsType, ns, { labelSelector: selector })
    .items.filter(p =>
      (p.status?.conditions ?? []).some(
        (c: any) => c.type === 'Ready' && c.status === 'True',
      ),
    );
  if (candidates.length === 0)
    throw errors.serviceUnavailable(
      `no endpoints available for service "${svc.metadata.name}"`,
    );
  const pod = candidates[Math.floor(Math.random() * candidates.length)];
  const svcPort =
    (svc.spec?.ports ?? []).find(
      (p: any) =>
        !portPart || String(p.port) === portPart || p.name === portPart,
    ) ?? svc.spec?.ports?.[0];
  const target = svcPort?.targetPort ?? svcPort?.port;
  const port =
    typeof target === 'number' ? target : portOf(pod, String(target));
  return podHandler(pod, port, resolvePod);
}

function podHandler(
  pod: KObject,
  port: number,
  resolvePod: PodHttpResolver,
): PodHttpHandler {
  if (pod.status?.phase !== 'Running')
    throw errors.serviceUnavailable(
      `pod ${pod.metadata.namespace}/${pod.metadata.name} is not running`,
    );
  const handler = resolvePod(pod, port);
  if (!handler) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `error trying to reach service: dial tcp ${pod.status?.podIP ?? '?'}:${port}: connect: connection refused`,
    );
  }
  return handler;
}

function portOf(pod: KObject, portOrName: string): number {
  if (/^\d+$/.test(portOrName)) return Number(portOrName);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.name === portOrName) return p.containerPort;
  throw errors.badRequest(
    `pod ${pod.metadata.name} has no port named "${portOrName}"`,
  );
}

function firstPort(pod: KObject): number {
  return pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 80;
}
