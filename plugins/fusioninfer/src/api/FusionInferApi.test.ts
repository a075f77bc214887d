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

import { ResponseError } from '@backstage/errors';
import type { AnyApiFactory } from '@backstage/core-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { ApiBlueprint } from '@backstage/frontend-plugin-api';
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  setupMsw,
} from '../__testUtils__';
import { fusioninferPlugin } from '../plugin';
import { fusioninferApi } from '../alpha';
import { FusionInferApi, fusioninferApiRef } from './FusionInferApi';

// The wiring only: both plugins register the common client as fusioninferApiRef over the app's discoveryApi and
// fetchApi (the client's requests are tested in the common package), answered here with recorded fixtures.

const server = setupMsw();
const ref = { cluster: 'dev', namespace: 'demo', name: 'qwen-multi-node' };
const deps = {
  discoveryApi: {
    getBaseUrl: async (pluginId: string) =>
      pluginId === 'fusioninfer' ? BASE : 'http://localhost:7007/api/other',
  },
  fetchApi: {
    fetch: (i: RequestInfo | URL, init?: RequestInit) =>
      fetch(i, {
        ...init,
        headers: { ...(init?.headers as object), 'X-App-Fetch': 'yes' },
      }),
  },
};

function apiOf(factory: AnyApiFactory): FusionInferApi {
  expect(factory.api.id).toBe(fusioninferApiRef.id);
  expect(Object.keys(factory.deps).sort()).toEqual([
    'discoveryApi',
    'fetchApi',
  ]);
  return factory.factory(deps) as FusionInferApi;
}

const factories: Array<[string, () => FusionInferApi]> = [
  [
    'legacy plugin',
    () =>
      apiOf(
        [...fusioninferPlugin.getApis()].find(
          f => f.api.id === fusioninferApiRef.id,
        )!,
      ),
  ],
  [
    'new frontend system',
    () =>
      apiOf(
        createExtensionTester(fusioninferApi).get(
          ApiBlueprint.dataRefs.factory,
        ),
      ),
  ],
];

describe.each(factories)('fusioninferApiRef of the %s', (_, make) => {
  it('calls the backend through the app fetchApi', async () => {
    const seen: string[] = [];
    server.use(
      http.get(
        `${BASE}/clusters/dev/namespaces/demo/services/*`,
        ({ request }) => {
          seen.push(
            `${new URL(request.url).pathname} ${request.headers.get('X-App-Fetch')}`,
          );
          return HttpResponse.json(fixture('children-qwen'));
        },
      ),
    );
    const r = await make().getChildren(ref);
    expect(r).toEqual(fixture('children-qwen'));
    expect(seen).toEqual([
      '/api/fusioninfer/clusters/dev/namespaces/demo/services/qwen-multi-node/children yes',
    ]);
  });

  it('returns the 202 body of a change held for approval', async () => {
    const held = fixture('apply-approval-required');
    server.use(
      http.post(`${BASE}/apply`, () =>
        HttpResponse.json(held.body, { status: held.status }),
      ),
    );
    const r = await make().apply({
      cluster: 'dev',
      namespace: 'demo',
      manifest: {},
    });
    expect(held.status).toBe(202);
    expect(r.outcome).toBe('approval-required');
  });

  it('throws a ResponseError carrying the backend error', async () => {
    server.use(
      http.get(`${BASE}/clusters/dev/namespaces/demo/services/nope`, () =>
        errorResponse('error-not-found'),
      ),
    );
    const e = await make()
      .getService({ ...ref, name: 'nope' })
      .catch(x => x);
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.statusCode).toBe(404);
    expect(e.body.error.name).toBe('NotFoundError');
  });
});
