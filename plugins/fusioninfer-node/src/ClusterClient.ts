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

import {
  CoordinationV1Api,
  CustomObjectsApi,
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  KubernetesObjectApi,
  makeInformer,
  ObjectCache,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  KubeObject,
} from '@fusioninfer/plugin-fusioninfer-common';
import fetch from 'node-fetch';
import { FusionInferClusterConfig } from './config';
import { KindInfo, KINDS, resourcePath } from './kinds';

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

/** Access to one cluster through `@kubernetes/client-node`: the only way the plugins touch Kubernetes. @public */
export class ClusterClient {
  readonly kubeConfig: KubeConfig;
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;

  constructor(readonly config: FusionInferClusterConfig) {
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
    this.kubeConfig = kc;
    this.objects = kc.makeApiClient(KubernetesObjectApi);
    this.custom = kc.makeApiClient(CustomObjectsApi);
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
    try {
      return (await this.objects.read({
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        metadata: { name, namespace },
      } as any)) as unknown as T;
    } catch (e) {
      const err = toClusterApiError(this.name, e);
      if (err.code === 404) return undefined;
      throw err;
    }
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

  /** Server-side apply with this suite's field manager. */
  async apply<T extends KubeObject>(
    obj: T,
    options: { force?: boolean; fieldManager?: string; dryRun?: boolean } = {},
  ): Promise<T> {
    this.assertWritable('apply');
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
    return (await this.call(() =>
      this.custom.patchNamespacedCustomObjectStatus(
        {
          group: 'fusioninfer.io',
          version: 'v1alpha1',
          namespace,
          plural: 'inferenceservices',
          name,
          body,
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    )) as KubeObject;
  }

  /** JSON merge patch of an object. */
  async mergePatch<T extends KubeObject>(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T> {
    this.assertWritable('patch');
    return (await this.call(() =>
      this.objects.patch(
        {
          ...(patch as object),
          apiVersion: kind.apiVersion,
          kind: kind.kind,
          metadata: {
            ...((patch as { metadata?: object }).metadata ?? {}),
            name,
            namespace,
          },
        } as any,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      ),
    )) as unknown as T;
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
      await this.objects.delete(
        {
          apiVersion: kind.apiVersion,
          kind: kind.kind,
          metadata: { name, namespace },
        } as any,
        undefined,
        undefined,
        undefined,
        undefined,
        options.propagationPolicy ?? 'Background',
        options.uid
          ? ({ preconditions: { uid: options.uid } } as any)
          : undefined,
      );
      return true;
    } catch (e) {
      const err = toClusterApiError(this.name, e);
      if (err.code === 404) return false;
      throw err;
    }
  }

  /** An informer (list + watch with a local cache, resync after errors and 410 Gone) for one kind. */
  informer<T extends KubeObject>(
    kind: KindInfo,
    namespace?: string,
    labelSelector?: string,
  ): Informer<T & KubernetesObject> & ObjectCache<T & KubernetesObject> {
    const path = resourcePath(kind, namespace);
    return makeInformer<T & KubernetesObject>(
      this.kubeConfig,
      path,
      async () => {
        const page = await this.objects.list(
          kind.apiVersion,
          kind.kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        );
        return {
          ...page,
          items: page.items.map(i => ({
            ...i,
            apiVersion: kind.apiVersion,
            kind: kind.kind,
          })),
        } as any;
      },
      labelSelector,
    );
  }

  /** Coordination API (leases) of this cluster. */
  leases(): CoordinationV1Api {
    return this.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** GET through the API server's pod proxy (model-server /metrics). */
  async podProxyGet(
    namespace: string,
    pod: string,
    port: number,
    path: string,
  ): Promise<{ status: number; body: string }> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new ClusterApiError(
        this.name,
        undefined,
        undefined,
        'no current cluster',
      );
    const url = `${cluster.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`;
    const opts = await this.kubeConfig.applyToFetchOptions({});
    const res = await fetch(url, {
      ...(opts as any),
      method: 'GET',
      timeout: 5000,
    });
    return { status: res.status, body: await res.text() };
  }
}

export { KINDS };
