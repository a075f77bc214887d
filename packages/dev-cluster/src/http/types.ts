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

/* What the HTTP server's parts share: the pod hooks the simulation registers, the options, and a request in flight. */

import { IncomingMessage, ServerResponse } from 'http';
import { KObject, KubeApi } from '../api';
import { Authorizer, DevClusterUser, UserInfo } from '../rbac';

/** A request forwarded to a simulated pod's HTTP server through the proxy subresource. */
export interface ProxyRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
/** The answer of a simulated pod. */
export interface ProxyResponse {
  status: number;
  headers?: Record<string, string>;
  body: Buffer | string;
}
export type PodHttpHandler = (req: ProxyRequest) => Promise<ProxyResponse>;
/** One line of a container's log. */
export interface LogLine {
  /** ms since the epoch */
  time: number;
  text: string;
}
/** The log of one container: what was written so far, and a follower for `kubectl logs -f` (returns unsubscribe). */
export interface PodLog {
  lines(): LogLine[];
  follow?(onLine: (l: LogLine) => void, onEnd: () => void): () => void;
}
/** Finds the log of a pod's container (undefined: the container wrote nothing). */
export type PodLogSource = (
  pod: KObject,
  container: string,
  previous: boolean,
) => PodLog | undefined;
/** Finds the handler serving a pod's port (undefined: nothing listens there). */
export type PodHttpResolver = (
  pod: KObject,
  port: number,
) => PodHttpHandler | undefined;

/**
 * Serves the proxy of a Service itself, as a gateway's data plane does, instead of a random Ready pod behind the
 * Service's selector (undefined: an ordinary Service). `port` is the port of the proxy path (`svc:80`), if any;
 * `resolvePod` finds what listens on a pod's port, for forwarding.
 */
export type ServiceHttpResolver = (
  service: KObject,
  port: string | undefined,
  resolvePod: PodHttpResolver,
) => PodHttpHandler | undefined;

export interface HttpServerOptions {
  /** Bearer tokens of the admin (system:masters); with neither tokens nor users any (or no) token is the admin. */
  tokens?: string[];
  /** Further identities, authorized by RBAC (unless in system:masters). */
  users?: DevClusterUser[];
  /** Interval of watch bookmarks in ms (default 5000). */
  bookmarkIntervalMs?: number;
  version?: { major: string; minor: string; gitVersion: string };
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

/** What the routes use of the server. */
export interface ServerParts {
  readonly api: KubeApi;
  readonly authorizer: Authorizer;
  readonly options: HttpServerOptions;
  /** Streams (watches, followed logs) that closing the server ends. */
  readonly openWatches: Set<ServerResponse>;
  readonly resolvers: PodHttpResolver[];
  readonly serviceResolvers: ServiceHttpResolver[];
  readonly logSources: PodLogSource[];
  readBody(req: IncomingMessage): Promise<Buffer>;
}

/** A request past authentication: its path segments (decoded) and the user it runs as. */
export interface Call {
  server: ServerParts;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  segs: string[];
  method: string;
  user: UserInfo;
}
