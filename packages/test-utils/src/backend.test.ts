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
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { DENY_ALL, DOWN_CLUSTER, startFusionInferTestBackend } from './backend';

/*
 * The harness against a stand-in plugin with the real plugin's id: each route answers what one of the services the
 * harness wires gave it (the real plugin's tests depend on this package, so it cannot be used here).
 */
const probe = createBackendPlugin({
  pluginId: 'fusioninfer',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        router: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        notifications: notificationService,
      },
      async init(d) {
        d.router.use(async (req, res) => {
          const credentials = await d.httpAuth.credentials(req as any);
          const q = req.query as Record<string, string>;
          const answer = async () => {
            switch (req.path) {
              case '/config':
                return {
                  fusioninfer: d.config.get('fusioninfer'),
                  app: d.config.getOptional('app'),
                };
              case '/whoami':
                return d.userInfo.getUserInfo(credentials as any);
              case '/authorize': {
                const permission = createPermission({
                  name: q.permission,
                  attributes: {},
                  resourceType: q.resourceRef ? 'r' : undefined,
                } as any);
                const [definitive] = await d.permissions.authorize(
                  [
                    {
                      permission,
                      ...(q.resourceRef ? { resourceRef: q.resourceRef } : {}),
                    } as any,
                  ],
                  { credentials },
                );
                const [conditional] = await d.permissions.authorizeConditional(
                  [{ permission } as any],
                  { credentials },
                );
                return { definitive, conditional };
              }
              case '/notify':
                await d.notifications.send({
                  recipients: { type: 'broadcast' },
                  payload: { title: q.title },
                });
                return {};
              case '/entities':
                return d.catalog.getEntities(
                  {},
                  { credentials: await d.auth.getOwnServiceCredentials() },
                );
              default: {
                // no body parser in this stand-in: the raw text shows what was sent
                let text = '';
                for await (const chunk of req) text += chunk;
                return {
                  method: req.method,
                  path: req.path,
                  body: text ? JSON.parse(text) : undefined,
                };
              }
            }
          };
          res.json(await answer());
        });
        d.router.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      },
    });
  },
});

describe('startFusionInferTestBackend', () => {
  it('configures the dev cluster, further clusters and replaced fusioninfer keys', async () => {
    const backend = await startFusionInferTestBackend({
      plugin: probe,
      cluster: { url: 'https://127.0.0.1:6443' },
      clusterConfig: { serviceAccountToken: 'team-token', writeAs: 'user' },
      otherClusters: [DOWN_CLUSTER],
      config: { reconciler: { leaseDurationSeconds: 1 }, approvals: {} },
      appConfig: { app: { baseUrl: 'http://portal.test' } },
    });
    expect((await backend.get('/config')).body).toEqual({
      fusioninfer: {
        clusters: [
          {
            name: 'dev',
            url: 'https://127.0.0.1:6443',
            authProvider: 'serviceAccount',
            serviceAccountToken: 'team-token',
            skipTLSVerify: true,
            mode: 'manage',
            writeAs: 'user',
          },
          DOWN_CLUSTER,
        ],
        reconciler: { leaseDurationSeconds: 1 },
        metrics: { pollIntervalSeconds: 0 },
        approvals: {},
      },
      app: { baseUrl: 'http://portal.test' },
    });
    const defaults = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
    });
    expect((await defaults.get('/config')).body.fusioninfer).toMatchObject({
      clusters: [{ name: 'dev', url: 'http://127.0.0.1:2' }],
      reconciler: { enabled: false },
      metrics: { pollIntervalSeconds: 0 },
    });
  });

  it('sends requests under /api/fusioninfer as the given user, with JSON bodies', async () => {
    const backend = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
      teams: { 'user:default/bob': ['group:default/team-b'] },
    });
    expect((await backend.get('/whoami', 'user:default/bob')).body).toEqual({
      userEntityRef: 'user:default/bob',
      ownershipEntityRefs: ['user:default/bob', 'group:default/team-b'],
    });
    expect((await backend.get('/whoami', 'user:default/eve')).body).toEqual({
      userEntityRef: 'user:default/eve',
      ownershipEntityRefs: ['user:default/eve'],
    });
    for (const method of ['post', 'put'] as const)
      expect((await backend[method]('/x', { a: 1 })).body).toEqual({
        method: method.toUpperCase(),
        path: '/x',
        body: { a: 1 },
      });
    expect((await backend.delete('/x')).body.method).toBe('DELETE');
  });

  it('answers permission checks as the policy says, conditional ones included', async () => {
    const asked: unknown[] = [];
    const backend = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
      permissions: {
        authorize: check => {
          asked.push(check);
          return check.resourceRef === 'component:default/mine';
        },
        conditional: ({ user }) =>
          user === 'user:default/alice' ? 'allow' : 'deny',
      },
    });
    const check = (resourceRef: string, user: string) =>
      backend
        .get(
          `/authorize?permission=p.update&resourceRef=${encodeURIComponent(resourceRef)}`,
          user,
        )
        .then(r => r.body);
    expect(await check('component:default/mine', 'user:default/bob')).toEqual({
      definitive: { result: AuthorizeResult.ALLOW },
      conditional: { result: AuthorizeResult.DENY },
    });
    expect(
      await check('component:default/other', 'user:default/alice'),
    ).toEqual({
      definitive: { result: AuthorizeResult.DENY },
      conditional: { result: AuthorizeResult.ALLOW },
    });
    expect(asked[0]).toEqual({
      permission: 'p.update',
      resourceRef: 'component:default/mine',
      user: 'user:default/bob',
    });

    const conditional = {
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {},
      },
    };
    const scoped = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
      permissions: { authorize: () => true, conditional },
    });
    expect(
      (await scoped.get('/authorize?permission=p.read')).body.conditional,
    ).toEqual({ result: AuthorizeResult.CONDITIONAL, ...conditional });
    const denied = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
      permissions: DENY_ALL,
    });
    expect((await denied.get('/authorize?permission=p.read')).body).toEqual({
      definitive: { result: AuthorizeResult.DENY },
      conditional: { result: AuthorizeResult.DENY },
    });
  });

  it('records notifications per backend and serves the given catalog entities', async () => {
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'qwen', namespace: 'default' },
      spec: { type: 'service', owner: 'alice', lifecycle: 'x' },
    };
    const backend = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
      entities: [entity],
    });
    const other = await startFusionInferTestBackend({
      plugin: probe,
      cluster: 'http://127.0.0.1:2',
    });
    await backend.get('/notify?title=first');
    await backend.get('/notify?title=second');
    expect(backend.notifications.map(n => n.payload.title)).toEqual([
      'first',
      'second',
    ]);
    expect(other.notifications).toEqual([]);
    expect((await backend.get('/entities')).body.items).toEqual([entity]);
    await backend.stop();
    await other.stop();
  });
});
