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

import http from 'node:http';
import https from 'node:https';
import {
  ApiConstructor,
  ApiType,
  createConfiguration,
  CustomObjectsApi,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  KubeObject,
} from '@fusioninfer/plugin-fusioninfer-common';
import fetch, { Headers } from 'node-fetch';
import {
  FusionInferClusterConfig,
  impersonationIdentity,
  isNamespaceAllowed,
} from './config';
import { KindInfo, kindOf, KINDS, resourcePath } from './kinds';
import {
  CacheInformer,
  CacheInformerOptions,
  InformerTransport,
} from './informer';

/** Default cap of a pod-proxy answer (8 MiB): a scrape never reads more. @public */
export const DEFAULT_PROXY_MAX_BYTES = 8 * 1024 * 1024;

/** A coordination.k8s.io/v1 Lease as the leader elector reads and writes it. @public */
export interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

/** Lease access of one Lease; every call takes an AbortSignal so a caller can bound it. @public */
export interface LeaseClient {
  /** The Lease, or undefined when it does not exist. */
  get(signal: AbortSignal): Promise<LeaseObject | undefined>;
  /** Creates it; rejects with a ClusterApiError (409 when it exists). */
  create(lease: LeaseObject, signal: AbortSignal): Promise<LeaseObject>;
  /** Replaces it with optimistic concurrency on metadata.resourceVersion (409 on conflict). */
  replace(lease: LeaseObject, signal: AbortSignal): Promise<LeaseObject>;
}

/** A Kubernetes API error reduced to what callers branch on. @public */
export class ClusterApiError extends Error {
  constructor(
    readonly cluster: string,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterApiError';
  }
}

/** Converts whatever client-node threw into a ClusterApiError (status code, reason, message). @public */
export function toClusterApiError(
  cluster: string,
  e: unknown,
): ClusterApiError {
  if (e instanceof ClusterApiError) return e;
  const err = e as { code?: number; body?: unknown; message?: string };
  let body: any = err?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON
    }
  }
  let code: number | undefined;
  if (typeof err?.code === 'number') code = err.code;
  else if (typeof body?.code === 'number') code = body.code;
  const message =
    typeof body?.message === 'string'
      ? body.message
      : String(err?.message ?? e).split('\n')[0];
  return new ClusterApiError(
    cluster,
    code,
    typeof body?.reason === 'string' ? body.reason : undefined,
    message,
  );
}

/** The impersonation headers (kube-apiserver's `authenticationv1.ImpersonateUserHeader` / `…GroupHeader`). */
const IMPERSONATE_USER = 'Impersonate-User';
const IMPERSONATE_GROUP = 'Impersonate-Group';
const isImpersonationHeader = (name: string) => /^impersonate-/i.test(name);

/** A user or group name that can travel in an HTTP header as it is: printable ASCII, no surrounding blanks. */
const headerSafe = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= 1024 &&
  /^[\x20-\x7e]+$/.test(v) &&
  v.trim() === v;

/** Checks and normalizes an identity to impersonate (groups without duplicates); throws an Error naming the fault. */
function checkedIdentity(
  cluster: string,
  identity: { user: string; groups: string[] },
): { user: string; groups: string[] } {
  if (!headerSafe(identity?.user))
    throw new Error(
      `cluster "${cluster}": cannot impersonate user ${JSON.stringify(identity?.user)} (a non-empty name of printable ASCII characters is needed)`,
    );
  const groups = [...new Set(identity.groups ?? [])];
  for (const g of groups)
    if (!headerSafe(g))
      throw new Error(
        `cluster "${cluster}": cannot impersonate group ${JSON.stringify(g)} (a non-empty name of printable ASCII characters is needed)`,
      );
  return { user: identity.user, groups };
}

/**
 * client-node's HTTP library (node-fetch) with the impersonation headers of `identity`: one `Impersonate-User` and
 * one `Impersonate-Group` line per group. client-node keeps request headers in a plain record (one value per name),
 * which cannot carry the several Impersonate-Group lines kube-apiserver reads (it does not split commas), so the
 * headers are built here; any impersonation header already in the request is replaced.
 */
function impersonatingHttpLibrary(identity: {
  user: string;
  groups: string[];
}) {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const headers = new Headers();
      for (const [k, v] of Object.entries(request.getHeaders()))
        if (!isImpersonationHeader(k)) headers.set(k, v);
      headers.set(IMPERSONATE_USER, identity.user);
      for (const g of identity.groups) headers.append(IMPERSONATE_GROUP, g);
      const res = await fetch(request.getUrl(), {
        method: request.getHttpMethod().toString(),
        body: request.getBody() as any,
        headers,
        signal: request.getSignal() as any,
        agent: request.getAgent(),
      });
      const out: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        out[name] = value;
      });
      return new ResponseContext(res.status, out, {
        text: () => res.text(),
        binary: () => res.buffer(),
      });
    },
  });
}

/**
 * The KubeConfig of a client that acts as another identity: the cluster, TLS and credentials of `base` (its
 * authenticators, so token caches are shared), plus the impersonation headers on everything built from it — API
 * clients of {@link KubeConfig.makeApiClient} (through {@link impersonatingHttpLibrary}), `applyToFetchOptions`
 * and `applyToHTTPSOptions` (raw requests, watches, websockets).
 */
class ImpersonatingKubeConfig extends KubeConfig {
  constructor(
    private readonly base: KubeConfig,
    readonly identity: { user: string; groups: string[] },
  ) {
    super();
    this.clusters = base.clusters;
    this.users = base.users;
    this.contexts = base.contexts;
    this.currentContext = base.currentContext;
  }

  override async applyToHTTPSOptions(
    opts:
      https.RequestOptions | Parameters<KubeConfig['applyToHTTPSOptions']>[0],
  ): Promise<void> {
    await this.base.applyToHTTPSOptions(opts);
    const headers: Record<string, any> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {}))
      if (!isImpersonationHeader(k)) headers[k] = v;
    headers[IMPERSONATE_USER] = this.identity.user;
    // An array is one header line per value (https.request, and node-fetch's Headers of applyToFetchOptions).
    if (this.identity.groups.length)
      headers[IMPERSONATE_GROUP] = [...this.identity.groups];
    opts.headers = headers;
  }

  override async applySecurityAuthentication(
    context: RequestContext,
  ): Promise<void> {
    await this.base.applySecurityAuthentication(context);
    // The groups need several header lines, which only the HTTP library of makeApiClient sends; an API client built
    // otherwise still acts as the user (with no groups but system:authenticated), never as the plugin.
    context.setHeaderParam(IMPERSONATE_USER, this.identity.user);
  }

  override makeApiClient<T extends ApiType>(ApiClient: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new ApiClient(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: impersonatingHttpLibrary(this.identity),
      }),
    );
  }
}

/** The options of client-node's agents that decide which connections may be shared (client-node's agentOptions). */
const TLS_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const;

/** How many clients of {@link ClusterClient.as} a cluster keeps (each with its discovery cache). */
const IMPERSONATED_CLIENTS = 64;

/** `o` with the apiVersion and kind of `kind` when the API server left them out. */
function withKind<T extends KubeObject>(o: T, kind: KindInfo): T {
  if (o && typeof o === 'object' && (!o.apiVersion || !o.kind))
    return { ...o, apiVersion: kind.apiVersion, kind: kind.kind };
  return o;
}

/** Access to one cluster through `@kubernetes/client-node`: the only way the plugins touch Kubernetes. @public */
export class ClusterClient {
  /**
   * The KubeConfig of this client. For a client of {@link ClusterClient.as} it carries the impersonation: API
   * clients it makes and its fetch and HTTPS options send the impersonation headers.
   */
  readonly kubeConfig: KubeConfig;
  /** The identity this client acts as (Impersonate-User / Impersonate-Group); undefined: the plugin's own. */
  readonly impersonating?: { user: string; groups: string[] };
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  /** The plugin's own KubeConfig (shared by the clients of {@link ClusterClient.as}). */
  private readonly baseKubeConfig: KubeConfig;
  private readonly impersonated = new Map<string, ClusterClient>();

  constructor(
    readonly config: FusionInferClusterConfig,
    private readonly options: {
      /** Defaults for every informer of this cluster (tests shorten the stall timeout). */
      informer?: CacheInformerOptions;
      /**
       * Every request of this client acts as this Kubernetes identity (the Impersonate-User and Impersonate-Group
       * headers); the cluster authorizes the client's own identity for the `impersonate` verb, then the request as
       * the user. Usually from {@link ClusterClient.as}.
       */
      impersonate?: { user: string; groups: string[] };
      /** The already loaded KubeConfig of this cluster (instead of loading it from `config`). */
      kubeConfig?: KubeConfig;
    } = {},
  ) {
    const base = options.kubeConfig ?? ClusterClient.load(config);
    this.baseKubeConfig = base;
    const identity = options.impersonate
      ? checkedIdentity(config.name, options.impersonate)
      : undefined;
    this.impersonating = identity;
    const kc = identity ? new ImpersonatingKubeConfig(base, identity) : base;
    this.kubeConfig = kc;
    this.objects = kc.makeApiClient(KubernetesObjectApi);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  private static load(config: FusionInferClusterConfig): KubeConfig {
    const kc = new KubeConfig();
    if (config.kubeconfig) {
      kc.loadFromFile(config.kubeconfig);
      if (config.kubeconfigContext)
        kc.setCurrentContext(config.kubeconfigContext);
    } else {
      kc.loadFromOptions({
        clusters: [
          {
            name: config.name,
            server: config.url!,
            skipTLSVerify: config.skipTLSVerify,
            caData: config.caData,
            caFile: config.caFile,
          },
        ],
        users: [{ name: 'backstage', token: config.serviceAccountToken }],
        contexts: [
          { name: config.name, cluster: config.name, user: 'backstage' },
        ],
        currentContext: config.name,
      });
    }
    return kc;
  }

  /**
   * This cluster acting as a Kubernetes identity: every request of the returned client — get, list, apply, merge
   * patch, delete, status writes, raw requests, informers, Leases, the pod proxy — carries
   * `Impersonate-User: <user>` and one `Impersonate-Group` line per group, so the cluster's RBAC and admission decide as for that user
   * (this client's own identity needs the `impersonate` verb on those users and groups). The groups are sent as
   * given (add `system:authenticated` to keep what every signed-in user may do). Clients are reused per identity
   * (a few dozen, each with its discovery cache); `as` of an impersonating client replaces the identity.
   */
  as(identity: { user: string; groups: string[] }): ClusterClient {
    const checked = checkedIdentity(this.name, identity);
    const key = JSON.stringify([checked.user, checked.groups]);
    const root = this.rootClient ?? this;
    const cached = root.impersonated.get(key);
    if (cached) {
      // most recently used last
      root.impersonated.delete(key);
      root.impersonated.set(key, cached);
      return cached;
    }
    const client = new ClusterClient(this.config, {
      informer: this.options.informer,
      impersonate: checked,
      kubeConfig: this.baseKubeConfig,
    });
    client.rootClient = root;
    root.impersonated.set(key, client);
    if (root.impersonated.size > IMPERSONATED_CLIENTS)
      root.impersonated.delete(root.impersonated.keys().next().value!);
    return client;
  }

  private rootClient?: ClusterClient;

  /**
   * The keep-alive agent of this cluster's requests (shared with the clients of {@link ClusterClient.as}), with the
   * TLS options it was made from.
   */
  private pool?: { tls: unknown[]; agent: http.Agent };

  /**
   * client-node makes a new HTTP agent for every request, so every request would open a new connection (over HTTPS
   * a new TLS handshake); requests of this client go through one keep-alive agent instead, made again only when the
   * kubeconfig's TLS material changes. Agents of a proxy are used as client-node makes them.
   */
  private keepAlive(fresh: unknown): unknown {
    const constructor = (fresh as { constructor?: unknown } | undefined)
      ?.constructor;
    const kind = [https, http].find(m => constructor === m.Agent);
    if (!kind) return fresh;
    const options = (fresh as { options?: Record<string, unknown> }).options;
    const tls = [kind, ...TLS_OPTIONS.map(k => options?.[k])];
    const root = this.rootClient ?? this;
    const same = (a: unknown, b: unknown): boolean =>
      a === b ||
      (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)) ||
      (Array.isArray(a) &&
        Array.isArray(b) &&
        a.length === b.length &&
        a.every((x, i) => same(x, b[i])));
    if (!root.pool || !root.pool.tls.every((v, i) => same(v, tls[i]))) {
      // as Node's global agent: idle connections are closed after 5 s (before a server or middlebox drops them)
      const agentOptions: Record<string, unknown> = {
        keepAlive: true,
        timeout: 5000,
      };
      TLS_OPTIONS.forEach((k, i) => {
        if (tls[i + 1] !== undefined) agentOptions[k] = tls[i + 1];
      });
      root.pool = { tls, agent: new kind.Agent(agentOptions) };
    }
    return root.pool.agent;
  }

  /**
   * The Kubernetes identity a Backstage user is written as on this cluster (`fusioninfer.clusters[].impersonation`):
   * the user from `userTemplate` (default `{{name}}` of `user:<namespace>/<name>`), a group from `groupTemplate`
   * (default `{{name}}`) for each `group:` reference of `ownershipRefs`, and `system:authenticated`.
   */
  identityOf(
    userRef: string,
    ownershipRefs: readonly string[],
  ): { user: string; groups: string[] } {
    return impersonationIdentity(this.config, userRef, ownershipRefs);
  }

  get name(): string {
    return this.config.name;
  }

  get readOnly(): boolean {
    return this.config.mode === 'observe';
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toClusterApiError(this.name, e);
    }
  }

  private assertWritable(verb: string) {
    if (this.readOnly)
      throw new ClusterApiError(
        this.name,
        403,
        'Forbidden',
        `cluster "${this.name}" is configured with mode: observe; ${verb} is not allowed`,
      );
  }

  /** GET one object; undefined when it does not exist. */
  async get<T extends KubeObject>(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    // a missing object is an answer, not an error (the reconciler asks this of every name it is about to create)
    const o = await this.json<T | undefined>(
      'GET',
      resourcePath(kind, namespace, name),
      {},
      'pooled',
      404,
    );
    return o && withKind(o, kind);
  }

  /** LIST objects, following continue tokens (pages of `pageSize`, default 500). */
  async list<T extends KubeObject>(
    kind: KindInfo,
    namespace?: string,
    labelSelector?: string,
    pageSize = 500,
  ): Promise<T[]> {
    const out: T[] = [];
    // client-node's KubernetesObjectApi drops `metadata.continue` from lists of kinds it has no model for (custom
    // resources), which would silently cut lists at one page; grouped kinds therefore go through CustomObjectsApi,
    // which returns the list as the server sent it.
    const [group, version] = kind.apiVersion.includes('/')
      ? kind.apiVersion.split('/')
      : ['', kind.apiVersion];
    const page = (
      cont?: string,
    ): Promise<KubernetesListObject<KubernetesObject>> =>
      this.call(async () => {
        if (!group)
          return this.objects.list(
            kind.apiVersion,
            kind.kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            labelSelector,
            pageSize,
            cont,
          );
        const common = {
          group,
          version,
          plural: kind.plural,
          labelSelector,
          limit: pageSize,
          _continue: cont,
        };
        return (
          kind.namespaced && namespace
            ? this.custom.listNamespacedCustomObject({ ...common, namespace })
            : this.custom.listClusterCustomObject(common)
        ) as Promise<KubernetesListObject<KubernetesObject>>;
      });
    let next = await page();
    for (;;) {
      out.push(
        ...(next.items.map(i => ({
          ...i,
          apiVersion: kind.apiVersion,
          kind: kind.kind,
        })) as unknown as T[]),
      );
      // Typed list metadata calls the token `_continue`; the raw JSON of KubernetesObjectApi calls it `continue`.
      const meta = next.metadata as
        { _continue?: string; continue?: string } | undefined;
      const token = meta?._continue || meta?.continue;
      if (!token) return out;
      next = await page(token);
    }
  }

  /**
   * Server-side apply with this suite's field manager (forcing conflicts unless `force: false`). The body is JSON,
   * which the apply content type (YAML) accepts as it is.
   */
  async apply<T extends KubeObject>(
    obj: T,
    options: { force?: boolean; fieldManager?: string; dryRun?: boolean } = {},
  ): Promise<T> {
    this.assertWritable('apply');
    const kind = kindOf(obj.apiVersion, obj.kind);
    if (!kind)
      return (await this.call(() =>
        this.objects.patch(
          obj as any,
          undefined,
          options.dryRun ? 'All' : undefined,
          options.fieldManager ?? FIELD_MANAGER,
          options.force ?? true,
          PatchStrategy.ServerSideApply,
        ),
      )) as unknown as T;
    // A namespaced object without a namespace goes to "default", as kubectl and client-node send it.
    const namespace = kind.namespaced
      ? obj.metadata.namespace || 'default'
      : undefined;
    const body =
      kind.namespaced && !obj.metadata.namespace
        ? { ...obj, metadata: { ...obj.metadata, namespace } }
        : obj;
    return withKind(
      await this.json<T>(
        'PATCH',
        resourcePath(kind, namespace, obj.metadata.name),
        {
          query: {
            fieldManager: options.fieldManager ?? FIELD_MANAGER,
            force: String(options.force ?? true),
            dryRun: options.dryRun ? 'All' : undefined,
          },
          body,
          contentType: PatchStrategy.ServerSideApply,
        },
      ),
      kind,
    );
  }

  /** JSON merge patch of the status subresource of an InferenceService. */
  async patchInferenceServiceStatus(
    namespace: string,
    name: string,
    status: unknown,
    resourceVersion?: string,
  ): Promise<KubeObject> {
    this.assertWritable('status update');
    const body = {
      ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
      status,
    };
    return withKind(
      await this.json<KubeObject>(
        'PATCH',
        `${resourcePath(KINDS.InferenceService, namespace, name)}/status`,
        {
          query: { fieldManager: FIELD_MANAGER },
          body,
          contentType: PatchStrategy.MergePatch,
        },
      ),
      KINDS.InferenceService,
    );
  }

  /** JSON merge patch of an object. */
  async mergePatch<T extends KubeObject>(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T> {
    this.assertWritable('patch');
    return withKind(
      await this.json<T>('PATCH', resourcePath(kind, namespace, name), {
        query: { fieldManager: FIELD_MANAGER },
        body: patch,
        contentType: PatchStrategy.MergePatch,
      }),
      kind,
    );
  }

  /** DELETE (Background propagation by default); a missing object is not an error. */
  async delete(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    options: {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      uid?: string;
    } = {},
  ): Promise<boolean> {
    this.assertWritable('delete');
    try {
      await this.json('DELETE', resourcePath(kind, namespace, name), {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: options.propagationPolicy ?? 'Background',
          ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
        },
      });
      return true;
    } catch (e) {
      if ((e as ClusterApiError).code === 404) return false;
      throw e;
    }
  }

  /** Whether `fusioninfer.clusters[].namespaces` lets the plugins see or touch this namespace. */
  allowsNamespace(namespace: string | undefined): boolean {
    return isNamespaceAllowed(this.config, namespace);
  }

  /** An HTTP request to the API server (auth and TLS from the kubeconfig), bounded in time and in bytes read. */
  async request(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      body?: unknown;
      signal?: AbortSignal;
      timeoutMs?: number;
      maxBytes?: number;
      contentType?: string;
    } = {},
  ): Promise<{ status: number; body: string; truncated: boolean }> {
    return this.send(method, path, options, 'pooled');
  }

  /** {@link ClusterClient.request} on a pooled keep-alive connection or on a connection of its own. */
  private async send(
    method: string,
    path: string,
    options: Parameters<ClusterClient['request']>[2] = {},
    connection: 'pooled' | 'own',
  ): Promise<{ status: number; body: string; truncated: boolean }> {
    const { res, release } = await this.fetchRaw(
      method,
      path,
      options,
      connection,
    );
    try {
      const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
      const declared = Number(res.headers.get('content-length'));
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const body = res.body as NodeJS.ReadableStream & {
        destroy?: () => void;
      };
      if (Number.isFinite(declared) && declared > maxBytes) {
        body.destroy?.();
        return { status: res.status, body: '', truncated: true };
      }
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) {
            truncated = true;
            chunks.push(chunk.subarray(0, chunk.length - (size - maxBytes)));
            break;
          }
          chunks.push(chunk);
        }
      } finally {
        if (truncated) body.destroy?.();
      }
      return {
        status: res.status,
        body: Buffer.concat(chunks).toString('utf8'),
        truncated,
      };
    } catch (e) {
      throw this.fetchError(method, path, e);
    } finally {
      release();
    }
  }

  /** A failed or aborted fetch as a ClusterApiError (an abort is a `Timeout`). */
  private fetchError(method: string, path: string, e: unknown) {
    if (e instanceof ClusterApiError) return e;
    const err = e as Error;
    return new ClusterApiError(
      this.name,
      undefined,
      err?.name === 'AbortError' ? 'Timeout' : undefined,
      err?.name === 'AbortError'
        ? `${method} ${path} was aborted (timeout or cancelled)`
        : String(err?.message ?? e),
    );
  }

  /**
   * Sends a request; the answer's body is the caller's to read, and `release` (called once the body is read or
   * dropped) ends the request's time bound. The bound is a timer cleared by `release` rather than
   * `AbortSignal.timeout`, whose timer and signal would outlive every request by the whole timeout.
   * Informers use connections of their own: a watch that stalls is replaced on a new connection, never on a pooled
   * one the same network fault may have silenced (and their few long requests gain nothing from a pool).
   */
  private async fetchRaw(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      body?: unknown;
      signal?: AbortSignal;
      timeoutMs?: number;
      contentType?: string;
    },
    connection: 'pooled' | 'own',
  ) {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new ClusterApiError(
        this.name,
        undefined,
        undefined,
        'no current cluster',
      );
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const opts = (await this.kubeConfig.applyToFetchOptions({})) as any;
    // client-node gives a node-fetch Headers object (Authorization inside it): spreading it would copy nothing, and
    // forEach would join repeated headers (one Impersonate-Group line per group) into one value, so every value is
    // appended on its own.
    const headers = new Headers();
    const given = opts.headers;
    if (given && typeof given.raw === 'function') {
      for (const [k, values] of Object.entries(
        given.raw() as Record<string, string[]>,
      ))
        for (const v of values) headers.append(k, v);
    } else if (given && typeof given.forEach === 'function')
      given.forEach((v: string, k: string) => headers.append(k, v));
    else
      for (const [k, v] of Object.entries(given ?? {}))
        for (const one of [v].flat()) headers.append(k, String(one));
    headers.set('Accept', 'application/json');
    if (options.body !== undefined)
      headers.set('Content-Type', options.contentType ?? 'application/json');
    const controller = new AbortController();
    const abort = () => controller.abort();
    const timer = setTimeout(abort, options.timeoutMs ?? 30_000);
    const caller = options.signal;
    if (caller?.aborted) abort();
    else caller?.addEventListener('abort', abort, { once: true });
    const release = () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', abort);
    };
    try {
      const res = await fetch(url.toString(), {
        ...opts,
        agent:
          connection === 'pooled' ? this.keepAlive(opts.agent) : opts.agent,
        headers,
        method,
        body:
          options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: controller.signal as any,
      });
      return { res, release };
    } catch (e) {
      release();
      throw this.fetchError(method, path, e);
    }
  }

  private async json<T>(
    method: string,
    path: string,
    options: Parameters<ClusterClient['request']>[2] = {},
    connection: 'pooled' | 'own' = 'pooled',
    /** An answer with this status is `undefined` instead of an error (a GET of a name nobody holds). */
    absentOn?: number,
  ): Promise<T> {
    const res = await this.send(method, path, options, connection);
    if (res.status === absentOn) return undefined as T;
    let body: any;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    if (res.status >= 300)
      throw new ClusterApiError(
        this.name,
        res.status,
        body?.reason,
        typeof body?.message === 'string'
          ? body.message
          : `${method} ${path} answered ${res.status}`,
      );
    return body as T;
  }

  /** The transport informers use: paged lists and watch streams over plain HTTP. */
  private transport(): InformerTransport {
    return {
      listPage: async (path, query, signal) => {
        const list = await this.json<{
          items?: KubeObject[];
          metadata?: { resourceVersion?: string; continue?: string };
        }>('GET', path, { query, timeoutMs: 60_000, signal }, 'own');
        const [apiVersion, kind] = this.kindOfPath(path);
        return {
          items: (list.items ?? []).map(i => ({
            ...i,
            apiVersion: i.apiVersion ?? apiVersion,
            kind: i.kind ?? kind,
          })),
          resourceVersion: list.metadata?.resourceVersion,
          continue: list.metadata?.continue,
        };
      },
      openWatch: async (path, query, signal) => {
        const { res, release } = await this.fetchRaw(
          'GET',
          path,
          {
            query,
            signal,
            // the informer's stall timer bounds the stream; this only bounds a server that never answers at all
            timeoutMs: (Number(query.timeoutSeconds ?? 300) + 60) * 1000,
          },
          'own',
        );
        if (res.status !== 200) {
          const text = await res.text().catch(() => '');
          release();
          let message = `watch answered ${res.status}`;
          try {
            message = JSON.parse(text).message ?? message;
          } catch {
            // not JSON
          }
          throw Object.assign(
            new ClusterApiError(this.name, res.status, undefined, message),
            { code: res.status },
          );
        }
        // the time bound lasts as long as the stream
        res.body.once('close', release);
        return res.body as unknown as NodeJS.ReadableStream;
      },
    };
  }

  private kindOfPath(path: string): [string, string] {
    const k = Object.values(KINDS).find(
      x => path.endsWith(`/${x.plural}`) && path.includes(x.apiVersion),
    );
    return k ? [k.apiVersion, k.kind] : ['', ''];
  }

  /**
   * A list+watch cache of one kind (see {@link CacheInformer}): timeoutSeconds and bookmarks on every watch, stalled
   * watches relisted, restarts after errors with back-off, `410 Gone` relists.
   */
  informer<T extends KubeObject>(
    kind: KindInfo,
    namespace?: string,
    labelSelector?: string,
    options?: CacheInformerOptions,
  ): CacheInformer<T> {
    return new CacheInformer<T>(
      this.transport(),
      resourcePath(kind, namespace),
      labelSelector,
      { ...(this.options.informer ?? {}), ...(options ?? {}) },
    );
  }

  /**
   * One Lease (leader election); every call is bounded by the caller's AbortSignal and goes on a connection of its
   * own, so a renewal never waits on a pooled connection a network fault silenced.
   */
  lease(namespace: string, name: string): LeaseClient {
    const path = resourcePath(KINDS.Lease, namespace, name);
    const collection = resourcePath(KINDS.Lease, namespace);
    return {
      get: async signal => {
        try {
          return await this.json<LeaseObject>('GET', path, { signal }, 'own');
        } catch (e) {
          if ((e as ClusterApiError).code === 404) return undefined;
          throw e;
        }
      },
      create: (lease, signal) => {
        this.assertWritable('lease create');
        return this.json<LeaseObject>(
          'POST',
          collection,
          {
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              ...lease,
            },
            signal,
          },
          'own',
        );
      },
      replace: (lease, signal) => {
        this.assertWritable('lease update');
        return this.json<LeaseObject>(
          'PUT',
          path,
          {
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              ...lease,
            },
            signal,
          },
          'own',
        );
      },
    };
  }

  /**
   * GET through the API server's pod proxy (model-server /metrics). Reads at most `maxBytes` (default 8 MiB): a
   * larger answer is aborted and reported with `truncated: true` and an empty body.
   */
  async podProxyGet(
    namespace: string,
    pod: string,
    port: number,
    path: string,
    options: { maxBytes?: number; timeoutMs?: number } = {},
  ): Promise<{ status: number; body: string; truncated?: boolean }> {
    const res = await this.request(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`,
      {
        timeoutMs: options.timeoutMs ?? 5000,
        maxBytes: options.maxBytes ?? DEFAULT_PROXY_MAX_BYTES,
      },
    );
    return res.truncated
      ? { status: res.status, body: '', truncated: true }
      : { status: res.status, body: res.body };
  }
}

export { KINDS };
