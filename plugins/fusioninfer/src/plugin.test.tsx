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

import { screen } from '@testing-library/react';
import { getComponentData } from '@backstage/core-plugin-api';
import {
  createExtensionTester,
  renderInTestApp as renderNfs,
  TestApiProvider as NfsTestApiProvider,
} from '@backstage/frontend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  BASE,
  entity,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from './__testUtils__';
import {
  EntityFusionInferCard,
  EntityFusionInferContent,
  FusionInferApprovalsPage,
  FusionInferPreviewFieldExtension,
  fusioninferPlugin,
  isFusionInferAvailable,
} from './index';
import alphaPlugin, {
  fusioninferEntityContent,
  fusioninferApprovalsPage,
} from './alpha';
import { createFusionInferClient } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from './api';
import { InferenceContent } from './components/InferenceContent/InferenceContent';
import { Route, Routes } from 'react-router-dom';

const server = setupMsw();
const SVC = `${BASE}/clusters/dev/namespaces/demo/services/qwen-multi-node`;

beforeEach(() => {
  server.use(
    http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
      HttpResponse.json(fixture('entity-services-qwen')),
    ),
    http.get(`${SVC}/children`, () =>
      HttpResponse.json(fixture('children-qwen')),
    ),
    http.get(`${SVC}/metrics`, () =>
      HttpResponse.json(fixture('metrics-qwen')),
    ),
    http.get(`${BASE}/approvals`, () =>
      HttpResponse.json(fixture('approvals-pending')),
    ),
  );
});

const qwen = entity('qwen', 'dev/demo/qwen-multi-node');

describe('legacy exports', () => {
  it('plugin id and availability filter', () => {
    expect(fusioninferPlugin.getId()).toBe('fusioninfer');
    expect(isFusionInferAvailable(qwen)).toBe(true);
    expect(isFusionInferAvailable(entity('plain'))).toBe(false);
    expect(
      isFusionInferAvailable({
        ...entity('gen'),
        spec: { type: 'model-service' },
      }),
    ).toBe(true);
  });

  it('EntityFusionInferContent renders the Inference tab', async () => {
    await renderWithApis(
      <Routes>
        <Route path="/*" element={<EntityFusionInferContent />} />
      </Routes>,
      { entity: qwen },
    );
    expect(
      await screen.findByRole('heading', {
        name: 'dev / demo / qwen-multi-node',
      }),
    ).toBeInTheDocument();
  });

  it('EntityFusionInferCard renders the overview card', async () => {
    await renderWithApis(<EntityFusionInferCard />, { entity: qwen });
    expect(
      await screen.findByRole('table', { name: 'Inference services' }),
    ).toBeInTheDocument();
  });

  it('FusionInferApprovalsPage renders the page with its header', async () => {
    await renderWithApis(
      <Routes>
        <Route path="/*" element={<FusionInferApprovalsPage />} />
      </Routes>,
    );
    expect(await screen.findByText('Inference approvals')).toBeInTheDocument();
    expect(
      await screen.findByRole('button', { name: /Open request/ }),
    ).toBeInTheDocument();
  });

  it('FusionInferPreviewFieldExtension is a scaffolder field named FusionInferPreview', () => {
    // The scaffolder finds field extensions by this component data key.
    const data = getComponentData<{ name: string }>(
      <FusionInferPreviewFieldExtension />,
      'scaffolder.extensions.field.v1',
    );
    expect(data?.name).toBe('FusionInferPreview');
  });
});

describe('new frontend system', () => {
  it('is the fusioninfer plugin with its extensions', () => {
    expect(alphaPlugin.id).toBe('fusioninfer');
  });

  it('the Inference tab is titled Inference at /inference and shown only for entities with services', () => {
    const tester = createExtensionTester(fusioninferEntityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/inference');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Inference');
    const filter = tester.get(
      EntityContentBlueprint.dataRefs.filterFunction,
    ) as unknown as ((e: Entity) => boolean) | undefined;
    expect(filter?.(qwen)).toBe(true);
    expect(filter?.(entity('plain'))).toBe(false);
  });

  it('the approvals page mounts at /fusioninfer', () => {
    const tester = createExtensionTester(fusioninferApprovalsPage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/fusioninfer');
  });

  it('renders the Inference tab content in a new-system test app', async () => {
    const client = createFusionInferClient({
      discoveryApi: { getBaseUrl: async () => BASE },
      fetchApi: { fetch: (i, init) => fetch(i, init) },
    });
    renderNfs(
      <NfsTestApiProvider apis={[[fusioninferApiRef, client]]}>
        <EntityProvider entity={qwen}>
          <InferenceContent />
        </EntityProvider>
      </NfsTestApiProvider>,
    );
    expect(
      await screen.findByRole('heading', {
        name: 'dev / demo / qwen-multi-node',
      }),
    ).toBeInTheDocument();
  });
});
