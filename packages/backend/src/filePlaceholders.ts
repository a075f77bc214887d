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
 * `$yaml`, `$json` and `$text` placeholders, relative to the entity file, for entities read from `file` locations.
 *
 * The catalog's PlaceholderProcessor (@backstage/plugin-catalog-backend 4.0) resolves a relative placeholder with
 * the SCM integrations' resolveUrl against the location's target and reads it through the UrlReader. For a `url`
 * location that works; a `file` location's target is a bare path (/…/templates/deploy-llm/template.yaml), which is no
 * URL base, so the entity fails with "Placeholder $yaml could not form a URL out of … and ../_shared/model.yaml"
 * (backstage/backstage#30702). The dev backend registers the templates from file locations (app-config.yaml →
 * catalog-info.yaml), and the two deployment templates take their shared form pages from templates/_shared/ with
 * `$yaml`. This module replaces the three built-in resolvers with ones that read a relative path next to a file
 * entity from disk and do exactly what the built-in ones do otherwise (same parsing, same errors, same refresh keys).
 *
 * A file placeholder may only name a file under the directory of one of the `file` locations of
 * `catalog.locations` (resolved like the catalog resolves them, against the working directory): the counterpart of
 * the built-in "same repository" rule for URLs.
 */

import fs from 'fs/promises';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  catalogProcessingExtensionPoint,
  processingResult,
  type PlaceholderResolver,
  type PlaceholderResolverParams,
} from '@backstage/plugin-catalog-node';

type Key = 'yaml' | 'json' | 'text';

/** The content as the built-in resolvers turn it into a value. */
const PARSE: Record<
  Key,
  (
    content: string,
    params: PlaceholderResolverParams,
  ) => Awaited<ReturnType<PlaceholderResolver>>
> = {
  yaml(content, { key, value }) {
    let documents;
    try {
      documents = parseAllDocuments(content, { merge: false }).filter(d => d);
    } catch (e) {
      throw new Error(
        `Placeholder $${key} failed to parse YAML data at ${value}, ${e}`,
      );
    }
    if (documents.length !== 1)
      throw new Error(
        `Placeholder $${key} expected to find exactly one document of data at ${value}, found ${documents.length}`,
      );
    const [document] = documents;
    if (document.errors?.length)
      throw new Error(
        `Placeholder $${key} found an error in the data at ${value}, ${document.errors[0]}`,
      );
    return document.toJSON();
  },
  json(content, { key, value }) {
    try {
      return JSON.parse(content);
    } catch (e) {
      throw new Error(
        `Placeholder $${key} failed to parse JSON data at ${value}, ${e}`,
      );
    }
  },
  text: content => content,
};

/** A location target that is a file path, not a URL (what the catalog makes of a `file` location). */
const isFilePath = (target: string) =>
  path.isAbsolute(target) && !URL.canParse(target);

/** `roots`: the directories a file placeholder may read from. */
async function readFile(
  { key, value, baseUrl }: PlaceholderResolverParams & { value: string },
  roots: string[],
) {
  const file = path.resolve(path.dirname(baseUrl), value);
  const inside = (root: string) => {
    const relative = path.relative(root, file);
    return !relative.startsWith('..') && !path.isAbsolute(relative);
  };
  if (!roots.some(inside))
    throw new Error(
      `Placeholder $${key} may only reference files under the directory of a file location of catalog.locations, not ${file}`,
    );
  try {
    return {
      content: await fs.readFile(file, 'utf8'),
      refresh: `file:${file}`,
    };
  } catch (e) {
    throw new Error(
      `Placeholder $${key} could not read location ${value}, ${e}`,
    );
  }
}

/** The built-in way: a URL relative to the location's target, read through the UrlReader. */
async function readUrl({
  key,
  value,
  baseUrl,
  read,
  resolveUrl,
}: PlaceholderResolverParams) {
  if (typeof value !== 'string')
    throw new Error(
      `Placeholder $${key} expected a string value parameter, in the form of an absolute URL or a relative path`,
    );
  let url: string;
  try {
    url = resolveUrl(value, baseUrl);
  } catch (e) {
    throw new Error(
      `Placeholder $${key} could not form a URL out of ${baseUrl} and ${value}, ${e}`,
    );
  }
  try {
    return {
      content: (await read(url)).toString('utf-8'),
      refresh: `url:${url}`,
    };
  } catch (e) {
    throw new Error(
      `Placeholder $${key} could not read location ${value}, ${e}`,
    );
  }
}

/** The `$<key>` resolver: relative paths next to file entities from disk, everything else the built-in way. */
export function filePlaceholderResolver(
  key: Key,
  roots: string[],
): PlaceholderResolver {
  return async params => {
    const { value, baseUrl } = params;
    const { content, refresh } =
      typeof value === 'string' && !URL.canParse(value) && isFilePath(baseUrl)
        ? await readFile({ ...params, value }, roots)
        : await readUrl(params);
    params.emit(processingResult.refresh(refresh));
    return PARSE[key](content, params);
  };
}

/**
 * The directories of the `file` locations of `catalog.locations` (targets resolved against the working directory,
 * as the catalog resolves them; for a glob, the directory before the first wildcard).
 */
export function fileLocationRoots(config: Config): string[] {
  return (config.getOptionalConfigArray('catalog.locations') ?? [])
    .filter(location => location.getString('type') === 'file')
    .map(location => {
      const target = location.getString('target');
      const wildcard = target.search(/[*?[{]/);
      return wildcard === -1
        ? path.dirname(path.resolve(target))
        : path.resolve(target.slice(0, target.lastIndexOf('/', wildcard) + 1));
    });
}

/** Registers the three resolvers with the catalog (they replace the built-in `$yaml`, `$json`, `$text`). */
export const catalogModuleFilePlaceholders = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'file-placeholders',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ catalog, config }) {
        const roots = fileLocationRoots(config);
        for (const key of ['yaml', 'json', 'text'] as const)
          catalog.addPlaceholderResolver(
            key,
            filePlaceholderResolver(key, roots),
          );
      },
    });
  },
});
