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

import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ConfigReader } from '@backstage/config';
import request from 'supertest';
import authPlugin from '@backstage/plugin-auth-backend';
import { authModuleDemoIdentities, readDemoIdentity } from './demoIdentities';

const org = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'ml-platform', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'approver', namespace: 'default' },
    spec: { memberOf: ['ml-platform'] },
    relations: [{ type: 'memberOf', targetRef: 'group:default/ml-platform' }],
  },
];

function decode(token: string) {
  return JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
  );
}

async function start(providers: object) {
  const { server } = await startTestBackend({
    features: [
      authPlugin,
      authModuleDemoIdentities,
      catalogServiceMock.factory({ entities: org }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { providers, session: { secret: 'test' } },
        },
      }),
    ],
  });
  return server;
}

describe('authModuleDemoIdentities', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  it('signs in as the configured catalog user with the ownership of its groups', async () => {
    process.env.NODE_ENV = 'development';
    const server = await start({ approver: {} });
    const res = await request(server)
      .get('/api/auth/approver/refresh')
      .set('X-Requested-With', 'XMLHttpRequest');
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity).toEqual({
      type: 'user',
      userEntityRef: 'user:default/approver',
      ownershipEntityRefs: expect.arrayContaining([
        'user:default/approver',
        'group:default/ml-platform',
      ]),
    });
    expect(decode(res.body.backstageIdentity.token).sub).toBe(
      'user:default/approver',
    );
  });

  it('issues the configured claims for a user the catalog does not know', async () => {
    process.env.NODE_ENV = 'development';
    const server = await start({
      approver: {
        userEntityRef: 'user:default/nobody',
        ownershipEntityRefs: ['user:default/nobody', 'group:default/x'],
      },
    });
    const res = await request(server)
      .get('/api/auth/approver/refresh')
      .set('X-Requested-With', 'XMLHttpRequest');
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity).toEqual({
      type: 'user',
      userEntityRef: 'user:default/nobody',
      ownershipEntityRefs: ['user:default/nobody', 'group:default/x'],
    });
  });

  it('refuses to sign anybody in outside development', async () => {
    process.env.NODE_ENV = 'production';
    const server = await start({ approver: {} });
    const res = await request(server)
      .get('/api/auth/approver/refresh')
      .set('X-Requested-With', 'XMLHttpRequest');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).toMatch(/development/);
  });

  it('registers nothing when the provider is not configured', async () => {
    process.env.NODE_ENV = 'development';
    const server = await start({});
    const res = await request(server)
      .get('/api/auth/approver/refresh')
      .set('X-Requested-With', 'XMLHttpRequest');
    expect(res.status).toBe(404);
  });

  it('names the field when userEntityRef is not a user reference', () => {
    expect(() =>
      readDemoIdentity(
        'approver',
        new ConfigReader({ userEntityRef: 'group:default/ml-platform' }),
      ),
    ).toThrow(/auth\.providers\.approver\.userEntityRef must be a user/);
    expect(
      readDemoIdentity('approver', new ConfigReader({})).userEntityRef,
    ).toBe('user:default/approver');
  });
});
