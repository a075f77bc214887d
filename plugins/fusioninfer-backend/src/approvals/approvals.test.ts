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

import request from 'supertest';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import { fusioninferPlugin } from '../plugin';
import { approvalPermissionRules } from './rules';
import { loadExample } from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';

describe('approval routes', () => {
  let dev: DevCluster;
  beforeAll(async () => {
    dev = await startDevCluster({ simulate: false });
  });
  afterAll(() => dev.close());

  const start = () =>
    startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      config: {
        approvals: {
          maxGpusWithoutApproval: 8,
          namespaces: ['prod'],
          approvers: ['group:default/ml-platform'],
        },
      },
    });

  it('checks a manifest against the policy without storing anything', async () => {
    const { server } = await start();
    const big = await request(server)
      .post('/api/fusioninfer/approvals/check')
      .send({
        cluster: 'dev',
        namespace: 'llm',
        manifest: loadExample('pd-multi-node-deepseek-no-router.yaml'),
      });
    expect(big.status).toBe(200);
    expect(big.body.required).toBe(true);
    expect(big.body.reasons[0]).toMatch(
      /GPUs requested; more than 8 need approval/,
    );
    expect(big.body.summary.gpus).toBeGreaterThan(8);
    const small = await request(server)
      .post('/api/fusioninfer/approvals/check')
      .send({
        cluster: 'dev',
        namespace: 'llm',
        manifest: loadExample('monolithic-no-router.yaml'),
      });
    expect(small.body).toMatchObject({ required: false, reasons: [] });
    const prod = await request(server)
      .post('/api/fusioninfer/approvals/check')
      .send({
        cluster: 'dev',
        namespace: 'prod',
        manifest: loadExample('monolithic-no-router.yaml'),
      });
    expect(prod.body.reasons).toEqual(['namespace prod requires approval']);
    expect(
      (await request(server).get('/api/fusioninfer/approvals')).body.items,
    ).toEqual([]);
  });

  it('rejects bad input naming the field and the rule', async () => {
    const { server } = await start();
    const bad = await request(server)
      .post('/api/fusioninfer/approvals')
      .set(as('user:default/alice'))
      .send({
        cluster: 'dev',
        namespace: 'llm',
        manifest: {
          apiVersion: 'fusioninfer.io/v1alpha1',
          kind: 'InferenceService',
          metadata: { name: 'x' },
          spec: { roles: [{ name: 'w', componentType: 'gpu' }] },
        },
      });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /^manifest: spec\.roles\[0\]\.componentType/,
    );
    expect(
      (
        await request(server)
          .post('/api/fusioninfer/approvals')
          .set(as('user:default/alice'))
          .send({ cluster: 'nope', namespace: 'llm', manifest: {} })
      ).body.error.message,
    ).toMatch(/cluster: "nope" is not a configured cluster/);
    expect(
      (
        await request(server)
          .post('/api/fusioninfer/approvals')
          .set(as('user:default/alice'))
          .send([])
      ).status,
    ).toBe(400);
    expect(
      (await request(server).get('/api/fusioninfer/approvals?limit=0')).status,
    ).toBe(400);
    expect(
      (await request(server).get('/api/fusioninfer/approvals/not-an-id'))
        .status,
    ).toBe(400);
    expect(
      (await request(server).get('/api/fusioninfer/approvals?status=maybe'))
        .body.error.message,
    ).toMatch(/^status:/);
  });

  it('creates, lists, enforces four eyes, decides once, notifies approvers and the requester', async () => {
    const { server, notifications: sent } = await start();
    const created = await request(server)
      .post('/api/fusioninfer/approvals')
      .set(as('user:default/alice'))
      .send({
        cluster: 'dev',
        namespace: 'llm',
        manifest: loadExample('pd-multi-node-deepseek-no-router.yaml'),
        entityRef: 'component:default/deepseek',
        taskId: 'task-1',
      });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      action: 'create',
      cluster: 'dev',
      namespace: 'llm',
      requestedBy: 'user:default/alice',
      taskId: 'task-1',
    });
    expect(created.body.expiresAt).toBeDefined();
    expect(sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: ['group:default/ml-platform', 'component:default/deepseek'],
      excludeEntityRef: 'user:default/alice',
    });
    const id = created.body.id;
    const list = await request(server).get(
      '/api/fusioninfer/approvals?status=pending',
    );
    expect(list.body.items.map((i: any) => i.id)).toContain(id);
    expect(
      (await request(server).get(`/api/fusioninfer/approvals/${id}`)).body
        .manifest.kind,
    ).toBe('InferenceService');
    const self = await request(server)
      .post(`/api/fusioninfer/approvals/${id}/decision`)
      .set(as('user:default/alice'))
      .send({ approve: true });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/four eyes/);
    expect(
      (
        await request(server)
          .post(`/api/fusioninfer/approvals/${id}/decision`)
          .set(as('user:default/carol'))
          .send({})
      ).status,
    ).toBe(400);
    const ok = await request(server)
      .post(`/api/fusioninfer/approvals/${id}/decision`)
      .set(as('user:default/carol'))
      .send({ approve: true, comment: 'capacity is reserved' });
    expect(ok.body).toMatchObject({
      status: 'approved',
      decidedBy: 'user:default/carol',
      comment: 'capacity is reserved',
    });
    expect(sent[1]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'user:default/alice' },
      payload: { title: expect.stringMatching(/^Approved: create dev\/llm\//) },
    });
    const again = await request(server)
      .post(`/api/fusioninfer/approvals/${id}/decision`)
      .set(as('user:default/dave'))
      .send({ approve: false });
    expect(again.status).toBe(409);
    const other = await request(server)
      .post('/api/fusioninfer/approvals')
      .set(as('user:default/bob'))
      .send({
        cluster: 'dev',
        namespace: 'llm',
        manifest: loadExample('monolithic-no-router.yaml'),
      });
    expect(other.body.reasons).toEqual([
      'requested by user:default/bob (policy does not require approval)',
    ]);
    expect(
      (
        await request(server)
          .post(`/api/fusioninfer/approvals/${other.body.id}/cancel`)
          .set(as('user:default/alice'))
      ).status,
    ).toBe(403);
    expect(
      (
        await request(server)
          .post(`/api/fusioninfer/approvals/${other.body.id}/cancel`)
          .set(as('user:default/bob'))
      ).body.status,
    ).toBe('cancelled');
  });

  it('exposes permission rules that policies can use on approval requests', () => {
    const a: any = {
      requestedBy: 'user:default/alice',
      namespace: 'llm',
      cluster: 'dev',
    };
    expect(
      approvalPermissionRules.isRequester.apply(a, {
        claims: ['user:default/alice'],
      }),
    ).toBe(true);
    expect(
      approvalPermissionRules.hasNamespace.apply(a, { namespaces: ['prod'] }),
    ).toBe(false);
    expect(
      approvalPermissionRules.hasCluster.toQuery({ clusters: ['dev'] }),
    ).toEqual({ property: 'cluster', values: ['dev'] });
  });
});
