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

import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  V1PolicyRule,
} from '@kubernetes/client-node';
import { startDevCluster, DevCluster } from './cluster';
import { readTokenFile, serviceAccountUser } from './rbac';

const statusOf = (e: any): any => {
  const body = e?.body;
  return typeof body === 'string' ? JSON.parse(body) : body;
};
async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return { code: (e as any).code, ...statusOf(e) };
  }
  throw new Error('the request succeeded');
}
const kcOf = (text: string) => {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return kc;
};

describe('authentication and RBAC', () => {
  it('is open by default: any token, or none, is the admin', async () => {
    const dev = await startDevCluster({ simulate: false });
    try {
      const res = await fetch(
        `${dev.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'SelfSubjectReview',
          }),
        },
      );
      expect(res.status).toBe(201);
      expect((await res.json()).status.userInfo).toEqual({
        username: 'kubernetes-admin',
        groups: ['system:masters', 'system:authenticated'],
      });
    } finally {
      await dev.close();
    }
  });

  describe('with identities', () => {
    let dev: DevCluster;
    let admin: KubeConfig;
    let alice: KubeConfig;
    let runner: KubeConfig;
    beforeAll(async () => {
      dev = await startDevCluster({
        simulate: false,
        namespaces: ['ml', 'other'],
        tokens: ['admin-token'],
        users: [
          { token: 'alice-token', name: 'alice', groups: ['devs'] },
          { token: 'bob-token', name: 'bob' },
          serviceAccountUser('ml', 'runner', 'runner-token'),
        ],
      });
      admin = kcOf(dev.kubeconfig());
      alice = kcOf(dev.kubeconfig('alice'));
      runner = kcOf(dev.kubeconfig('system:serviceaccount:ml:runner'));
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace: 'ml',
        body: {
          metadata: { name: 'reader' },
          rules: [
            {
              apiGroups: [''],
              resources: ['pods', 'configmaps'],
              verbs: ['get', 'list', 'watch'],
            },
            {
              apiGroups: [''],
              resources: ['secrets'],
              resourceNames: ['allowed'],
              verbs: ['get'],
            },
            {
              apiGroups: ['fusioninfer.io'],
              resources: ['inferenceservices'],
              verbs: ['get', 'list', 'patch'],
            },
          ],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: 'ml',
        body: {
          metadata: { name: 'reader' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Role',
            name: 'reader',
          },
          subjects: [
            {
              kind: 'Group',
              apiGroup: 'rbac.authorization.k8s.io',
              name: 'devs',
            },
            { kind: 'ServiceAccount', name: 'runner', namespace: 'ml' },
          ],
        },
      });
      const core = admin.makeApiClient(CoreV1Api);
      for (const name of ['allowed', 'hidden'])
        await core.createNamespacedSecret({
          namespace: 'ml',
          body: { metadata: { name }, stringData: { k: 'v' } },
        });
    });
    afterAll(() => dev.close());

    it('honours impersonation (kubectl --as / --as-group): the admin acts as the user; others need the impersonate verb', async () => {
      const call = (
        token: string,
        p: string,
        headers: Record<string, string>,
      ) =>
        fetch(`${dev.url}${p}`, {
          method: p.includes('selfsubjectreviews') ? 'POST' : 'GET',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            ...headers,
          },
          body: p.includes('selfsubjectreviews')
            ? JSON.stringify({
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'SelfSubjectReview',
              })
            : undefined,
        });
      const who = await call(
        'admin-token',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        { 'Impersonate-User': 'alice', 'Impersonate-Group': 'devs' },
      );
      expect(who.status).toBe(201);
      expect((await who.json()).status.userInfo).toEqual({
        username: 'alice',
        groups: ['devs', 'system:authenticated'],
      });
      const asAlice = await call(
        'admin-token',
        '/api/v1/namespaces/other/pods',
        {
          'Impersonate-User': 'alice',
        },
      );
      expect(asAlice.status).toBe(403);
      expect((await asAlice.json()).message).toBe(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "other"',
      );
      const escalate = await call('alice-token', '/api/v1/namespaces/ml/pods', {
        'Impersonate-User': 'kubernetes-admin',
      });
      expect(escalate.status).toBe(403);
      expect((await escalate.json()).message).toBe(
        'users "kubernetes-admin" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      );
    });

    it('impersonating a ServiceAccount needs impersonate on serviceaccounts in its namespace, not on users', async () => {
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      const bind = async (
        kind: 'Role' | 'ClusterRole',
        name: string,
        rules: V1PolicyRule[],
        namespace?: string,
      ) => {
        const metadata = { name, ...(namespace ? { namespace } : {}) };
        const binding = {
          metadata,
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
          subjects: [
            {
              kind: 'User',
              apiGroup: 'rbac.authorization.k8s.io',
              name: 'bob',
            },
          ],
        };
        if (namespace) {
          await rbac.createNamespacedRole({
            namespace,
            body: { metadata, rules },
          });
          await rbac.createNamespacedRoleBinding({ namespace, body: binding });
        } else {
          await rbac.createClusterRole({ body: { metadata, rules } });
          await rbac.createClusterRoleBinding({ body: binding });
        }
      };
      const whoAs = (user: string, group?: string) =>
        fetch(`${dev.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer bob-token',
            'content-type': 'application/json',
            'Impersonate-User': user,
            ...(group ? { 'Impersonate-Group': group } : {}),
          },
          body: JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'SelfSubjectReview',
          }),
        });
      // a rule on users naming the ServiceAccount's user name is not enough
      await bind('ClusterRole', 'bob-impersonates-users', [
        {
          apiGroups: [''],
          resources: ['users'],
          verbs: ['impersonate'],
          resourceNames: [
            'system:serviceaccount:ml:runner',
            'system:serviceaccount:other:runner',
          ],
        },
      ]);
      const viaUsers = await whoAs('system:serviceaccount:ml:runner');
      expect(viaUsers.status).toBe(403);
      expect(await viaUsers.json()).toMatchObject({
        reason: 'Forbidden',
        message:
          'serviceaccounts "runner" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ml"',
        details: { name: 'runner', group: '', kind: 'serviceaccounts' },
      });
      // a rule on serviceaccounts in the ServiceAccount's namespace is
      await bind(
        'Role',
        'bob-impersonates-runner',
        [
          {
            apiGroups: [''],
            resources: ['serviceaccounts'],
            verbs: ['impersonate'],
            resourceNames: ['runner'],
          },
        ],
        'ml',
      );
      const allowed = await whoAs('system:serviceaccount:ml:runner');
      expect(allowed.status).toBe(201);
      expect((await allowed.json()).status.userInfo).toEqual({
        username: 'system:serviceaccount:ml:runner',
        groups: [
          'system:serviceaccounts',
          'system:serviceaccounts:ml',
          'system:authenticated',
        ],
      });
      // with groups given, they replace the ServiceAccount's groups (kube-apiserver's rule)
      await bind('ClusterRole', 'bob-impersonates-devs', [
        {
          apiGroups: [''],
          resources: ['groups'],
          verbs: ['impersonate'],
          resourceNames: ['devs'],
        },
      ]);
      const withGroup = await whoAs('system:serviceaccount:ml:runner', 'devs');
      expect(withGroup.status).toBe(201);
      expect((await withGroup.json()).status.userInfo.groups).toEqual([
        'devs',
        'system:authenticated',
      ]);
      // the same name in another namespace is another ServiceAccount
      const otherNs = await whoAs('system:serviceaccount:other:runner');
      expect(otherNs.status).toBe(403);
      expect((await otherNs.json()).message).toBe(
        'serviceaccounts "runner" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "other"',
      );
      // the impersonated ServiceAccount's own rights apply: the Role "reader" in ml is bound to it
      const asRunner = await fetch(`${dev.url}/api/v1/namespaces/ml/pods`, {
        headers: {
          authorization: 'Bearer bob-token',
          'Impersonate-User': 'system:serviceaccount:ml:runner',
        },
      });
      expect(asRunner.status).toBe(200);
      // a uid is impersonated on resource uids of authentication.k8s.io
      const uid = await fetch(`${dev.url}/api/v1/namespaces/ml/pods`, {
        headers: {
          authorization: 'Bearer bob-token',
          'Impersonate-User': 'system:serviceaccount:ml:runner',
          'Impersonate-Uid': 'u-1',
        },
      });
      expect(uid.status).toBe(403);
      expect((await uid.json()).message).toBe(
        'uids.authentication.k8s.io "u-1" is forbidden: User "bob" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
      );
    });

    it('refuses unknown tokens with 401', async () => {
      const res = await fetch(`${dev.url}/api/v1/namespaces`, {
        headers: { Authorization: 'Bearer nope' },
      });
      expect(res.status).toBe(401);
      expect((await fetch(`${dev.url}/api/v1/namespaces`)).status).toBe(401);
    });

    it('a namespace-scoped identity sees only its namespace, with the real 403 messages', async () => {
      const core = alice.makeApiClient(CoreV1Api);
      expect((await core.listNamespacedPod({ namespace: 'ml' })).items).toEqual(
        [],
      );
      const other = await failure(
        core.listNamespacedPod({ namespace: 'other' }),
      );
      expect(other.code).toBe(403);
      expect(other.reason).toBe('Forbidden');
      expect(other.message).toBe(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "other"',
      );
      expect(other.details).toEqual({ group: '', kind: 'pods' });
      expect((await failure(core.listPodForAllNamespaces())).message).toBe(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope',
      );
      expect((await failure(core.listNamespace())).code).toBe(403);
      expect(
        (
          await failure(
            core.createNamespacedConfigMap({
              namespace: 'ml',
              body: { metadata: { name: 'x' } },
            }),
          )
        ).message,
      ).toBe(
        'configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "ml"',
      );
      // the service account bound by subject kind ServiceAccount
      expect(
        (
          await runner
            .makeApiClient(CoreV1Api)
            .listNamespacedConfigMap({ namespace: 'ml' })
        ).items.length,
      ).toBeGreaterThanOrEqual(0);
      expect(
        (
          await failure(
            runner
              .makeApiClient(CoreV1Api)
              .listNamespacedPod({ namespace: 'other' }),
          )
        ).message,
      ).toContain('User "system:serviceaccount:ml:runner" cannot list');
    });

    it('evaluates resourceNames and subresources (pods/proxy, inferenceservices/status)', async () => {
      const core = alice.makeApiClient(CoreV1Api);
      expect(
        (await core.readNamespacedSecret({ name: 'allowed', namespace: 'ml' }))
          .metadata?.name,
      ).toBe('allowed');
      expect(
        (
          await failure(
            core.readNamespacedSecret({ name: 'hidden', namespace: 'ml' }),
          )
        ).message,
      ).toBe(
        'secrets "hidden" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "ml"',
      );
      expect(
        (await failure(core.listNamespacedSecret({ namespace: 'ml' }))).code,
      ).toBe(403);
      const proxy = await fetch(
        `${dev.url}/api/v1/namespaces/ml/pods/p:8000/proxy/metrics`,
        { headers: { Authorization: 'Bearer alice-token' } },
      );
      expect(proxy.status).toBe(403);
      expect((await proxy.json()).message).toBe(
        'pods "p" is forbidden: User "alice" cannot get resource "pods/proxy" in API group "" in the namespace "ml"',
      );
      const custom = admin.makeApiClient(CustomObjectsApi);
      await custom.createNamespacedCustomObject({
        group: 'fusioninfer.io',
        version: 'v1alpha1',
        namespace: 'ml',
        plural: 'inferenceservices',
        body: {
          apiVersion: 'fusioninfer.io/v1alpha1',
          kind: 'InferenceService',
          metadata: { name: 'svc' },
          spec: {
            roles: [
              {
                name: 'w',
                componentType: 'worker',
                template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
              },
            ],
          },
        },
      });
      const status = await fetch(
        `${dev.url}/apis/fusioninfer.io/v1alpha1/namespaces/ml/inferenceservices/svc/status`,
        {
          method: 'PATCH',
          headers: {
            Authorization: 'Bearer alice-token',
            'content-type': 'application/merge-patch+json',
          },
          body: JSON.stringify({ status: { phase: 'Running' } }),
        },
      );
      expect(status.status).toBe(403);
      expect((await status.json()).message).toBe(
        'inferenceservices.fusioninfer.io "svc" is forbidden: User "alice" cannot patch resource "inferenceservices/status" in API group "fusioninfer.io" in the namespace "ml"',
      );
      const main = await fetch(
        `${dev.url}/apis/fusioninfer.io/v1alpha1/namespaces/ml/inferenceservices/svc`,
        {
          method: 'PATCH',
          headers: {
            Authorization: 'Bearer alice-token',
            'content-type': 'application/merge-patch+json',
          },
          body: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
        },
      );
      expect(main.status).toBe(200);
    });

    it('a ClusterRoleBinding grants across namespaces; discovery stays open to every identity', async () => {
      const core = alice.makeApiClient(CoreV1Api);
      expect(
        (
          await fetch(`${dev.url}/api`, {
            headers: { Authorization: 'Bearer alice-token' },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await fetch(`${dev.url}/version`, {
            headers: { Authorization: 'Bearer alice-token' },
          })
        ).status,
      ).toBe(200);
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createClusterRole({
        body: {
          metadata: { name: 'ns-reader' },
          rules: [
            { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
          ],
        },
      });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name: 'alice-ns-reader' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'ns-reader',
          },
          subjects: [
            {
              kind: 'User',
              apiGroup: 'rbac.authorization.k8s.io',
              name: 'alice',
            },
          ],
        },
      });
      expect(
        (await core.listNamespace()).items.map(n => n.metadata?.name),
      ).toContain('ml');
      await rbac.deleteClusterRoleBinding({ name: 'alice-ns-reader' });
      expect((await failure(core.listNamespace())).code).toBe(403);
    });

    it('answers SelfSubjectAccessReview and SelfSubjectRulesReview for the caller', async () => {
      const authz = alice.makeApiClient(AuthorizationV1Api);
      const review = (
        verb: string,
        resource: string,
        namespace: string,
        extra = {},
      ) =>
        authz.createSelfSubjectAccessReview({
          body: {
            spec: {
              resourceAttributes: { verb, resource, namespace, ...extra },
            },
          },
        });
      expect((await review('list', 'pods', 'ml')).status?.allowed).toBe(true);
      expect((await review('list', 'pods', 'ml')).status?.reason).toBe(
        'RBAC: allowed by RoleBinding "reader" of Role "reader" in namespace "ml"',
      );
      expect((await review('list', 'pods', 'other')).status?.allowed).toBe(
        false,
      );
      expect(
        (await review('get', 'pods', 'ml', { subresource: 'proxy' })).status
          ?.allowed,
      ).toBe(false);
      expect(
        (await review('get', 'secrets', 'ml', { name: 'allowed' })).status
          ?.allowed,
      ).toBe(true);
      const rules = await authz.createSelfSubjectRulesReview({
        body: { spec: { namespace: 'ml' } },
      });
      expect(rules.status?.resourceRules).toContainEqual({
        verbs: ['get'],
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['allowed'],
      });
      expect(rules.status?.incomplete).toBe(false);
      const adminRules = await admin
        .makeApiClient(AuthorizationV1Api)
        .createSelfSubjectRulesReview({ body: { spec: { namespace: 'ml' } } });
      expect(adminRules.status?.resourceRules?.[0]).toEqual({
        verbs: ['*'],
        apiGroups: ['*'],
        resources: ['*'],
      });
    });
  });

  it('reads a kube-apiserver token file', () => {
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'tokens-')),
      'tokens.csv',
    );
    fs.writeFileSync(
      file,
      '# comment\nt1,alice,1001,"devs,ops"\nt2,system:serviceaccount:ml:runner\n',
    );
    expect(readTokenFile(file)).toEqual([
      { token: 't1', name: 'alice', uid: '1001', groups: ['devs', 'ops'] },
      {
        token: 't2',
        name: 'system:serviceaccount:ml:runner',
        uid: undefined,
        groups: [],
      },
    ]);
    fs.writeFileSync(file, 'only-a-token\n');
    expect(() => readTokenFile(file)).toThrow(
      'tokens.csv:1: a token file line is token,user[,uid[,"group1,group2"]]',
    );
  });
});
