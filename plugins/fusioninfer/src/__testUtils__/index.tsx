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

import { ReactElement } from 'react';
import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { identityApiRef, RouteRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { createFusionInferClient } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../api';

/** Base URL the client is given in tests; msw answers under it. */
export const BASE = 'http://localhost:7007/api/fusioninfer';

/** A recorded fixture (src/__fixtures__/<name>.json, written by plugins/fusioninfer-backend/dev/record-fixtures.ts). */
export function fixture<T = any>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return JSON.parse(JSON.stringify(require(`../__fixtures__/${name}.json`)));
}

/** A recorded error answer ({status, body}) as an msw response. */
export function errorResponse(name: string) {
  const f = fixture<{ status: number; body: unknown }>(name);
  return HttpResponse.json(f.body as any, { status: f.status });
}

/**
 * The backend's answer when showback is not configured (`fusioninfer.showback`): the Inference tab's cost row asks
 * for every service, and shows nothing on this answer, so tests that are not about cost need no handler of their own.
 */
export const showbackNotConfigured = () =>
  HttpResponse.json(
    {
      error: {
        name: 'ServiceUnavailableError',
        message:
          'showback is not configured (fusioninfer.showback: a price sheet or OpenCost)',
      },
      response: { statusCode: 503 },
    },
    { status: 503 },
  );

export function setupMsw() {
  const server = setupServer(
    http.get(
      `${BASE}/clusters/:cluster/namespaces/:namespace/services/:name/showback`,
      showbackNotConfigured,
    ),
  );
  registerMswTestHooks(server);
  return server;
}

export { http, HttpResponse };

export const entity = (name: string, service?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    ...(service ? { annotations: { 'fusioninfer.io/service': service } } : {}),
  },
  spec: {
    type: 'service',
    owner: 'group:default/ml-platform',
    lifecycle: 'production',
  },
});

/** Renders inside a test app with the real client (over msw), a permission API and an identity. */
export async function renderWithApis(
  element: ReactElement,
  options: {
    allow?: boolean | ((permission: string, resourceRef?: string) => boolean);
    user?: string;
    entity?: Entity;
    routeEntries?: string[];
    mountedRoutes?: Record<string, RouteRef>;
  } = {},
) {
  const client = createFusionInferClient({
    discoveryApi: { getBaseUrl: async () => BASE },
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });
  const allow = options.allow ?? true;
  const permissionApi = mockApis.permission({
    authorize: req =>
      (
        typeof allow === 'function'
          ? allow(
              req.permission.name,
              'resourceRef' in req ? req.resourceRef : undefined,
            )
          : allow
      )
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });
  const identityApi = mockApis.identity({
    userEntityRef: options.user ?? 'user:default/alice',
  });
  const wrapped = options.entity ? (
    <EntityProvider entity={options.entity}>{element}</EntityProvider>
  ) : (
    element
  );
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [fusioninferApiRef, client],
        [permissionApiRef, permissionApi],
        [identityApiRef, identityApi],
      ]}
    >
      {wrapped}
    </TestApiProvider>,
    {
      ...(options.routeEntries ? { routeEntries: options.routeEntries } : {}),
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        ...options.mountedRoutes,
      },
    },
  );
}
