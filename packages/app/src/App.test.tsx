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

import { act, fireEvent, render, waitFor } from '@testing-library/react';
import { http, HttpResponse, ws } from 'msw';
import { setupServer } from 'msw/node';
// The test runs in Node (jest) and reads the real app-config.yaml, so that it renders the app as configured.
// eslint-disable-next-line no-restricted-imports
import fs from 'fs';
// eslint-disable-next-line no-restricted-imports
import path from 'path';
import { parse } from 'yaml';
import App from './App';
import { SIGN_IN_STORAGE_KEY } from './modules/signIn/DemoSignInPage';

/*
 * Boots the real app (every feature of App.tsx) against a mocked backend, signs in and opens pages behind the
 * sign-in. Any uncaught error, any React error (React reports them with console.error) and any console.error at
 * all fails the test, which is how the "No API factory available for dependency apiRef{plugin.signal.service}"
 * crash of every page after sign-in would have been caught.
 */

const backend = 'http://localhost:7007';
// The app section of the real app-config.yaml (title, extensions such as the catalog at /).
const appConfig = parse(
  fs.readFileSync(path.resolve(__dirname, '../../../app-config.yaml'), 'utf8'),
).app;

const entity = (
  kind: string,
  name: string,
  spec: { owner?: string; [k: string]: unknown },
  extra = {},
) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: {
    name,
    namespace: 'default',
    uid: `${kind}-${name}`,
    etag: 'e',
    ...extra,
  },
  spec,
  relations: spec.owner ? [{ type: 'ownedBy', targetRef: spec.owner }] : [],
});

const entities = [
  entity(
    'Component',
    'qwen-inference.demo.dev',
    {
      type: 'model-service',
      lifecycle: 'production',
      owner: 'group:default/llm-apps',
    },
    {
      title: 'qwen-inference (dev/demo)',
      description: 'FusionInfer InferenceService',
    },
  ),
  entity('User', 'guest', { memberOf: ['llm-apps'] }),
  entity('Group', 'llm-apps', { type: 'team', children: [] }),
];

const identity = (provider: string) => ({
  providerInfo: {},
  profile: { displayName: provider },
  backstageIdentity: {
    // header.payload.signature with a payload the frontend can read (sub, ent, exp)
    token: `e30.${Buffer.from(
      JSON.stringify({
        sub: `user:default/${provider}`,
        ent: [`user:default/${provider}`],
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
    ).toString('base64url')}.sig`,
    identity: {
      type: 'user',
      userEntityRef: `user:default/${provider}`,
      ownershipEntityRefs: [
        `user:default/${provider}`,
        provider === 'guest'
          ? 'group:default/llm-apps'
          : 'group:default/ml-platform',
      ],
    },
  },
});

const server = setupServer(
  http.get(`${backend}/api/auth/:provider/refresh`, ({ params }) =>
    HttpResponse.json(identity(String(params.provider))),
  ),
  http.get(`${backend}/api/catalog/entities/by-query`, () =>
    HttpResponse.json({
      items: entities.filter(e => e.kind === 'Component'),
      totalItems: 1,
      pageInfo: {},
    }),
  ),
  http.get(`${backend}/api/catalog/entity-facets`, ({ request }) => {
    const facets = new URL(request.url).searchParams.getAll('facet');
    return HttpResponse.json({
      facets: Object.fromEntries(
        facets.map(f => [
          f,
          f === 'kind' ? [{ value: 'Component', count: 1 }] : [],
        ]),
      ),
    });
  }),
  http.post(`${backend}/api/catalog/entities/by-refs`, async ({ request }) => {
    const body = (await request.json()) as { entityRefs: string[] };
    return HttpResponse.json({
      items: body.entityRefs.map(
        ref =>
          entities.find(
            e =>
              `${e.kind}:${e.metadata.namespace}/${e.metadata.name}`.toLocaleLowerCase(
                'en-US',
              ) === ref,
          ) ?? null,
      ),
    });
  }),
  http.get(
    `${backend}/api/catalog/entities/by-name/:kind/:ns/:name`,
    ({ params }) => {
      const found = entities.find(
        e =>
          e.kind.toLocaleLowerCase('en-US') === params.kind &&
          e.metadata.name === params.name,
      );
      return found
        ? HttpResponse.json(found)
        : HttpResponse.json(
            { error: { name: 'NotFoundError' } },
            { status: 404 },
          );
    },
  ),
  http.get(`${backend}/api/catalog/entities`, () =>
    HttpResponse.json(entities.filter(e => e.kind === 'Component')),
  ),
  http.post(`${backend}/api/permission/authorize`, async ({ request }) => {
    const body = (await request.json()) as { items: { id: string }[] };
    return HttpResponse.json({
      items: body.items.map(i => ({ id: i.id, result: 'ALLOW' })),
    });
  }),
  http.get(`${backend}/api/user-settings/buckets/:bucket/keys/:key`, () =>
    HttpResponse.json({ error: { name: 'NotFoundError' } }, { status: 404 }),
  ),
  http.post(`${backend}/api/user-settings/multiget`, async ({ request }) => {
    const body = (await request.json()) as { items: unknown[] };
    return HttpResponse.json({ items: body.items.map(() => null) });
  }),
  // The signals channel: accept the connection, push nothing.
  ws
    .link('ws://localhost:7007/api/signals')
    .addEventListener('connection', () => {}),
  http.get(`${backend}/api/notifications/*`, () =>
    HttpResponse.json({ notifications: [], totalCount: 0, unread: 0, read: 0 }),
  ),
);

describe('App', () => {
  let errors: string[];
  const onError = (e: ErrorEvent) => errors.push(`uncaught: ${e.message}`);
  const onRejection = (e: PromiseRejectionEvent) =>
    errors.push(`unhandled rejection: ${e.reason}`);

  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  beforeEach(() => {
    errors = [];
    window.localStorage.clear();
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      const text = args.map(String).join(' ');
      // React's development-only warnings (findDOMNode in MUI v4 transitions, act()) are not errors: the
      // production bundle has none of them. Everything else logged as an error fails the test.
      if (/^Warning: /.test(text)) return;
      errors.push(`console.error: ${text}`);
    });
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { ...appConfig, baseUrl: 'http://localhost:3000' },
            backend: { baseUrl: backend },
            auth: { providers: { guest: {}, approver: {} } },
          },
          context: 'test',
        },
      ] as any,
    };
  });
  afterEach(() => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    server.resetHandlers();
    jest.restoreAllMocks();
  });

  async function boot() {
    return render(App.createRoot());
  }

  it('offers both demo identities on the sign-in page', async () => {
    const rendered = await boot();
    expect(
      await rendered.findByRole(
        'button',
        { name: 'Sign in as Guest' },
        { timeout: 15000 },
      ),
    ).toBeInTheDocument();
    expect(
      rendered.getByRole('button', { name: 'Sign in as Approver' }),
    ).toBeInTheDocument();
    expect(rendered.baseElement.textContent).toContain('FusionInfer Portal');
    expect(rendered.baseElement.textContent).toContain('user:default/approver');
    // Each card says the team, where it deploys and its GPU quota (fusioninfer.projects in app-config.yaml).
    expect(
      rendered.getByText(
        'Team llm-apps · deploys to dev: llm-apps, default, demo · 96 GPUs',
      ),
    ).toBeInTheDocument();
    expect(
      rendered.getByText(
        'Team ml-platform · approves requests · dev: ml-platform, ml-*, demo · 128 GPUs',
      ),
    ).toBeInTheDocument();
    expect(errors).toEqual([]);
  }, 30000);

  it('signs in as the guest and shows the catalog without any page or React error', async () => {
    const rendered = await boot();
    const button = await rendered.findByRole(
      'button',
      { name: 'Sign in as Guest' },
      { timeout: 15000 },
    );
    await act(async () => {
      fireEvent.click(button);
    });
    // The catalog page is the root route (app-config: page:catalog path /); it lists the model service. An error
    // on the way (such as a missing API factory) is reported as the failure.
    await waitFor(
      () => {
        expect(errors).toEqual([]);
        expect(
          rendered.getByText('qwen-inference (dev/demo)'),
        ).toBeInTheDocument();
      },
      { timeout: 20000 },
    );
    expect(window.localStorage.getItem(SIGN_IN_STORAGE_KEY)).toBe('guest');
    // Let the starred-entities and user-settings hooks (the ones that crashed) settle.
    await waitFor(() =>
      expect(rendered.getAllByText(/Owned|Starred/).length).toBeGreaterThan(0),
    );
    await new Promise(r => setTimeout(r, 500));
    expect(errors).toEqual([]);
  }, 40000);
});
