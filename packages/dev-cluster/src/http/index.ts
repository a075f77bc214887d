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
 * The HTTP face of the development API server: health, authentication and impersonation, then a table of routes —
 * version and OpenAPI (./discovery), API discovery, and resource paths (./resources: CRUD, ./watch streaming, the
 * ./logs and ./proxy subresources) — answering errors as Status objects (./respond). All semantics live in KubeApi.
 */

import http, { IncomingMessage, ServerResponse } from 'http';
import https from 'https';
import { KubeApi, Verb } from '../api';
import { ApiError } from '../errors';
import { acceptsJson } from '../protobuf';
import { Authorizer, UserInfo } from '../rbac';
import {
  discovery,
  isDiscoveryPath,
  openApiV2,
  openApiV3,
  serveVersion,
} from './discovery';
import { impersonate } from './impersonation';
import { serveResource } from './resources';
import { fail, readBody } from './respond';
import {
  Call,
  HttpServerOptions,
  PodHttpResolver,
  PodLogSource,
  ServerParts,
  ServiceHttpResolver,
} from './types';

export type {
  HttpServerOptions,
  LogLine,
  PodHttpHandler,
  PodHttpResolver,
  PodLog,
  PodLogSource,
  ProxyRequest,
  ProxyResponse,
  ServiceHttpResolver,
} from './types';

/** The routes, first match serves; resource paths last (they answer 404 for any other path). */
const ROUTES: Array<{
  matches(segs: string[]): boolean;
  serve(call: Call): void | Promise<void>;
}> = [
  { matches: s => s.length === 1 && s[0] === 'version', serve: serveVersion },
  {
    matches: s => s[0] === 'openapi' && s[1] === 'v2' && s.length === 2,
    serve: openApiV2,
  },
  { matches: s => s[0] === 'openapi' && s[1] === 'v3', serve: openApiV3 },
  { matches: isDiscoveryPath, serve: discovery },
  { matches: () => true, serve: serveResource },
];

export class DevApiHttpServer implements ServerParts {
  readonly server: http.Server | https.Server;
  readonly resolvers: PodHttpResolver[] = [];
  readonly serviceResolvers: ServiceHttpResolver[] = [];
  readonly logSources: PodLogSource[] = [];
  readonly openWatches = new Set<ServerResponse>();
  readonly authorizer: Authorizer;

  constructor(
    readonly api: KubeApi,
    readonly options: HttpServerOptions = {},
  ) {
    this.authorizer = new Authorizer(api, {
      adminTokens: options.tokens,
      users: options.users,
    });
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(e => fail(res, e));
    };
    this.server = options.tls
      ? https.createServer(
          { cert: options.tls.cert, key: options.tls.key },
          listener,
        )
      : http.createServer(listener);
    this.server.keepAliveTimeout = 30_000;
  }

  registerPodHttpHandler(resolver: PodHttpResolver): void {
    this.resolvers.push(resolver);
  }

  registerServiceHttpHandler(resolver: ServiceHttpResolver): void {
    this.serviceResolvers.push(resolver);
  }

  registerPodLogSource(source: PodLogSource): void {
    this.logSources.push(source);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    for (const w of this.openWatches) w.end();
    this.openWatches.clear();
    return new Promise(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  /** Every request body is read here (src/protobuf/capture.ts wraps this method to record kubectl's bodies). */
  readBody(req: IncomingMessage): Promise<Buffer> {
    return readBody(req);
  }

  private nonResource(user: UserInfo, method: string, path: string) {
    this.authorizer.authorize(user, {
      resourceRequest: false,
      verb:
        method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(),
      path,
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const segs = url.pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    const method = (req.method ?? 'GET').toUpperCase();
    if (['healthz', 'readyz', 'livez'].includes(segs[0])) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const user = impersonate(
      this.authorizer,
      req,
      this.authorizer.authenticate(req.headers.authorization),
    );
    if (segs[0] === 'version' || segs[0] === 'openapi' || isDiscoveryPath(segs))
      this.nonResource(user, method, url.pathname);
    if (
      !acceptsJson(req.headers.accept) &&
      !(segs[0] === 'openapi' && segs[1] === 'v2') &&
      !segs.includes('proxy')
    )
      throw new ApiError(
        406,
        'NotAcceptable',
        'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
      );
    const call: Call = { server: this, req, res, url, segs, method, user };
    await ROUTES.find(r => r.matches(segs))!.serve(call);
  }
}

export type { Verb };
