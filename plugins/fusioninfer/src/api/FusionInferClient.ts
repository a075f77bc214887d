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

import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type { ServiceRef } from '@fusioninfer/plugin-fusioninfer-common';
import type { FusionInferApi } from './FusionInferApi';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const seg = (s: string) => encodeURIComponent(s);

/** Path of one service's routes. */
export function servicePath(ref: ServiceRef): string {
  return `/clusters/${seg(ref.cluster)}/namespaces/${seg(ref.namespace)}/services/${seg(ref.name)}`;
}

/**
 * {@link FusionInferApi} over the app's `fetchApi` (which adds the user's Backstage token) and `discoveryApi`.
 * @public
 */
export class FusionInferClient implements FusionInferApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = deps.discoveryApi;
    this.fetchApi = deps.fetchApi;
  }

  private async call<T>(method: Method, path: string, body?: unknown) {
    const base = await this.discoveryApi.getBaseUrl('fusioninfer');
    const res = await this.fetchApi.fetch(`${base}${path}`, {
      method,
      ...(body !== undefined
        ? {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          }
        : {}),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  listClusters: FusionInferApi['listClusters'] = () =>
    this.call('GET', '/clusters');
  listServices: FusionInferApi['listServices'] = () =>
    this.call('GET', '/services');
  getService: FusionInferApi['getService'] = ref =>
    this.call('GET', servicePath(ref));
  getChildren: FusionInferApi['getChildren'] = ref =>
    this.call('GET', `${servicePath(ref)}/children`);
  getDiff: FusionInferApi['getDiff'] = ref =>
    this.call('GET', `${servicePath(ref)}/diff`);
  getMetrics: FusionInferApi['getMetrics'] = ref =>
    this.call('GET', `${servicePath(ref)}/metrics`);
  getEntityServices: FusionInferApi['getEntityServices'] = (
    entity: CompoundEntityRef,
  ) =>
    this.call(
      'GET',
      `/entities/${seg(entity.kind)}/${seg(entity.namespace)}/${seg(entity.name)}/services`,
    );
  scale: FusionInferApi['scale'] = (ref, body) =>
    this.call('POST', `${servicePath(ref)}/scale`, body);
  setStrategy: FusionInferApi['setStrategy'] = (ref, body) =>
    this.call('POST', `${servicePath(ref)}/strategy`, body);
  deleteService: FusionInferApi['deleteService'] = ref =>
    this.call('DELETE', servicePath(ref));
  apply: FusionInferApi['apply'] = body => this.call('POST', '/apply', body);
  checkApproval: FusionInferApi['checkApproval'] = body =>
    this.call('POST', '/approvals/check', body);
  createApproval: FusionInferApi['createApproval'] = body =>
    this.call('POST', '/approvals', body);
  listApprovals: FusionInferApi['listApprovals'] = (query = {}) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    return this.call('GET', `/approvals${s ? `?${s}` : ''}`);
  };
  getApproval: FusionInferApi['getApproval'] = id =>
    this.call('GET', `/approvals/${seg(id)}`);
  decideApproval: FusionInferApi['decideApproval'] = (id, body) =>
    this.call('POST', `/approvals/${seg(id)}/decision`, body);
  cancelApproval: FusionInferApi['cancelApproval'] = id =>
    this.call('POST', `/approvals/${seg(id)}/cancel`);
  retryApproval: FusionInferApi['retryApproval'] = id =>
    this.call('POST', `/approvals/${seg(id)}/retry`);
  listProjects: FusionInferApi['listProjects'] = () =>
    this.call('GET', '/projects');
  setProjectQuota: FusionInferApi['setProjectQuota'] = (
    project,
    cluster,
    body,
  ) =>
    this.call('PUT', `/projects/${seg(project)}/quotas/${seg(cluster)}`, body);
  resetProjectQuota: FusionInferApi['resetProjectQuota'] = (project, cluster) =>
    this.call('DELETE', `/projects/${seg(project)}/quotas/${seg(cluster)}`);
}
