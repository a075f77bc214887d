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
import path from 'path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './examples';

/** `templates/`: the software templates (one directory each) and `_shared/`, the form pages they share. */
export const TEMPLATES_DIR = path.join(REPO_ROOT, 'templates');

/** One YAML document as the catalog reads it: no `<<` merge keys, aliases expanded, JSON values. */
function parseOneDocument(text: string, what: string): unknown {
  const documents = parseAllDocuments(text, { merge: false }).filter(d => d);
  if (documents.length !== 1)
    throw new Error(
      `${what}: expected exactly one YAML document, found ${documents.length}`,
    );
  const [document] = documents;
  if (document.errors.length)
    throw new Error(`${what}: ${document.errors[0].message}`);
  return document.toJSON();
}

function readPlaceholder(key: string, value: unknown, file: string) {
  const where = path.relative(REPO_ROOT, file);
  // The repository's templates name their placeholders relative to the file (so they work from any checkout and
  // from a URL location alike); a URL or an absolute path here is a mistake.
  if (
    typeof value !== 'string' ||
    URL.canParse(value) ||
    path.isAbsolute(value)
  )
    throw new Error(
      `${where}: $${key} expects a path relative to the file, got ${JSON.stringify(value)}`,
    );
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(path.dirname(file), value), 'utf8');
  } catch (e) {
    throw new Error(`${where}: $${key} ${value}: ${(e as Error).message}`);
  }
  if (key === 'text') return text;
  if (key === 'json') return JSON.parse(text);
  return parseOneDocument(text, `${where}: $yaml ${value}`);
}

/**
 * Replaces the catalog's placeholders in `data` read from `file`, as the catalog's PlaceholderProcessor does
 * (@backstage/plugin-catalog-backend; the dev backend's `catalogModuleFilePlaceholders` for `file` locations): an
 * object whose only key is `$yaml`, `$json` or `$text` becomes the content of the file it names, relative to `file`
 * (one YAML document / JSON / the text). The content is not searched again; objects with a `$` key among others,
 * or an unknown `$` key, stay as they are.
 */
export function resolvePlaceholders(data: unknown, file: string): unknown {
  if (Array.isArray(data)) return data.map(d => resolvePlaceholders(d, file));
  if (!data || typeof data !== 'object') return data;
  const keys = Object.keys(data);
  if (!keys.some(k => k.startsWith('$')))
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, resolvePlaceholders(v, file)]),
    );
  const key = keys[0].substring(1);
  if (keys.length !== 1 || !['yaml', 'json', 'text'].includes(key)) return data;
  return readPlaceholder(key, (data as Record<string, unknown>)[keys[0]], file);
}

/**
 * A template as the catalog serves it: `templates/<name>/template.yaml` (or any entity file, by path) parsed as the
 * catalog parses entity files, with its `$yaml`/`$json`/`$text` placeholders resolved relative to the file. Read
 * templates through this, never with a bare YAML parse: the shared form pages are placeholders in the file. A fresh
 * object on every call.
 */
export function loadTemplate<T = any>(nameOrFile: string): T {
  const file =
    nameOrFile.endsWith('.yaml') || nameOrFile.includes('/')
      ? path.resolve(REPO_ROOT, nameOrFile)
      : path.join(TEMPLATES_DIR, nameOrFile, 'template.yaml');
  const where = path.relative(REPO_ROOT, file);
  return resolvePlaceholders(
    parseOneDocument(fs.readFileSync(file, 'utf8'), where),
    file,
  ) as T;
}
