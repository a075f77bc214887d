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

import http from 'http';
import { AddressInfo } from 'net';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { ConfigReader } from '@backstage/config';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import { minimalInferenceService } from '@fusioninfer/test-utils';
import { ClusterApiError, ClusterClient } from './ClusterClient';
import { FusionInferClusterConfig, readFusionInferClusters } from './config';
import { KINDS } from './kinds';

const config = (
  url: string,
  token: string,
  extra: Partial<FusionInferClusterConfig> = {},
): FusionInferClusterConfig => ({
  name: 'dev',
  url,
  authProvider: 'serviceAccount',
  serviceAccountToken: token,
  skipTLSVerify: true,
  mode: 'manage',
  ...extra,
});

const read = (cluster: Record<string, unknown>) =>
  readFusionInferClusters(
    new ConfigReader({
      fusioninfer: { clusters: [{ name: 'a', url: 'https://x', ...cluster }] },
    }),
  )[0];

describe('fusioninfer.clusters[].writeAs and impersonation', () => {
  it('defaults to the plugin and reads user mode with templates', () => {
    expect(read({}).writeAs).toBe('plugin');
    expect(read({}).impersonation).toBeUndefined();
    expect(
      read({
        writeAs: 'user',
        impersonation: {
          userTemplate: 'oidc:{{name}}@example.com',
          groupTemplate: '{{ namespace }}:{{name}}',
        },
      }),
    ).toMatchObject({
      writeAs: 'user',
      impersonation: {
        userTemplate: 'oidc:{{name}}@example.com',
        groupTemplate: '{{ namespace }}:{{name}}',
      },
    });
  });

  it.each([
    [
      { writeAs: 'admin' },
      /clusters\[0\]\.writeAs: must be "plugin" or "user" \(got "admin"\)/,
    ],
    [
      { writeAs: 'user', mode: 'observe' },
      /clusters\[0\]\.writeAs: "user" needs mode: manage/,
    ],
    [
      { impersonation: { userTemplate: '{{login}}' } },
      /clusters\[0\]\.impersonation\.userTemplate: "\{\{login\}\}" unknown placeholder \{\{login\}\}/,
    ],
    [
      { impersonation: { groupTemplate: 'everyone' } },
      /clusters\[0\]\.impersonation\.groupTemplate: "everyone" must contain \{\{name\}\}/,
    ],
    [
      { impersonation: { groupTemplate: 'system:{{name}}' } },
      /clusters\[0\]\.impersonation\.groupTemplate: .* must not produce "system:" names/,
    ],
    [
      { impersonation: { userTemplate: '{{name}}, admin' } },
      /clusters\[0\]\.impersonation\.userTemplate: .* printable ASCII characters only, without blanks or commas/,
    ],
    [
      { impersonation: { userTemplate: '{{name}' } },
      /clusters\[0\]\.impersonation\.userTemplate: .* (must contain \{\{name\}\}|unclosed placeholder)/,
    ],
    [
      { impersonation: { userTemplat: '{{name}}' } },
      /clusters\[0\]\.impersonation\.userTemplat: unknown key/,
    ],
  ])('rejects %j naming the key and the rule', (cluster, message) => {
    expect(() => read(cluster)).toThrow(message);
  });

  it('maps a Backstage user and its groups to a Kubernetes identity', () => {
    const refs = [
      'user:default/alice',
      'group:default/team-a',
      'group:ops/oncall',
      'group:default/team-a',
      'component:default/x',
    ];
    const plain = new ClusterClient(config('https://x', 't'));
    expect(plain.identityOf('user:default/alice', refs)).toEqual({
      user: 'alice',
      groups: ['team-a', 'oncall', 'system:authenticated'],
    });
    const templated = new ClusterClient(
      config('https://x', 't', {
        writeAs: 'user',
        impersonation: {
          userTemplate: 'backstage:{{namespace}}:{{name}}',
          groupTemplate: 'bs-{{namespace}}-{{name}}',
        },
      }),
    );
    expect(templated.identityOf('user:default/alice', refs)).toEqual({
      user: 'backstage:default:alice',
      groups: ['bs-default-team-a', 'bs-ops-oncall', 'system:authenticated'],
    });
    expect(() => plain.identityOf('component:default/x', refs)).toThrow(
      /only a user .* has a Kubernetes identity/,
    );
  });

  it('refuses identities that cannot travel in a header, and reuses clients per identity', () => {
    const c = new ClusterClient(config('https://x', 't'));
    expect(() => c.as({ user: '', groups: [] })).toThrow(
      /cannot impersonate user ""/,
    );
    expect(() => c.as({ user: 'a\nb', groups: [] })).toThrow(
      /cannot impersonate user/,
    );
    expect(() => c.as({ user: 'a', groups: ['ok', ' x'] })).toThrow(
      /cannot impersonate group " x"/,
    );
    const a = c.as({ user: 'alice', groups: ['g', 'g'] });
    expect(a.impersonating).toEqual({ user: 'alice', groups: ['g'] });
    expect(c.as({ user: 'alice', groups: ['g'] })).toBe(a);
    expect(a.as({ user: 'bob', groups: [] }).impersonating).toEqual({
      user: 'bob',
      groups: [],
    });
    expect(c.impersonating).toBeUndefined();
  });
});

describe('ClusterClient.as sends one Impersonate-Group line per group', () => {
  let server: http.Server;
  let url: string;
  const seen: Array<{
    path: string;
    user?: string[];
    groups?: string[];
    auth?: string;
  }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({
        path: req.url ?? '',
        user: req.headersDistinct['impersonate-user'],
        groups: req.headersDistinct['impersonate-group'],
        auth: req.headers.authorization,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/apis/fusioninfer.io/v1alpha1/namespaces/'))
        res.end(
          JSON.stringify(minimalInferenceService('x', { namespace: 'team-a' })),
        );
      else if (req.url === '/apis/fusioninfer.io/v1alpha1')
        res.end(
          JSON.stringify({
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: 'fusioninfer.io/v1alpha1',
            resources: [
              {
                name: 'inferenceservices',
                namespaced: true,
                kind: 'InferenceService',
                verbs: ['get', 'patch'],
              },
            ],
          }),
        );
      else res.end('{}');
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('on object API calls, raw requests and API clients of its kubeConfig; never on the plugin client', async () => {
    const plugin = new ClusterClient(config(url, 'backend-token'));
    const alice = plugin.as({
      user: 'alice',
      groups: ['team-a', 'team,b', 'system:authenticated'],
    });
    seen.length = 0;
    await alice.apply(minimalInferenceService('x', { namespace: 'team-a' }));
    await alice.get(KINDS.InferenceService, 'team-a', 'x');
    await alice.request('GET', '/version');
    await alice.kubeConfig
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} as any })
      .catch(() => undefined);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const s of seen)
      expect(s).toMatchObject({
        user: ['alice'],
        groups: ['team-a', 'team,b', 'system:authenticated'],
        auth: 'Bearer backend-token',
      });
    seen.length = 0;
    await plugin.get(KINDS.InferenceService, 'team-a', 'x');
    await plugin.request('GET', '/version');
    expect(seen.length).toBeGreaterThanOrEqual(2); // and its own discovery
    for (const s of seen) {
      expect(s.user).toBeUndefined();
      expect(s.groups).toBeUndefined();
    }
  });
});

describe('ClusterClient.as against a development cluster with RBAC', () => {
  let dev: DevCluster;
  let admin: ClusterClient;
  let plugin: ClusterClient;
  const create = (obj: any) => {
    const t = dev.api.typeForObject(obj);
    if (!t) throw new Error(`no type for ${obj.apiVersion} ${obj.kind}`);
    return dev.api.create(t, obj.metadata.namespace, obj);
  };
  const rbac = 'rbac.authorization.k8s.io';
  beforeAll(async () => {
    dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-a', 'team-b'],
      tokens: ['admin-token'],
      users: [
        { token: 'backend-token', name: 'fusioninfer-backend' },
        { token: 'nobody-token', name: 'nobody' },
      ],
    });
    admin = new ClusterClient(config(dev.url, 'admin-token'));
    plugin = new ClusterClient(config(dev.url, 'backend-token'));
    // The plugin's identity: reads everywhere and impersonation, no writes of its own.
    create({
      apiVersion: `${rbac}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'fusioninfer-impersonator' },
      rules: [
        {
          apiGroups: [''],
          resources: ['users', 'groups'],
          verbs: ['impersonate'],
        },
        {
          apiGroups: ['fusioninfer.io'],
          resources: ['inferenceservices'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    create({
      apiVersion: `${rbac}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'fusioninfer-impersonator' },
      roleRef: {
        apiGroup: rbac,
        kind: 'ClusterRole',
        name: 'fusioninfer-impersonator',
      },
      subjects: [{ kind: 'User', apiGroup: rbac, name: 'fusioninfer-backend' }],
    });
    // Group team-a may write InferenceServices in namespace team-a only.
    create({
      apiVersion: `${rbac}/v1`,
      kind: 'Role',
      metadata: { name: 'isvc-writer', namespace: 'team-a' },
      rules: [
        {
          apiGroups: ['fusioninfer.io'],
          resources: ['inferenceservices'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
        },
      ],
    });
    create({
      apiVersion: `${rbac}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'team-a-writes', namespace: 'team-a' },
      roleRef: { apiGroup: rbac, kind: 'Role', name: 'isvc-writer' },
      subjects: [{ kind: 'Group', apiGroup: rbac, name: 'team-a' }],
    });
  });
  afterAll(() => dev?.close());

  const alice = () =>
    plugin.as({ user: 'alice', groups: ['team-a', 'system:authenticated'] });

  it('writes where the user may and gets 403 naming the user where she may not', async () => {
    // The plugin itself may not write: what succeeds below is alice's right.
    await expect(
      plugin.apply(minimalInferenceService('own', { namespace: 'team-a' })),
    ).rejects.toMatchObject({ code: 403 });

    const created = await alice().apply<any>(
      minimalInferenceService('svc', { namespace: 'team-a' }),
    );
    expect(created.metadata.uid).toBeDefined();
    const patched = await alice().mergePatch<any>(
      KINDS.InferenceService,
      'team-a',
      'svc',
      { spec: { roles: [{ ...created.spec.roles[0], replicas: 2 }] } },
    );
    expect(patched.spec.roles[0].replicas).toBe(2);
    expect(
      (await alice().get<any>(KINDS.InferenceService, 'team-a', 'svc'))?.spec
        .roles[0].replicas,
    ).toBe(2);

    const refused = await alice()
      .apply(minimalInferenceService('svc', { namespace: 'team-b' }))
      .catch(e => e);
    expect(refused).toBeInstanceOf(ClusterApiError);
    expect(refused.code).toBe(403);
    expect(refused.message).toMatch(/User "alice" cannot/);
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'svc'),
    ).toBeUndefined();
    // The same user without the group has no right in team-a either.
    await expect(
      plugin
        .as({ user: 'alice', groups: ['system:authenticated'] })
        .mergePatch(KINDS.InferenceService, 'team-a', 'svc', {
          metadata: { labels: { x: 'y' } },
        }),
    ).rejects.toMatchObject({ code: 403 });
    // Raw requests and informers carry the identity too.
    const list = await alice().request(
      'GET',
      '/apis/fusioninfer.io/v1alpha1/namespaces/team-b/inferenceservices',
    );
    expect(list.status).toBe(403);
    expect(JSON.parse(list.body).message).toMatch(/User "alice" cannot list/);

    expect(
      await alice().delete(KINDS.InferenceService, 'team-a', 'svc', {
        uid: created.metadata.uid,
      }),
    ).toBe(true);
  });

  it('is who the cluster says (SelfSubjectReview), by raw request and by API client', async () => {
    const review = await alice().request(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        },
      },
    );
    expect(review.status).toBe(201);
    expect(JSON.parse(review.body).status.userInfo).toEqual({
      username: 'alice',
      groups: ['team-a', 'system:authenticated'],
    });
    const typed = await alice()
      .kubeConfig.makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        },
      });
    expect(typed.status?.userInfo?.username).toBe('alice');
    const self = await plugin.request(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        },
      },
    );
    expect(JSON.parse(self.body).status.userInfo.username).toBe(
      'fusioninfer-backend',
    );
  });

  it('needs the impersonate verb: an identity without it is refused', async () => {
    const err = await new ClusterClient(config(dev.url, 'nobody-token'))
      .as({ user: 'alice', groups: ['team-a'] })
      .apply(minimalInferenceService('svc2', { namespace: 'team-a' }))
      .catch(e => e);
    expect(err).toBeInstanceOf(ClusterApiError);
    expect(err.code).toBe(403);
    expect(err.message).toMatch(/cannot impersonate/);
  });
});
