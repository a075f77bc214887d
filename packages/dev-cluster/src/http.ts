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
 * The HTTP face of the development API server: Kubernetes REST paths, discovery, watch streaming, Status errors and
 * the pod/service proxy. All semantics live in KubeApi.
 */

import http, { IncomingMessage, ServerResponse } from 'http';
import https from 'https';
import { parse as parseYaml } from 'yaml';
import { KObject, KubeApi, Verb, WatchEvent } from './api';
import { ApiError, errors } from './errors';
import {
  apiVersionOf,
  compareKubeVersions,
  KUBERNETES_VERSION,
  ResourceType,
} from './resources';
import { scaleOf, updateScale } from './scale';
import {
  accessReview,
  Authorizer,
  DevClusterUser,
  resourceAttributes,
  splitServiceAccountUsername,
  UserInfo,
} from './rbac';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import {
  acceptsJson,
  decodeKubernetesProtobuf,
  isProtobufMedia,
} from './protobuf';
import {
  openApiDocument,
  openApiIndex,
  openApiV2Document,
  openApiV2Protobuf,
  toTable,
  wantsTable,
  includeObjectOf,
} from './openapi';

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

const MAX_BODY = 3 * 1024 * 1024;

export class DevApiHttpServer {
  readonly server: http.Server | https.Server;
  private resolvers: PodHttpResolver[] = [];
  private logSources: PodLogSource[] = [];
  private readonly openWatches = new Set<ServerResponse>();
  readonly authorizer: Authorizer;

  constructor(
    private readonly api: KubeApi,
    private readonly options: HttpServerOptions = {},
  ) {
    this.authorizer = new Authorizer(api, {
      adminTokens: options.tokens,
      users: options.users,
    });
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(e => this.fail(res, e));
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

  private send(
    res: ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private fail(res: ServerResponse, e: unknown) {
    const err =
      e instanceof ApiError
        ? e
        : errors.internal((e as Error)?.message ?? String(e));
    const headers: Record<string, string> = {};
    if (err.details?.retryAfterSeconds)
      headers['Retry-After'] = String(err.details.retryAfterSeconds);
    if (res.headersSent) {
      res.end();
      return;
    }
    this.send(res, err.code, err.toStatus(), headers);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY)
        throw new ApiError(
          413,
          'RequestEntityTooLarge',
          'Request entity too large: limit is 3145728',
        );
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private parseBody(buf: Buffer, contentType: string): unknown {
    if (isProtobufMedia(contentType))
      return buf.length === 0 ? undefined : decodeKubernetesProtobuf(buf);
    const text = buf.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      if (/yaml/.test(contentType)) return parseYaml(text);
      return JSON.parse(text);
    } catch (e) {
      throw errors.badRequest(
        `the body of the request could not be decoded: ${(e as Error).message.split('\n')[0]}`,
      );
    }
  }

  private nonResource(user: UserInfo, method: string, path: string) {
    this.authorizer.authorize(user, {
      resourceRequest: false,
      verb:
        method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(),
      path,
    });
  }

  /**
   * Impersonation (`kubectl --as` / `--as-group` / `--as-uid`, the Impersonate-User / Impersonate-Group /
   * Impersonate-Uid headers), checked as kube-apiserver does: the caller needs the `impersonate` verb on `users`
   * (core group) named by the user, or, for a ServiceAccount user `system:serviceaccount:<ns>:<name>`, on
   * `serviceaccounts` in namespace `<ns>` named `<name>`; on `groups` for each group and on `uids` of
   * `authentication.k8s.io` for a uid (system:masters has them all). The request then runs as that user: with the
   * listed groups, or without them a ServiceAccount's `system:serviceaccounts` and `system:serviceaccounts:<ns>`,
   * plus system:authenticated (system:unauthenticated for system:anonymous).
   */
  private impersonate(req: IncomingMessage, caller: UserInfo): UserInfo {
    const all = (h: string) =>
      (req.headersDistinct[h] ?? []).flatMap(v =>
        h === 'impersonate-group' ? v.split(',').map(g => g.trim()) : [v],
      );
    const [username] = all('impersonate-user');
    const groups = all('impersonate-group').filter(Boolean);
    const [uid] = all('impersonate-uid');
    if (username === undefined) {
      if (groups.length > 0 || uid !== undefined)
        throw new ApiError(
          500,
          'InternalError',
          'requested impersonation of groups or uid without impersonating a user',
        );
      return caller;
    }
    const check = (
      resource: string,
      name: string,
      apiGroup = '',
      namespace?: string,
    ) =>
      this.authorizer.authorize(caller, {
        resourceRequest: true,
        verb: 'impersonate',
        apiGroup,
        resource,
        name,
        ...(namespace ? { namespace } : {}),
      });
    const sa = splitServiceAccountUsername(username);
    if (sa) check('serviceaccounts', sa.name, '', sa.namespace);
    else check('users', username);
    for (const g of groups) check('groups', g);
    if (uid !== undefined) check('uids', uid, 'authentication.k8s.io');
    const impersonated =
      groups.length > 0 || !sa
        ? groups
        : ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
    // system:authenticated unless given (or system:unauthenticated is); system:unauthenticated for the anonymous user
    const anonymous = username === 'system:anonymous';
    const authenticated = impersonated.some(
      g =>
        g === 'system:unauthenticated' ||
        (!anonymous && g === 'system:authenticated'),
    )
      ? []
      : [anonymous ? 'system:unauthenticated' : 'system:authenticated'];
    return {
      username,
      ...(uid !== undefined ? { uid } : {}),
      groups: [...new Set([...impersonated, ...authenticated])],
    };
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
    const user = this.impersonate(
      req,
      this.authorizer.authenticate(req.headers.authorization),
    );
    if (
      segs[0] === 'version' ||
      segs[0] === 'openapi' ||
      (segs[0] === 'api' && segs.length <= 2) ||
      (segs[0] === 'apis' && segs.length <= 3)
    )
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
    if (segs.length === 1 && segs[0] === 'version') {
      this.send(res, 200, {
        ...KUBERNETES_VERSION,
        platform: 'linux/amd64',
        goVersion: 'go1.24',
        compiler: 'gc',
        ...(this.options.version ?? {}),
      });
      return;
    }
    if (segs[0] === 'openapi' && segs[1] === 'v2' && segs.length === 2) {
      if (String(req.headers.accept ?? '').includes('protobuf')) {
        const body = openApiV2Protobuf(this.api);
        res.writeHead(200, {
          'content-type':
            'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
          'content-length': body.length,
        });
        res.end(body);
        return;
      }
      this.send(res, 200, openApiV2Document(this.api));
      return;
    }
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      if (segs.length === 2) {
        this.send(res, 200, openApiIndex(this.api));
        return;
      }
      const doc = openApiDocument(this.api, segs.slice(2).join('/'));
      if (!doc)
        throw new ApiError(
          404,
          'NotFound',
          'the server could not find the requested resource',
        );
      this.send(res, 200, doc);
      return;
    }
    if (
      (segs[0] === 'api' && segs.length <= 2) ||
      (segs[0] === 'apis' && segs.length <= 3)
    ) {
      this.discovery(res, segs);
      return;
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      group = '';
      version = segs[1];
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      group = segs[1];
      version = segs[2];
      rest = segs.slice(3);
    } else {
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    let ns: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      this.api.findType(group, version, rest[2])?.namespaced
    ) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const [plural, nameRaw, sub, ...subRest] = rest;
    const t = this.api.findType(group, version, plural);
    if (!t)
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    if (t.namespaced && !ns && nameRaw !== undefined)
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    const q = url.searchParams;
    // proxy names: "pod", "pod:8000", "http:pod:8000"
    const nameParts = nameRaw?.split(':') ?? [];
    const objectName =
      sub === 'proxy' && nameParts.length === 3 ? nameParts[1] : nameParts[0];
    this.authorizer.authorize(
      user,
      resourceAttributes(method, {
        apiGroup: group,
        resource: t.plural,
        subresource: sub,
        name: objectName,
        namespace: t.plural === 'namespaces' ? nameRaw : ns,
        watch: q.get('watch') === 'true' || q.get('watch') === '1',
      }),
    );
    if (t.verbs && nameRaw === undefined && method === 'POST') {
      await this.review(req, res, t, user);
      return;
    }
    if (t.verbs)
      throw errors.methodNotAllowed(
        'the server does not allow this method on the requested resource',
      );
    const fieldManager = q.get('fieldManager') ?? this.defaultManager(req);
    const dryRun = q.getAll('dryRun').includes('All');
    const fieldValidation =
      (q.get('fieldValidation') as 'Ignore' | 'Warn' | 'Strict' | null) ??
      'Warn';
    const warnings: string[] = [];
    const warningHeaders = (): Record<string, string> =>
      warnings.length
        ? {
            Warning: warnings
              .map(w => `299 - "${w.replace(/"/g, '\\"')}"`)
              .join(', '),
          }
        : {};

    if (nameRaw === undefined) {
      // collection
      if (method === 'GET') {
        const labelSelector = parseLabelSelector(
          q.get('labelSelector') ?? undefined,
        );
        const fieldSelector = parseFieldSelector(
          q.get('fieldSelector') ?? undefined,
          ['metadata.name', 'metadata.namespace', ...(t.fieldSelectors ?? [])],
          t.kind,
        );
        if (q.get('watch') === 'true' || q.get('watch') === '1') {
          await this.api.fault('watch', t.plural);
          this.watch(req, res, t, ns, q, labelSelector, fieldSelector);
          return;
        }
        await this.api.fault('list', t.plural);
        const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
        const r = this.api.list(t, ns, {
          labelSelector,
          fieldSelector,
          limit,
          continue: q.get('continue') ?? undefined,
        });
        if (wantsTable(req.headers.accept)) {
          this.send(
            res,
            200,
            toTable(
              t,
              r.items,
              {
                resourceVersion: r.resourceVersion,
                ...(r.continue ? { continue: r.continue } : {}),
              },
              includeObjectOf(q),
            ),
          );
          return;
        }
        this.send(res, 200, {
          apiVersion: apiVersionOf(t),
          kind: t.listKind,
          metadata: {
            resourceVersion: r.resourceVersion,
            ...(r.continue
              ? {
                  continue: r.continue,
                  remainingItemCount: r.remainingItemCount,
                }
              : {}),
          },
          items: r.items,
        });
        return;
      }
      if (method === 'POST') {
        await this.api.fault('create', t.plural);
        const body = this.parseBody(
          await this.readBody(req),
          req.headers['content-type'] ?? 'application/json',
        );
        const created = this.api.create(t, ns, body, {
          fieldManager,
          dryRun,
          warnings,
          fieldValidation,
        });
        this.send(res, 201, created, warningHeaders());
        return;
      }
      if (method === 'DELETE') {
        await this.api.fault('delete', t.plural);
        const labelSelector = parseLabelSelector(
          q.get('labelSelector') ?? undefined,
        );
        const items = this.api.list(t, ns, { labelSelector }).items;
        for (const o of items)
          this.api.delete(t, o.metadata.namespace, o.metadata.name, {});
        this.send(res, 200, {
          apiVersion: apiVersionOf(t),
          kind: t.listKind,
          metadata: { resourceVersion: this.api.resourceVersion },
          items,
        });
        return;
      }
      throw errors.methodNotAllowed(
        `the server does not allow this method on the requested resource`,
      );
    }

    if (sub === 'proxy' && (t.plural === 'pods' || t.plural === 'services')) {
      await this.proxy(req, res, t, ns!, nameRaw, subRest);
      return;
    }
    const name = nameRaw;
    if (sub === 'scale' && t.scale) {
      await this.scale(req, res, method, t, ns, name, fieldManager, dryRun);
      return;
    }
    if (sub === 'log' && t.plural === 'pods' && method === 'GET') {
      await this.api.fault('get', 'pods/log');
      await this.logs(req, res, ns!, name, q);
      return;
    }
    if (sub !== undefined && !(sub === 'status' && t.status)) {
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const subresource = sub === 'status' ? ('status' as const) : undefined;
    switch (method) {
      case 'GET':
        await this.api.fault('get', t.plural);
        if (wantsTable(req.headers.accept) && !subresource)
          this.send(
            res,
            200,
            toTable(
              t,
              [this.api.get(t, ns, name)],
              { resourceVersion: this.api.resourceVersion },
              includeObjectOf(url.searchParams),
            ),
          );
        else this.send(res, 200, this.api.get(t, ns, name));
        return;
      case 'PUT': {
        await this.api.fault('update', t.plural);
        const body = this.parseBody(
          await this.readBody(req),
          req.headers['content-type'] ?? 'application/json',
        );
        this.send(
          res,
          200,
          this.api.update(t, ns, name, body, {
            fieldManager,
            dryRun,
            subresource,
            warnings,
            fieldValidation,
          }),
          warningHeaders(),
        );
        return;
      }
      case 'PATCH': {
        await this.api.fault('patch', t.plural);
        const ct = req.headers['content-type'] ?? '';
        const media = ct.split(';')[0].trim().toLowerCase();
        const supported = [
          'application/merge-patch+json',
          'application/json-patch+json',
          'application/strategic-merge-patch+json',
          'application/apply-patch+yaml',
          'application/apply-patch+json',
        ];
        if (!supported.includes(media))
          throw errors.unsupportedMediaType(media || '(none)');
        const body = this.parseBody(await this.readBody(req), ct);
        const force = q.get('force') === 'true';
        const out = this.api.patch(t, ns, name, ct, body, {
          fieldManager:
            q.get('fieldManager') ??
            (/apply-patch/.test(ct) ? undefined : fieldManager),
          force,
          dryRun,
          subresource,
          warnings,
          fieldValidation,
        });
        this.send(res, 200, out, warningHeaders());
        return;
      }
      case 'DELETE': {
        await this.api.fault('delete', t.plural);
        const buf = await this.readBody(req);
        const opts = (this.parseBody(
          buf,
          req.headers['content-type'] ?? 'application/json',
        ) ?? {}) as {
          propagationPolicy?: any;
          preconditions?: any;
        };
        const propagationPolicy =
          (q.get('propagationPolicy') as any) ?? opts.propagationPolicy;
        const out = this.api.delete(t, ns, name, {
          propagationPolicy,
          preconditions: opts.preconditions,
          dryRun,
        });
        this.send(res, out.metadata.deletionTimestamp ? 202 : 200, out);
        return;
      }
      default:
        throw errors.methodNotAllowed(
          'the server does not allow this method on the requested resource',
        );
    }
  }

  private async logs(
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    name: string,
    q: URLSearchParams,
  ) {
    const pod = this.api.get(this.api.findType('', 'v1', 'pods')!, ns, name);
    const containers: string[] = (pod.spec?.containers ?? []).map(
      (c: any) => c.name,
    );
    const container = q.get('container') ?? undefined;
    if (!container && containers.length > 1)
      throw errors.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    const c = container ?? containers[0];
    if (!containers.includes(c))
      throw errors.badRequest(`container ${c} is not valid for pod ${name}`);
    const status = (pod.status?.containerStatuses ?? []).find(
      (s: any) => s.name === c,
    );
    const previous = q.get('previous') === 'true';
    if (
      !status ||
      (status.state?.waiting && !previous && !status.lastState?.terminated)
    ) {
      throw errors.badRequest(
        `container "${c}" in pod "${name}" is waiting to start: ${status?.state?.waiting?.reason ?? 'ContainerCreating'}`,
      );
    }
    if (previous && !status.lastState?.terminated)
      throw errors.badRequest(
        `previous terminated container "${c}" in pod "${name}" not found`,
      );
    const source = this.logSources.map(s => s(pod, c, previous)).find(Boolean);
    const timestamps = q.get('timestamps') === 'true';
    const tail =
      q.get('tailLines') !== null ? Number(q.get('tailLines')) : undefined;
    const since =
      q.get('sinceSeconds') !== null
        ? Date.now() - Number(q.get('sinceSeconds')) * 1000
        : undefined;
    const format = (l: LogLine) =>
      `${timestamps ? `${new Date(l.time).toISOString()} ` : ''}${l.text}\n`;
    let lines = (source?.lines() ?? []).filter(
      l => since === undefined || l.time >= since,
    );
    if (tail !== undefined && tail >= 0)
      lines = lines.slice(Math.max(0, lines.length - tail));
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
    });
    res.write(lines.map(format).join(''));
    if (q.get('follow') !== 'true' || !source?.follow || previous) {
      res.end();
      return;
    }
    this.openWatches.add(res);
    const stop = source.follow(
      l => res.write(format(l)),
      () => res.end(),
    );
    const done = () => {
      stop();
      this.openWatches.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  }

  /** POST of a self-review: answered from the requesting user, never stored. */
  private async review(
    req: IncomingMessage,
    res: ServerResponse,
    t: ResourceType,
    user: UserInfo,
  ) {
    await this.api.fault('create', t.plural);
    const body = (this.parseBody(
      await this.readBody(req),
      req.headers['content-type'] ?? 'application/json',
    ) ?? {}) as Record<string, any>;
    const base = {
      kind: t.kind,
      apiVersion: apiVersionOf(t),
      metadata: { creationTimestamp: null },
    };
    if (t.plural === 'selfsubjectaccessreviews') {
      const status = accessReview(this.authorizer, user, body.spec);
      this.send(res, 201, { ...base, spec: body.spec, status });
    } else if (t.plural === 'selfsubjectrulesreviews') {
      this.send(res, 201, {
        ...base,
        spec: body.spec ?? {},
        status: this.authorizer.rulesReview(user, body.spec?.namespace),
      });
    } else {
      this.send(res, 201, {
        ...base,
        status: {
          userInfo: {
            username: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            groups: user.groups,
          },
        },
      });
    }
  }

  private async scale(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    t: ResourceType,
    ns: string | undefined,
    name: string,
    fieldManager: string,
    dryRun: boolean,
  ) {
    if (method === 'GET') {
      await this.api.fault('get', `${t.plural}/scale`);
      this.send(res, 200, scaleOf(t, this.api.get(t, ns, name)));
      return;
    }
    if (method !== 'PUT' && method !== 'PATCH')
      throw errors.methodNotAllowed(
        'the server does not allow this method on the requested resource',
      );
    await this.api.fault(method === 'PUT' ? 'update' : 'patch', t.plural);
    const ct = req.headers['content-type'] ?? 'application/json';
    const body = this.parseBody(await this.readBody(req), ct);
    this.send(
      res,
      200,
      updateScale(
        this.api,
        t,
        ns,
        name,
        method === 'PUT' ? { put: body } : { patch: { contentType: ct, body } },
        { fieldManager, dryRun },
      ),
    );
  }

  private defaultManager(req: IncomingMessage): string {
    const ua = String(req.headers['user-agent'] ?? 'unknown');
    return ua.split('/')[0] || 'unknown';
  }

  private discovery(res: ServerResponse, segs: string[]) {
    const types = this.api.allTypes();
    const resourcesFor = (group: string, version: string) => {
      const out: unknown[] = [];
      for (const t of types.filter(
        x => x.group === group && x.version === version,
      )) {
        const verbs = t.verbs ?? [
          'create',
          'delete',
          'deletecollection',
          'get',
          'list',
          'patch',
          'update',
          'watch',
        ];
        out.push({
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs,
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
          ...(t.categories ? { categories: t.categories } : {}),
          storageVersionHash: '',
        });
        if (t.status)
          out.push({
            name: `${t.plural}/status`,
            singularName: '',
            namespaced: t.namespaced,
            kind: t.kind,
            verbs: ['get', 'patch', 'update'],
          });
        if (t.scale)
          out.push({
            name: `${t.plural}/scale`,
            singularName: '',
            namespaced: t.namespaced,
            group: 'autoscaling',
            version: 'v1',
            kind: 'Scale',
            verbs: ['get', 'patch', 'update'],
          });
        if (t.plural === 'pods')
          out.push({
            name: 'pods/log',
            singularName: '',
            namespaced: true,
            kind: 'Pod',
            verbs: ['get'],
          });
        if (t.plural === 'pods' || t.plural === 'services')
          out.push({
            name: `${t.plural}/proxy`,
            singularName: '',
            namespaced: true,
            kind:
              t.plural === 'pods' ? 'PodProxyOptions' : 'ServiceProxyOptions',
            verbs: ['create', 'delete', 'get', 'patch', 'update'],
          });
      }
      return out;
    };
    if (segs[0] === 'api') {
      if (segs.length === 1)
        return this.send(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
          ],
        });
      if (segs[1] !== 'v1')
        throw new ApiError(
          404,
          'NotFound',
          'the server could not find the requested resource',
        );
      return this.send(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: resourcesFor('', 'v1'),
      });
    }
    const groups = new Map<string, Set<string>>();
    for (const t of types)
      if (t.group)
        (
          groups.get(t.group) ?? groups.set(t.group, new Set()).get(t.group)!
        ).add(t.version);
    const groupDoc = (g: string) => {
      const versions = [...groups.get(g)!]
        .sort(compareKubeVersions)
        .map(v => ({ groupVersion: `${g}/${v}`, version: v }));
      return { name: g, versions, preferredVersion: versions[0] };
    };
    if (segs.length === 1)
      return this.send(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups.keys()].sort().map(groupDoc),
      });
    if (!groups.has(segs[1]))
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    if (segs.length === 2)
      return this.send(res, 200, {
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...groupDoc(segs[1]),
      });
    if (!groups.get(segs[1])!.has(segs[2]))
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    return this.send(res, 200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${segs[1]}/${segs[2]}`,
      resources: resourcesFor(segs[1], segs[2]),
    });
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    t: ResourceType,
    ns: string | undefined,
    q: URLSearchParams,
    labelSelector: any,
    fieldSelector: any,
  ) {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    this.openWatches.add(res);
    let sent = 0;
    const dropAfter = this.api.faults.dropWatchAfterEvents;
    let closed = false;
    const cleanups: Array<() => void> = [];
    const close = () => {
      if (closed) return;
      closed = true;
      for (const c of cleanups) c();
      this.openWatches.delete(res);
      res.end();
    };
    const table = wantsTable(req.headers.accept);
    const write = (e: WatchEvent) => {
      if (closed) return;
      const out =
        table && e.type !== 'BOOKMARK' && e.type !== 'ERROR'
          ? {
              type: e.type,
              object: toTable(
                t,
                [e.object as KObject],
                {
                  resourceVersion: (e.object as KObject).metadata
                    ?.resourceVersion,
                },
                includeObjectOf(q),
              ),
            }
          : e;
      res.write(`${JSON.stringify(out)}\n`);
      if (
        e.type !== 'BOOKMARK' &&
        dropAfter !== undefined &&
        ++sent >= dropAfter
      )
        close();
    };
    try {
      const unsubscribe = this.api.watch(
        t,
        ns,
        {
          resourceVersion: q.get('resourceVersion') ?? undefined,
          labelSelector,
          fieldSelector,
        },
        write,
      );
      cleanups.push(unsubscribe);
    } catch (e) {
      const err = e instanceof ApiError ? e : errors.internal(String(e));
      res.write(
        `${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`,
      );
      close();
      return;
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const maxSeconds =
      timeout > 0 ? timeout : 1800 + Math.floor(Math.random() * 1800);
    const timer = setTimeout(close, maxSeconds * 1000);
    cleanups.push(() => clearTimeout(timer));
    if (q.get('allowWatchBookmarks') === 'true') {
      const bm = setInterval(
        () =>
          write({
            type: 'BOOKMARK',
            object: {
              kind: t.kind,
              apiVersion: apiVersionOf(t),
              metadata: { resourceVersion: this.api.resourceVersion },
            },
          }),
        this.options.bookmarkIntervalMs ?? 5000,
      );
      cleanups.push(() => clearInterval(bm));
    }
    req.on('close', close);
    res.on('close', close);
  }

  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    t: ResourceType,
    ns: string,
    nameRaw: string,
    rest: string[],
  ) {
    // name forms: "pod", "pod:8000", "http:pod:8000"
    const parts = nameRaw.split(':');
    if (parts.length === 3) parts.shift();
    const name = parts[0];
    let pod: KObject;
    let port: number;
    if (t.plural === 'pods') {
      pod = this.api.get(t, ns, name);
      port = parts[1] ? this.portOf(pod, parts[1]) : this.firstPort(pod);
    } else {
      const svc = this.api.get(t, ns, name);
      const podsType = this.api.findType('', 'v1', 'pods')!;
      const selector = Object.entries(svc.spec?.selector ?? {}).map(
        ([k, v]) => ({ key: k, op: 'in' as const, values: [String(v)] }),
      );
      const candidates = this.api
        .list(podsType, ns, { labelSelector: selector })
        .items.filter(p =>
          (p.status?.conditions ?? []).some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
        );
      if (candidates.length === 0)
        throw errors.serviceUnavailable(
          `no endpoints available for service "${name}"`,
        );
      pod = candidates[Math.floor(Math.random() * candidates.length)];
      const svcPort =
        (svc.spec?.ports ?? []).find(
          (p: any) =>
            !parts[1] || String(p.port) === parts[1] || p.name === parts[1],
        ) ?? svc.spec?.ports?.[0];
      const target = svcPort?.targetPort ?? svcPort?.port;
      port =
        typeof target === 'number' ? target : this.portOf(pod, String(target));
    }
    if (pod.status?.phase !== 'Running')
      throw errors.serviceUnavailable(
        `pod ${ns}/${pod.metadata.name} is not running`,
      );
    const handler = this.resolvers.map(r => r(pod, port)).find(Boolean);
    if (!handler) {
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${pod.status?.podIP ?? '?'}:${port}: connect: connection refused`,
      );
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = `/${rest.map(encodeURIComponent).join('/')}${url.search}`;
    const body = await this.readBody(req);
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

  private portOf(pod: KObject, portOrName: string): number {
    if (/^\d+$/.test(portOrName)) return Number(portOrName);
    for (const c of pod.spec?.containers ?? [])
      for (const p of c.ports ?? [])
        if (p.name === portOrName) return p.containerPort;
    throw errors.badRequest(
      `pod ${pod.metadata.name} has no port named "${portOrName}"`,
    );
  }

  private firstPort(pod: KObject): number {
    return pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 80;
  }
}

export type { Verb };
