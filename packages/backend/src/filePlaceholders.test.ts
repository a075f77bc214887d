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
import request from 'supertest';
import { parse } from 'yaml';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { loadTemplate, REPO_ROOT, waitFor } from '@fusioninfer/test-utils';
import {
  catalogModuleFilePlaceholders,
  fileLocationRoots,
  filePlaceholderResolver,
} from './filePlaceholders';

// The real catalog (@backstage/plugin-catalog-backend) with the dev backend's catalog configuration: the locations
// and rules of app-config.yaml, file targets resolved from packages/backend as `npm start` resolves them.
const BACKEND_DIR = path.resolve(__dirname, '..');
function devCatalogConfig() {
  const { catalog } = parse(
    fs.readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
  );
  return {
    ...catalog,
    locations: catalog.locations.map((l: any) =>
      l.type === 'file'
        ? { ...l, target: path.resolve(BACKEND_DIR, l.target) }
        : l,
    ),
  };
}

/** Starts the catalog; `errors` collects the processing errors (the catalog logs them, the test shows them). */
async function startCatalog(features: any[]) {
  const errors: string[] = [];
  const errorCollector = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-errors',
    register(reg) {
      reg.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.setOnProcessingErrorHandler(({ unprocessedEntity, ...r }) => {
            for (const e of r.errors)
              errors.push(`${unprocessedEntity.metadata.name}: ${e.message}`);
          });
        },
      });
    },
  });
  const { server } = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      errorCollector,
      ...features,
      mockServices.rootConfig.factory({
        data: { catalog: devCatalogConfig() },
      }),
    ],
  });
  return { server, errors };
}

const TEMPLATES = ['deploy-llm', 'publish-gitops', 'decommission-model'];
// A backend start and the catalog's first processing round: about 3 s on the 2-core CI machine.
jest.setTimeout(60_000);

describe('the templates in the real catalog (file locations of app-config.yaml)', () => {
  it('serves them with the shared form pages in place, as loadTemplate() reads them', async () => {
    const { server, errors } = await startCatalog([
      catalogModuleFilePlaceholders,
    ]);
    // Until the three templates are in, or an entity fails processing (then the test says why at once).
    const found = await waitFor(
      async () => {
        if (errors.length) return { errors };
        const res = await request(server)
          .get('/api/catalog/entities/by-query?filter=kind=template')
          .set('Authorization', mockCredentials.user.header());
        return res.body.items?.length === TEMPLATES.length && res.body;
      },
      { timeoutMs: 50_000, intervalMs: 200, what: 'the three templates' },
    );
    expect(errors).toEqual([]);
    const templates = found.items;
    for (const name of TEMPLATES) {
      const expected = loadTemplate(name);
      const served = templates.find(
        (t: any) => t.metadata.name === expected.metadata.name,
      );
      // The same value, in the same key order, as the test helpers read.
      expect(JSON.stringify(served.spec)).toBe(JSON.stringify(expected.spec));
      expect(JSON.stringify(served.spec)).not.toContain('$yaml');
    }
    const deploy = templates.find(
      (t: any) => t.metadata.name === 'fusioninfer-deploy-llm',
    );
    expect(deploy.spec.parameters.map((p: any) => p.title)).toEqual([
      'Model',
      'Topology',
      'Routing',
      'Placement and ownership',
      'Review',
    ]);

    // templates/_shared/ holds no entities: nothing in the catalog comes from there.
    const all = await request(server)
      .get('/api/catalog/entities')
      .set('Authorization', mockCredentials.user.header());
    expect(all.body.length).toBeGreaterThan(TEMPLATES.length);
    for (const entity of all.body)
      expect(
        entity.metadata.annotations['backstage.io/managed-by-origin-location'] +
          entity.metadata.annotations['backstage.io/managed-by-location'],
      ).not.toContain('_shared');
    expect(errors).toEqual([]);
  });

  // Why the dev backend has catalogModuleFilePlaceholders: without it the catalog cannot form a URL out of a file
  // location's path (backstage/backstage#30702) and the two deployment templates never reach the catalog. When this
  // fails, the catalog resolves file placeholders itself and the module can go.
  it('are refused by the stock catalog, which cannot resolve a placeholder next to a file', async () => {
    const { errors } = await startCatalog([]);
    const refused = await waitFor(
      () =>
        errors.some(e =>
          /fusioninfer-deploy-llm: .*could not form a URL out of .*deploy-llm\/template\.yaml and \.\.\/_shared\/\w+\.yaml/.test(
            e,
          ),
        ),
      { timeoutMs: 50_000, intervalMs: 200, what: 'the placeholder error' },
    );
    expect(refused).toBe(true);
  });
});

describe('filePlaceholderResolver', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-placeholders-'));
  fs.mkdirSync(path.join(dir, 'repo/templates/a'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'repo/templates/_shared'));
  fs.writeFileSync(
    path.join(dir, 'repo/templates/_shared/page.yaml'),
    'title: Page\nproperties: { a: &a { type: string }, b: *a }\n',
  );
  fs.writeFileSync(
    path.join(dir, 'repo/templates/_shared/two.yaml'),
    'a: 1\n---\nb: 2\n',
  );
  fs.writeFileSync(
    path.join(dir, 'repo/templates/_shared/data.json'),
    '{"x": [1]}',
  );
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const entityFile = path.join(dir, 'repo/templates/a/template.yaml');
  const roots = [path.join(dir, 'repo')];
  const call = (
    key: 'yaml' | 'json' | 'text',
    value: unknown,
    baseUrl = entityFile,
  ) => {
    const emitted: unknown[] = [];
    const read = jest.fn(async (url: string) => Buffer.from(`from ${url}`));
    // As the SCM integrations resolve (defaultScmResolveUrl): an absolute URL as it is, else relative to the base.
    const resolveUrl = jest.fn((url: string, base: string) =>
      URL.canParse(url) ? url : new URL(url, base).toString(),
    );
    const result = filePlaceholderResolver(
      key,
      roots,
    )({
      key,
      value: value as any,
      baseUrl,
      read,
      resolveUrl,
      emit: e => emitted.push(e),
    });
    return { result, emitted, read };
  };

  it('reads a path relative to a file entity from disk, parsed like the built-in resolvers', async () => {
    const page = call('yaml', '../_shared/page.yaml');
    await expect(page.result).resolves.toEqual({
      title: 'Page',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
    });
    expect(page.emitted).toEqual([
      {
        type: 'refresh',
        key: `file:${path.join(dir, 'repo/templates/_shared/page.yaml')}`,
      },
    ]);
    expect(page.read).not.toHaveBeenCalled();
    await expect(call('json', '../_shared/data.json').result).resolves.toEqual({
      x: [1],
    });
    await expect(call('text', '../_shared/data.json').result).resolves.toBe(
      '{"x": [1]}',
    );
    await expect(call('yaml', '../_shared/two.yaml').result).rejects.toThrow(
      'Placeholder $yaml expected to find exactly one document of data at ../_shared/two.yaml, found 2',
    );
    await expect(
      call('yaml', '../_shared/missing.yaml').result,
    ).rejects.toThrow(
      /Placeholder \$yaml could not read location \.\.\/_shared\/missing\.yaml, .*ENOENT/,
    );
  });

  it('reads nothing outside the directories of the file locations', async () => {
    await expect(call('text', '../../../secret.txt').result).rejects.toThrow(
      /may only reference files under the directory of a file location of catalog\.locations/,
    );
    await expect(
      call('text', path.join(dir, 'secret.txt')).result,
    ).rejects.toThrow(/may only reference files under/);
  });

  it('leaves URL locations and absolute URLs to the UrlReader, as the built-in resolvers do', async () => {
    const fromUrl = call(
      'text',
      '../_shared/page.yaml',
      'https://github.com/acme/repo/blob/main/templates/a/template.yaml',
    );
    await expect(fromUrl.result).resolves.toBe(
      'from https://github.com/acme/repo/blob/main/templates/_shared/page.yaml',
    );
    expect(fromUrl.emitted).toEqual([
      {
        type: 'refresh',
        key: 'url:https://github.com/acme/repo/blob/main/templates/_shared/page.yaml',
      },
    ]);
    await expect(
      call('text', 'https://example.com/x.txt').result,
    ).resolves.toBe('from https://example.com/x.txt');
    await expect(call('text', 42).result).rejects.toThrow(
      'Placeholder $text expected a string value parameter',
    );
  });

  it('takes its roots from the file locations of catalog.locations', () => {
    const config = new ConfigReader({
      catalog: {
        locations: [
          { type: 'file', target: '/srv/portal/catalog-info.yaml' },
          { type: 'file', target: '/srv/templates/*/template.yaml' },
          { type: 'url', target: 'https://github.com/acme/x/blob/main/c.yaml' },
        ],
      },
    });
    expect(fileLocationRoots(config)).toEqual([
      '/srv/portal',
      '/srv/templates',
    ]);
    expect(fileLocationRoots(new ConfigReader({}))).toEqual([]);
  });
});
