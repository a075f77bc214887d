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
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { FusionInferBackendClient, fusioninferClientServiceRef } from '.';

// The service ref's wiring only: a stand-in `fusioninfer` plugin behind the test backend's real HTTP server,
// discovery and (mock) auth answers with who called; the client itself is tested in the common package.

const stubBackend = createBackendPlugin({
  pluginId: 'fusioninfer',
  register(env) {
    env.registerInit({
      deps: { http: coreServices.httpRouter, httpAuth: coreServices.httpAuth },
      async init({ http, httpAuth }) {
        // A plain handler (no express router needed): the scale route echoes its call, anything else is a 404.
        http.use((req, res, next) => {
          if (req.method !== 'POST') {
            // the backend's error handler answers 404 for this name, as for @backstage/errors' NotFoundError
            const notFound = new Error(
              `approval request ${req.path.split('/')[2]}`,
            );
            notFound.name = 'NotFoundError';
            next(notFound);
            return;
          }
          let raw = '';
          req.on('data', chunk => (raw += chunk));
          req.on('end', () =>
            httpAuth.credentials(req).then(
              ({ principal }) =>
                res.json({
                  path: req.path,
                  body: JSON.parse(raw),
                  principal,
                }),
              next,
            ),
          );
        });
      },
    });
  },
});

describe('fusioninferClientServiceRef', () => {
  async function clientOfAPlugin() {
    let client: FusionInferBackendClient | undefined;
    const caller = createBackendPlugin({
      pluginId: 'caller',
      register(env) {
        env.registerInit({
          deps: { fusioninfer: fusioninferClientServiceRef },
          async init({ fusioninfer }) {
            client = fusioninfer;
          },
        });
      },
    });
    const backend = await startTestBackend({ features: [stubBackend, caller] });
    return { client: client!, backend };
  }

  const svc = { cluster: 'dev', namespace: 'ml', name: 'qwen' };

  it('calls the backend plugin on behalf of the user, or as the calling plugin', async () => {
    const { client, backend } = await clientOfAPlugin();
    try {
      const asUser: any = await client.scale(
        svc,
        { role: 'worker', replicas: 2 },
        { credentials: mockCredentials.user('user:default/alice') },
      );
      expect(asUser).toEqual({
        path: '/clusters/dev/namespaces/ml/services/qwen/scale',
        body: { role: 'worker', replicas: 2 },
        principal: { type: 'user', userEntityRef: 'user:default/alice' },
      });
      const asPlugin: any = await client.scale(
        svc,
        { role: 'worker', replicas: 1 },
        { credentials: mockCredentials.service('plugin:caller') },
      );
      expect(asPlugin.principal).toEqual({
        type: 'service',
        subject: 'plugin:caller',
      });
    } finally {
      await backend.stop();
    }
  });

  it("throws the backend plugin's error as a ResponseError", async () => {
    const { client, backend } = await clientOfAPlugin();
    try {
      const e = await client
        .getApproval('0b9c', {
          credentials: mockCredentials.user('user:default/alice'),
        })
        .catch(x => x);
      expect(e.name).toBe('ResponseError');
      expect(e.statusCode).toBe(404);
      expect(e.body.error).toMatchObject({
        name: 'NotFoundError',
        message: 'approval request 0b9c',
      });
    } finally {
      await backend.stop();
    }
  });
});
