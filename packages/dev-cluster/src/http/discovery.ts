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
 * What clients read before they touch a resource: /version, the OpenAPI v2 and v3 documents, and API discovery
 * (/api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>) with versions in Kubernetes priority order.
 */

import { KubeApi } from '../api';
import { compareKubeVersions, KUBERNETES_VERSION } from '../resources';
import {
  openApiDocument,
  openApiIndex,
  openApiV2Document,
  openApiV2Protobuf,
} from '../openapi';
import { notFound, send } from './respond';
import { Call } from './types';

/** Paths discovery serves: /api, /api/<version>, /apis, /apis/<group>, /apis/<group>/<version>. */
export const isDiscoveryPath = (segs: string[]) =>
  (segs[0] === 'api' && segs.length <= 2) ||
  (segs[0] === 'apis' && segs.length <= 3);

/** /version: the Kubernetes version this server reports (kubectl checks its skew against it). */
export function serveVersion({ server, res }: Call) {
  send(res, 200, {
    ...KUBERNETES_VERSION,
    platform: 'linux/amd64',
    goVersion: 'go1.24',
    compiler: 'gc',
    ...(server.options.version ?? {}),
  });
}

/** /openapi/v2: protobuf when the Accept header names it, else JSON. */
export function openApiV2({ server, req, res }: Call) {
  if (String(req.headers.accept ?? '').includes('protobuf')) {
    const body = openApiV2Protobuf(server.api);
    res.writeHead(200, {
      'content-type':
        'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
      'content-length': body.length,
    });
    res.end(body);
    return;
  }
  send(res, 200, openApiV2Document(server.api));
}

/** /openapi/v3 (the index) and /openapi/v3/<group version path>. */
export function openApiV3({ server, res, segs }: Call) {
  if (segs.length === 2) {
    send(res, 200, openApiIndex(server.api));
    return;
  }
  const doc = openApiDocument(server.api, segs.slice(2).join('/'));
  if (!doc) throw notFound();
  send(res, 200, doc);
}

const DEFAULT_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** The APIResourceList entries of a group version: each resource and its subresources. */
function resourcesFor(api: KubeApi, group: string, version: string) {
  const out: unknown[] = [];
  for (const t of api
    .allTypes()
    .filter(x => x.group === group && x.version === version)) {
    out.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs ?? DEFAULT_VERBS,
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
        kind: t.plural === 'pods' ? 'PodProxyOptions' : 'ServiceProxyOptions',
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      });
  }
  return out;
}

export function discovery({ server, res, segs }: Call) {
  const api = server.api;
  if (segs[0] === 'api') {
    if (segs.length === 1)
      return send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
        ],
      });
    if (segs[1] !== 'v1') throw notFound();
    return send(res, 200, {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: resourcesFor(api, '', 'v1'),
    });
  }
  const groups = new Map<string, Set<string>>();
  for (const t of api.allTypes())
    if (t.group)
      (groups.get(t.group) ?? groups.set(t.group, new Set()).get(t.group)!).add(
        t.version,
      );
  const groupDoc = (g: string) => {
    const versions = [...groups.get(g)!]
      .sort(compareKubeVersions)
      .map(v => ({ groupVersion: `${g}/${v}`, version: v }));
    return { name: g, versions, preferredVersion: versions[0] };
  };
  if (segs.length === 1)
    return send(res, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.keys()].sort().map(groupDoc),
    });
  if (!groups.has(segs[1])) throw notFound();
  if (segs.length === 2)
    return send(res, 200, {
      kind: 'APIGroup',
      apiVersion: 'v1',
      ...groupDoc(segs[1]),
    });
  if (!groups.get(segs[1])!.has(segs[2])) throw notFound();
  return send(res, 200, {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${segs[1]}/${segs[2]}`,
    resources: resourcesFor(api, segs[1], segs[2]),
  });
}
