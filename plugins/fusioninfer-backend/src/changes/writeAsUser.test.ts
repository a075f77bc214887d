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
 * `fusioninfer.clusters[].writeAs: user`: the writer applies as the user through Kubernetes impersonation, so the
 * cluster's RBAC decides as well as the backend's policy. REST against the real plugin and a development cluster
 * whose backend identity may only read and impersonate: every write that succeeds is the user's right.
 */

import request from 'supertest';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  minimalInferenceService,
} from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
  TestPolicy,
} from '@fusioninfer/test-utils/backend';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';
import {
  BOB,
  CAROL,
  MALLORY,
  MEMBERS,
  userEntity,
} from '../__testUtils__/governance';

const API = '/api/fusioninfer';
const RBAC = 'rbac.authorization.k8s.io';

/** The backend's policy allows every change (only approvers decide): what is refused below, the cluster refused. */
const allowAllPolicy: TestPolicy = {
  authorize: ({ permission, user }) =>
    permission !== 'fusioninfer.approval.decide' || user === CAROL,
};

const svc = (name: string, namespace: string, gpus = 0) => {
  const m = minimalInferenceService(name, { namespace }) as any;
  if (gpus)
    m.spec.roles[0].template.spec.containers[0].resources = {
      limits: { 'nvidia.com/gpu': String(gpus) },
    };
  return m;
};

/** The backend as `fusioninfer-backend`; `writeAs` of its cluster entry, `fusioninfer.*` keys in `config`. */
async function start(
  dev: DevCluster,
  options: { writeAs?: 'user'; config?: Record<string, unknown> } = {},
) {
  const { server } = await startFusionInferTestBackend({
    plugin: fusioninferPlugin,
    cluster: dev,
    clusterConfig: {
      serviceAccountToken: 'backend-token',
      ...(options.writeAs ? { writeAs: options.writeAs } : {}),
    },
    config: options.config,
    permissions: allowAllPolicy,
    teams: MEMBERS,
    entities: [userEntity('bob'), userEntity('mallory'), userEntity('carol')],
  });
  return server;
}

describe('writeAs: user (Kubernetes impersonation)', () => {
  let dev: DevCluster;
  let admin: ClusterClient;
  const create = (obj: any) => {
    const t = dev.api.typeForObject(obj);
    if (!t) throw new Error(`no type for ${obj.apiVersion} ${obj.kind}`);
    return dev.api.create(t, obj.metadata.namespace, obj);
  };
  beforeAll(async () => {
    dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-b', 'team-m'],
      tokens: ['dev-token'],
      users: [{ token: 'backend-token', name: 'fusioninfer-backend' }],
    });
    admin = new ClusterClient(devClusterConfig(dev.url));
    // The backend's identity reads everything and impersonates users and groups; it writes nothing itself.
    create({
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'fusioninfer-backend' },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
        {
          apiGroups: [''],
          resources: ['users', 'groups'],
          verbs: ['impersonate'],
        },
      ],
    });
    create({
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'fusioninfer-backend' },
      roleRef: {
        apiGroup: RBAC,
        kind: 'ClusterRole',
        name: 'fusioninfer-backend',
      },
      subjects: [{ kind: 'User', apiGroup: RBAC, name: 'fusioninfer-backend' }],
    });
    // Kubernetes group team-b (Backstage group:default/team-b) may do anything in namespace team-b; team-m nothing.
    create({
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata: { name: 'everything', namespace: 'team-b' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    create({
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'team-b', namespace: 'team-b' },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'everything' },
      subjects: [{ kind: 'Group', apiGroup: RBAC, name: 'team-b' }],
    });
  });
  afterAll(() => dev?.close());

  it('applies, scales and deletes as the user: allowed where RBAC grants it, 403 naming the user where not', async () => {
    const server = await start(dev, { writeAs: 'user' });
    const apply = (who: string, namespace: string, name: string, more = {}) =>
      request(server)
        .post(`${API}/apply`)
        .set(as(who))
        .send({
          cluster: 'dev',
          namespace,
          manifest: svc(name, namespace),
          ...more,
        });

    // The policy allows Mallory's service (the dry run says so); the cluster refuses it, as user mallory.
    const dry = await apply(MALLORY, 'team-m', 'm1', { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.policy.allowed).toBe(true);
    const refused = await apply(MALLORY, 'team-m', 'm1');
    expect(refused.status).toBe(403);
    expect(refused.body.error.name).toBe('NotAllowedError');
    expect(refused.body.error.message).toMatch(
      /refused by cluster dev for Kubernetes user "mallory" \(groups team-m, system:authenticated; writeAs: user\): .*User "mallory" cannot patch resource "inferenceservices"/,
    );
    expect(
      await admin.get(KINDS.InferenceService, 'team-m', 'm1'),
    ).toBeUndefined();

    // Bob's team may write in team-b: the service and its children are applied as bob.
    const created = await apply(BOB, 'team-b', 'b1', { children: true });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ outcome: 'applied', created: true });
    expect(created.body.children.length).toBeGreaterThan(0);
    const live = await admin.get<any>(KINDS.InferenceService, 'team-b', 'b1');
    expect(live.metadata.uid).toBe(created.body.service.uid);
    for (const c of created.body.children) {
      const kind = Object.values(KINDS).find(
        k => k.kind === c.kind && k.apiVersion === c.apiVersion,
      )!;
      expect(await admin.get(kind, 'team-b', c.name)).toBeDefined();
    }
    // ...but not in team-m, although the policy would allow it.
    const elsewhere = await apply(BOB, 'team-m', 'b2');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toMatch(/Kubernetes user "bob"/);

    const url = `${API}/clusters/dev/namespaces/team-b/services/b1`;
    const scaled = await request(server)
      .post(`${url}/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 2 });
    expect(scaled.status).toBe(200);
    // Mallory's scale of Bob's service passes the (allow-all) policy and is refused by the cluster.
    const theirs = await request(server)
      .post(`${url}/scale`)
      .set(as(MALLORY))
      .send({ role: 'inference', replicas: 3 });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.message).toMatch(/Kubernetes user "mallory"/);
    const malloryDelete = await request(server).delete(url).set(as(MALLORY));
    expect(malloryDelete.status).toBe(403);
    expect(
      (await admin.get<any>(KINDS.InferenceService, 'team-b', 'b1')).spec
        .roles[0].replicas,
    ).toBe(2);

    expect((await request(server).delete(url).set(as(BOB))).status).toBe(202);
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'b1'),
    ).toBeUndefined();
  });

  it('executes an approved request as its requester (groups from the catalog), never as the approver', async () => {
    const server = await start(dev, {
      writeAs: 'user',
      config: { approvals: { maxGpusWithoutApproval: 0 } },
    });
    const hold = async (who: string, namespace: string, name: string) => {
      const res = await request(server)
        .post(`${API}/apply`)
        .set(as(who))
        .send({ cluster: 'dev', namespace, manifest: svc(name, namespace, 1) });
      expect(res.status).toBe(202);
      return res.body.approval.id as string;
    };
    const decide = (id: string) =>
      request(server)
        .post(`${API}/approvals/${id}/decision`)
        .set(as(CAROL))
        .send({ approve: true });

    const bobs = await decide(await hold(BOB, 'team-b', 'gpu-b'));
    expect(bobs.status).toBe(200);
    expect(bobs.body.execution.state).toBe('applied');
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'gpu-b'),
    ).toBeDefined();

    const mallorys = await decide(await hold(MALLORY, 'team-m', 'gpu-m'));
    expect(mallorys.body.execution).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/Kubernetes user "mallory"/),
    });
    expect(
      await admin.get(KINDS.InferenceService, 'team-m', 'gpu-m'),
    ).toBeUndefined();
  });

  it('writes with the plugin identity by default (writeAs: plugin), which this cluster does not let write', async () => {
    const server = await start(dev);
    const res = await request(server)
      .post(`${API}/apply`)
      .set(as(BOB))
      .send({
        cluster: 'dev',
        namespace: 'team-b',
        manifest: svc('p1', 'team-b'),
      });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/refused the backend's request/);
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'p1'),
    ).toBeUndefined();
  });
});
