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

/**
 * The FusionInfer backend plugin in `startTestBackend` against a development cluster (`@fusioninfer/test-utils/backend`,
 * an entry point of its own so that frontend tests importing `@fusioninfer/test-utils` never load a backend).
 *
 * @packageDocumentation
 */

import request from 'supertest';
import {
  BackendFeature,
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  notificationService,
  NotificationSendOptions,
} from '@backstage/plugin-notifications-node';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
} from '@backstage/plugin-permission-common';
import type { Knex } from 'knex';
import { devClusterConfig } from './devCluster';

/** Where the plugin's routes are mounted. */
export const FUSIONINFER_API = '/api/fusioninfer';

/** `Authorization` header of a signed-in user (`user:default/alice`). */
export const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/** A `fusioninfer.clusters[]` entry nobody answers at: the "cluster is down" case of list errors and 503s. */
export const DOWN_CLUSTER = {
  name: 'down',
  url: 'http://127.0.0.1:1',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'x',
} as const;

/** One permission check as {@link TestPolicy} sees it. */
export interface PermissionCheck {
  /** `fusioninfer.service.update`, … */
  permission: string;
  /** The resource the check names (an entity ref, an approval id, a project), if any. */
  resourceRef?: string;
  /** The caller's user entity ref; absent for service principals. */
  user?: string;
}

/**
 * A permission policy of a test: a yes/no per definitive check, and one answer for every conditional (list) check —
 * `'allow'` (the default), `'deny'`, or a conditional decision as the permission framework hands it to the plugin.
 */
export interface TestPolicy {
  authorize(check: PermissionCheck): boolean;
  conditional?:
    | 'allow'
    | 'deny'
    | Omit<ConditionalPolicyDecision, 'result'>
    | ((check: Omit<PermissionCheck, 'resourceRef'>) => 'allow' | 'deny');
}

/** Denies every check, definitive and conditional. */
export const DENY_ALL: TestPolicy = {
  authorize: () => false,
  conditional: 'deny',
};

/**
 * The permissions service answering as `policy` does (a plain service, not a jest mock: the fixture recorder runs it
 * outside jest).
 */
export function mockPolicy(policy: TestPolicy) {
  const definitive = (allow: boolean) => ({
    result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
  });
  const userOf = (options: any): string | undefined =>
    options?.credentials?.principal?.userEntityRef;
  const service = {
    authorize: async (requests: any[], options: any) =>
      requests.map(r =>
        definitive(
          policy.authorize({
            permission: r.permission.name,
            resourceRef: r.resourceRef,
            user: userOf(options),
          }),
        ),
      ),
    authorizeConditional: async (requests: any[], options: any) =>
      requests.map(r => {
        const c = policy.conditional ?? 'allow';
        const answer =
          typeof c === 'function'
            ? c({ permission: r.permission.name, user: userOf(options) })
            : c;
        if (typeof answer === 'string') return definitive(answer === 'allow');
        return { result: AuthorizeResult.CONDITIONAL, ...answer };
      }),
  } as unknown as PermissionsService;
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => service,
  });
}

/** Options of {@link startFusionInferTestBackend}. */
export interface FusionInferTestBackendOptions {
  /**
   * The backend plugin. Passed in rather than imported: the plugin's own tests depend on this package, so importing
   * it here would make the two packages depend on each other.
   */
  plugin: BackendFeature;
  /**
   * The development cluster the plugin manages as cluster `dev` (`startDevCluster()`'s result or its `url`). The
   * caller starts and closes it: a test file shares one cluster between the backends its tests start, and
   * `@fusioninfer/dev-cluster`'s own tests depend on this package.
   */
  cluster: { url: string } | string;
  /** Merged into the `dev` cluster's entry (`serviceAccountToken`, `namespaces`, `writeAs`, `mode`, …). */
  clusterConfig?: Record<string, unknown>;
  /** Further `fusioninfer.clusters[]` entries after `dev` ({@link DOWN_CLUSTER}, a second development cluster). */
  otherClusters?: object[];
  /**
   * `fusioninfer.*` keys other than `clusters`, each replacing the default's key of the same name. Defaults:
   * `reconciler: { enabled: false }` (reads and writes only; pass `reconciler: { leaseDurationSeconds: 1 }` for a
   * backend that reconciles) and `metrics: { pollIntervalSeconds: 0 }` (metrics collected when asked for).
   */
  config?: Record<string, unknown>;
  /** Top-level app-config besides `fusioninfer` (`backend.actions`, `app.baseUrl`). */
  appConfig?: Record<string, unknown>;
  /** The catalog's entities (a `catalogServiceMock`); without them the catalog service is Backstage's default. */
  entities?: Entity[];
  /** The permission policy (or a permissions service factory); without one every check is allowed. */
  permissions?: TestPolicy | BackendFeature;
  /**
   * The groups each user belongs to: the userInfo service answers them as the user's ownership refs (with the user
   * itself), as a catalog-backed sign-in would. Without it, userInfo is the mock's (the user alone).
   */
  teams?: Record<string, string[]>;
  /** The plugin's database (a `TestDatabases` client); default an in-memory SQLite of `startTestBackend`. */
  database?: Knex;
  /** Further features and service factories (a logger, a second plugin). */
  features?: BackendFeature[];
}

/** A started backend: its server, request helpers bound to the plugin's routes, and the notifications it sent. */
export interface FusionInferTestBackend {
  /** The HTTP server, for `supertest`'s `request(server)`. */
  server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  /** What the plugin sent through the notifications service (approval requests and decisions), in order. */
  notifications: NotificationSendOptions[];
  /** `GET /api/fusioninfer<path>`, as `user` when given (else as `startTestBackend`'s default mock user). */
  get(path: string, user?: string): request.Test;
  /** `POST /api/fusioninfer<path>` with a JSON body. */
  post(path: string, body?: object, user?: string): request.Test;
  /** `PUT /api/fusioninfer<path>` with a JSON body. */
  put(path: string, body?: object, user?: string): request.Test;
  /** `DELETE /api/fusioninfer<path>`. */
  delete(path: string, user?: string): request.Test;
  /** Stops the backend (`startTestBackend` also stops it after the test file). */
  stop(): Promise<void>;
}

/** The `fusioninfer` app-config of a test backend (see {@link FusionInferTestBackendOptions}). */
export function fusioninferTestConfig(
  options: Pick<
    FusionInferTestBackendOptions,
    'cluster' | 'clusterConfig' | 'otherClusters' | 'config'
  >,
) {
  const url =
    typeof options.cluster === 'string' ? options.cluster : options.cluster.url;
  return {
    clusters: [
      { ...devClusterConfig(url), ...options.clusterConfig },
      ...(options.otherClusters ?? []),
    ],
    reconciler: { enabled: false },
    metrics: { pollIntervalSeconds: 0 },
    ...options.config,
  };
}

/**
 * Starts the FusionInfer backend plugin in `startTestBackend` against a development cluster, with a mock app-config,
 * catalog, permission policy, userInfo and a recording notifications service as the options say.
 *
 * @example
 * const backend = await startFusionInferTestBackend({
 *   plugin: fusioninferPlugin,
 *   cluster: dev,
 *   config: { approvals: { maxGpusWithoutApproval: 2 } },
 *   permissions: { authorize: ({ user }) => user === 'user:default/alice' },
 * });
 * const res = await backend.post('/apply', { cluster: 'dev', namespace: 'default', manifest }, 'user:default/alice');
 */
export async function startFusionInferTestBackend(
  options: FusionInferTestBackendOptions,
): Promise<FusionInferTestBackend> {
  const notifications: NotificationSendOptions[] = [];
  const { permissions, teams } = options;
  const features: BackendFeature[] = [
    options.plugin,
    mockServices.rootConfig.factory({
      data: {
        ...options.appConfig,
        fusioninfer: fusioninferTestConfig(options),
      },
    }),
    createServiceFactory({
      service: notificationService,
      deps: {},
      factory: () => ({
        send: async (n: NotificationSendOptions) => void notifications.push(n),
      }),
    }),
  ];
  if (options.entities)
    features.push(catalogServiceMock.factory({ entities: options.entities }));
  if (permissions)
    features.push(
      'authorize' in permissions ? mockPolicy(permissions) : permissions,
    );
  if (teams)
    features.push(
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials: any) {
            const ref = credentials.principal.userEntityRef as string;
            return {
              userEntityRef: ref,
              ownershipEntityRefs: [ref, ...(teams[ref] ?? [])],
            };
          },
        }),
      }),
    );
  if (options.database)
    features.push(mockServices.database.factory({ knex: options.database }));
  features.push(...(options.features ?? []));

  const backend = await startTestBackend({ features });
  const { server } = backend;
  const withUser = (test: request.Test, user?: string) =>
    user ? test.set(as(user)) : test;
  const url = (path: string) => `${FUSIONINFER_API}${path}`;
  return {
    server,
    notifications,
    get: (path, user) => withUser(request(server).get(url(path)), user),
    post: (path, body = {}, user) =>
      withUser(request(server).post(url(path)), user).send(body),
    put: (path, body = {}, user) =>
      withUser(request(server).put(url(path)), user).send(body),
    delete: (path, user) => withUser(request(server).delete(url(path)), user),
    stop: () => backend.stop(),
  };
}
