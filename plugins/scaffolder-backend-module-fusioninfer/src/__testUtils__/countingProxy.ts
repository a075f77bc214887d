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

import http from 'http';
import { AddressInfo } from 'net';

/**
 * An HTTP proxy in front of the development cluster that records every request the backend makes (method and path),
 * so a test can count the server-side applies of one InferenceService (the reconciler writes only its status).
 */
export async function startCountingProxy(target: string) {
  const calls: Array<{ method: string; path: string }> = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    calls.push({ method: req.method ?? '', path: req.url ?? '' });
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      up => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    /** Server-side applies (PATCH, not /status) of one InferenceService. */
    applies(namespace: string, name: string) {
      const p = `/apis/fusioninfer.io/v1alpha1/namespaces/${namespace}/inferenceservices/${name}?`;
      return calls.filter(c => c.method === 'PATCH' && c.path.startsWith(p))
        .length;
    },
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
