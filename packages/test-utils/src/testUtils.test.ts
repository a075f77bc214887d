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
  exampleNames,
  exampleText,
  kindNames,
  loadExample,
  loadExamples,
  loadTemplate,
  minimalInferenceService,
  MONOLITHIC_ROUTER_QWEN_CHILDREN,
  resolvePlaceholders,
  waitFor,
} from '.';
import { validateInferenceService } from '@fusioninfer/plugin-fusioninfer-common';

describe('waitFor', () => {
  it('returns the first truthy value, retrying falsy values and errors', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return calls >= 3 ? { calls } : undefined;
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it('accepts synchronous predicates', async () => {
    let n = 0;
    await expect(waitFor(() => ++n > 2, { intervalMs: 1 })).resolves.toBe(true);
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the LeaderWorkerSet' },
      ),
    ).rejects.toThrow(
      'timed out after 30 ms waiting for the LeaderWorkerSet: connection refused',
    );
    await expect(waitFor(() => false, 20)).rejects.toThrow(
      /^timed out after 20 ms waiting$/,
    );
  });
});

describe('examples', () => {
  it('loads the 13 upstream examples by name, with or without .yaml, as fresh copies', () => {
    expect(exampleNames()).toHaveLength(13);
    const a = loadExample('monolithic-router-qwen');
    const b = loadExample('monolithic-router-qwen.yaml');
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.kind).toBe('InferenceService');
    expect(Object.keys(loadExamples())).toEqual(exampleNames());
    expect(exampleText('monolithic-router-qwen')).toContain(
      'kind: InferenceService',
    );
  });

  it("merges the metadata it is given over the example's", () => {
    expect(
      loadExample('multi-node-router', {
        namespace: 'default',
        annotations: { 'backstage.io/entity-ref': 'component:default/qwen' },
      }).metadata,
    ).toEqual({
      name: 'qwen-multi-node',
      namespace: 'default',
      annotations: { 'backstage.io/entity-ref': 'component:default/qwen' },
    });
    expect(loadExample('multi-node-router', { name: 'x' }).metadata).toEqual({
      name: 'x',
    });
  });

  it('names the missing file and the examples that exist', () => {
    expect(() => loadExample('nope')).toThrow(
      /no example examples\/nope\.yaml \(have: .*monolithic-router-qwen/,
    );
  });
});

describe('golden child lists', () => {
  it('lists kind/name pairs', () => {
    expect(MONOLITHIC_ROUTER_QWEN_CHILDREN[0]).toBe(
      'LeaderWorkerSet/qwen-inference-inference-0',
    );
    expect(kindNames([{ kind: 'Service', metadata: { name: 'a' } }])).toEqual([
      'Service/a',
    ]);
    expect(Object.isFrozen(MONOLITHIC_ROUTER_QWEN_CHILDREN)).toBe(true);
  });
});

describe('minimalInferenceService', () => {
  it('is valid and takes namespace, replicas and metadata', () => {
    const isvc = minimalInferenceService('qwen', {
      namespace: 'llm',
      replicas: 3,
      metadata: { labels: { team: 'a' } },
    });
    expect(validateInferenceService(isvc)).toMatchObject({
      valid: true,
      errors: [],
    });
    expect(isvc.metadata).toEqual({
      name: 'qwen',
      namespace: 'llm',
      labels: { team: 'a' },
    });
    expect(isvc.spec.roles[0].replicas).toBe(3);
  });
});

describe('loadTemplate', () => {
  it('reads a template of templates/ with its shared form pages in place', () => {
    const deploy = loadTemplate('deploy-llm');
    expect(deploy.metadata.name).toBe('fusioninfer-deploy-llm');
    expect(deploy.spec.parameters.map((p: any) => p.title)).toEqual([
      'Model',
      'Topology',
      'Routing',
      'Placement and ownership',
      'Review',
    ]);
    expect(
      loadTemplate('templates/publish-gitops/template.yaml').spec.parameters[0],
    ).toEqual(deploy.spec.parameters[0]);
    // A fresh object every time.
    deploy.spec.parameters.length = 0;
    expect(loadTemplate('deploy-llm').spec.parameters).toHaveLength(5);
  });

  describe('placeholders, as the catalog resolves them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-template-'));
    const write = (name: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    };
    write(
      'shared/page.yaml',
      'title: Page\nitems: { a: &a [1], b: *a }\nnext: { $text: x.txt }\n',
    );
    write('shared/data.json', '{"n": 1}');
    write('shared/x.txt', 'text');
    write('shared/two.yaml', 'a: 1\n---\nb: 2\n');
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 't/template.yaml');

    it('replaces a lone $yaml, $json or $text with the file it names, relative to the entity file', () => {
      expect(
        resolvePlaceholders(
          {
            pages: [{ $yaml: '../shared/page.yaml' }, { title: 'Own' }],
            data: { $json: '../shared/data.json' },
            text: { $text: '../shared/x.txt' },
          },
          file,
        ),
      ).toEqual({
        pages: [
          // Anchors inside the file resolved; the file's own placeholders are not searched again.
          {
            title: 'Page',
            items: { a: [1], b: [1] },
            next: { $text: 'x.txt' },
          },
          { title: 'Own' },
        ],
        data: { n: 1 },
        text: 'text',
      });
    });

    it('leaves a $ key among others and unknown $ keys alone', () => {
      const data = {
        a: { $yaml: '../shared/page.yaml', title: 'x' },
        b: { $file: 'x' },
      };
      expect(resolvePlaceholders(data, file)).toEqual(data);
    });

    it('fails naming the file for more than one document, a missing file or a non-relative path', () => {
      expect(() =>
        resolvePlaceholders({ $yaml: '../shared/two.yaml' }, file),
      ).toThrow('expected exactly one YAML document, found 2');
      expect(() =>
        resolvePlaceholders({ $yaml: '../shared/none.yaml' }, file),
      ).toThrow(/\$yaml \.\.\/shared\/none\.yaml: ENOENT/);
      expect(() =>
        resolvePlaceholders({ $yaml: 'https://example.com/x.yaml' }, file),
      ).toThrow('expects a path relative to the file');
      expect(() =>
        resolvePlaceholders({ $text: path.join(dir, 'shared/x.txt') }, file),
      ).toThrow('expects a path relative to the file');
    });
  });
});
