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

import path from 'path';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { parseCrd } from '@fusioninfer/plugin-fusioninfer-common/schema';
import { loadExamples, REPO_ROOT } from '@fusioninfer/test-utils';
import { KObject, KubeApi } from './api';
import { celRuleReport, compileRule, validateCel } from './cel';
import { loadCrds } from './cluster';
import { ApiError } from './errors';

const CRD_DIRS = [
  path.join(REPO_ROOT, 'crds'),
  path.join(REPO_ROOT, 'crds/third-party'),
];

function newApi(): KubeApi {
  const api = new KubeApi();
  const crdType = api.findType(
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
  )!;
  for (const crd of loadCrds(CRD_DIRS))
    api.create(crdType, undefined, crd, { fieldManager: 'test' });
  api.create(api.findType('', 'v1', 'namespaces')!, undefined, {
    metadata: { name: 'demo' },
  });
  return api;
}

function createObj(api: KubeApi, obj: KObject, ns = 'demo'): KObject {
  const t = api.typeForObject({ apiVersion: obj.apiVersion, kind: obj.kind });
  if (!t) throw new Error(`no type for ${obj.apiVersion} ${obj.kind}`);
  return api.create(t, t.namespaced ? ns : undefined, {
    ...obj,
    metadata: { ...obj.metadata, namespace: t.namespaced ? ns : undefined },
  });
}

function rejection(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the write to be rejected');
}

const route = (rules: unknown[]): KObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r' },
  spec: { parentRefs: [{ name: 'gw' }], rules },
});

describe('CRD validation rules (CEL) in the dev cluster', () => {
  it('InferenceService: at most one router role, rejected with the rule message and path', () => {
    const api = newApi();
    const isvc = loadExamples()['monolithic-router-qwen'];
    const router = isvc.spec.roles.find(
      (r: any) => r.componentType === 'router',
    );
    const bad = {
      ...isvc,
      metadata: { name: 'two-routers' },
      spec: {
        ...isvc.spec,
        roles: [...isvc.spec.roles, { ...router, name: 'router2' }],
      },
    };
    const err = rejection(() => createObj(api, bad));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    const causes = (err.details as any).causes;
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.roles',
        message:
          'Invalid value: "array": at most one role may have componentType router',
      },
    ]);
    expect(err.message).toContain(
      'spec.roles: Invalid value: "array": at most one role may have componentType router',
    );
  });

  it('a merge patch and a server-side apply that break a rule are rejected too; the stored object is unchanged', () => {
    const api = newApi();
    const isvc = loadExamples()['monolithic-router-qwen'];
    const created = createObj(api, isvc);
    const t = api.typeForObject({
      apiVersion: created.apiVersion,
      kind: created.kind,
    })!;
    const router = isvc.spec.roles.find(
      (r: any) => r.componentType === 'router',
    );
    const roles = [...isvc.spec.roles, { ...router, name: 'router2' }];
    for (const [ct, body] of [
      ['application/merge-patch+json', { spec: { roles } }],
      [
        'application/apply-patch+yaml',
        {
          ...isvc,
          metadata: { name: created.metadata.name },
          spec: { ...isvc.spec, roles },
        },
      ],
    ] as const) {
      const err = rejection(() =>
        api.patch(t, 'demo', created.metadata.name, ct, body, {
          fieldManager: 'test',
          force: true,
        }),
      );
      expect(err.code).toBe(422);
      expect(err.message).toContain(
        'at most one role may have componentType router',
      );
    }
    expect(
      api.tryGet(t, 'demo', created.metadata.name)!.spec.roles,
    ).toHaveLength(isvc.spec.roles.length);
  });

  it('HTTPRoute: a backendRequest timeout longer than the request timeout is rejected', () => {
    const api = newApi();
    const bad = route([
      {
        backendRefs: [{ name: 'svc', port: 80 }],
        timeouts: { request: '10s', backendRequest: '20s' },
      },
    ]);
    const err = rejection(() => createObj(api, bad));
    expect(err.code).toBe(422);
    const causes = (err.details as any).causes;
    expect(causes).toEqual([
      expect.objectContaining({
        field: 'spec.rules[0].timeouts',
        message:
          'Invalid value: "object": backendRequest timeout cannot be longer than request timeout',
      }),
    ]);
    const ok = route([
      {
        backendRefs: [{ name: 'svc', port: 80 }],
        timeouts: { request: '20s', backendRequest: '10s' },
      },
    ]);
    expect(createObj(api, ok).metadata.uid).toBeTruthy();
  });

  it('HTTPRoute: a path value with invalid characters is rejected (matches)', () => {
    const api = newApi();
    const err = rejection(() =>
      createObj(
        api,
        route([
          {
            matches: [{ path: { type: 'PathPrefix', value: '/a b' } }],
            backendRefs: [{ name: 'svc', port: 80 }],
          },
        ]),
      ),
    );
    const causes = (err.details as any).causes;
    expect(causes.map((c: any) => c.field)).toContain(
      'spec.rules[0].matches[0].path',
    );
  });

  it('Gateway: an invalid hostname address is rejected; a valid Gateway is accepted', () => {
    const api = newApi();
    const gw = (addresses?: unknown[]): KObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw' },
      spec: {
        gatewayClassName: 'c',
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }],
        ...(addresses ? { addresses } : {}),
      },
    });
    const err = rejection(() =>
      createObj(api, gw([{ type: 'Hostname', value: 'Bad_Host' }])),
    );
    const causes = (err.details as any).causes;
    expect(causes).toEqual([
      expect.objectContaining({
        field: 'spec.addresses[0]',
        message: expect.stringContaining('Hostname value must'),
      }),
    ]);
    expect(createObj(api, gw()).metadata.name).toBe('gw');
  });

  it('InferencePool: duplicate target port numbers are rejected', () => {
    const api = newApi();
    const t = api
      .allTypes()
      .find(x => x.kind === 'InferencePool' && x.version === 'v1');
    expect(t).toBeDefined();
    const pool = (ports: unknown[]): KObject => ({
      apiVersion: `${t!.group}/${t!.version}`,
      kind: 'InferencePool',
      metadata: { name: 'p' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        targetPorts: ports,
        endpointPickerRef: { name: 'epp', port: { number: 9002 } },
      },
    });
    const err = rejection(() =>
      createObj(api, pool([{ number: 8000 }, { number: 8000 }])),
    );
    expect(JSON.stringify((err.details as any).causes)).toContain(
      'port number must be unique',
    );
    expect(createObj(api, pool([{ number: 8000 }])).metadata.name).toBe('p');
  });

  it('every upstream example and its rendered children are accepted', () => {
    const api = newApi();
    let n = 0;
    const kinds: string[] = [];
    const examples = Object.entries(loadExamples());
    expect(examples).toHaveLength(13);
    for (const [name, isvc] of examples) {
      api.create(api.findType('', 'v1', 'namespaces')!, undefined, {
        metadata: { name },
      });
      createObj(api, isvc, name);
      const { children } = renderInferenceService(isvc, { namespace: name });
      for (const child of children as KObject[]) {
        const t = api.typeForObject({
          apiVersion: child.apiVersion,
          kind: child.kind,
        });
        if (!t) continue;
        try {
          const existing = api.tryGet(
            t,
            t.namespaced ? name : undefined,
            child.metadata.name,
          );
          if (!existing) createObj(api, child, name);
          n++;
          if (!t.builtin && !kinds.includes(child.kind)) kinds.push(child.kind);
        } catch (e) {
          throw new Error(
            `${name}: ${child.kind} ${child.metadata.name}: ${e}`,
          );
        }
      }
    }
    expect(n).toBeGreaterThan(30);
    expect(kinds).toEqual(
      expect.arrayContaining(['HTTPRoute', 'InferencePool']),
    );
  });

  it('transition rules (oldSelf) run only on update', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { mode: { type: 'string' } },
          'x-kubernetes-validations': [
            {
              rule: 'self.mode == oldSelf.mode',
              message: 'mode is immutable',
              reason: 'FieldValueForbidden',
              fieldPath: '.mode',
            },
          ],
        },
      },
    };
    expect(validateCel(schema, { spec: { mode: 'a' } })).toEqual([]);
    expect(
      validateCel(schema, { spec: { mode: 'b' } }, { spec: { mode: 'a' } }),
    ).toEqual([
      {
        field: 'spec.mode',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: mode is immutable',
      },
    ]);
    expect(
      validateCel(schema, { spec: { mode: 'a' } }, { spec: { mode: 'a' } }),
    ).toEqual([]);
  });

  it('messageExpression and the default "failed rule" message', () => {
    const schema = {
      type: 'object',
      properties: {
        n: {
          type: 'integer',
          'x-kubernetes-validations': [
            {
              rule: 'self < 10',
              messageExpression: "'n must be below 10, got ' + string(self)",
            },
            { rule: 'self % 2 == 0' },
          ],
        },
      },
    };
    expect(validateCel(schema, { n: 11 }).map(i => i.message)).toEqual([
      'Invalid value: "integer": n must be below 10, got 11',
      'Invalid value: "integer": failed rule: self % 2 == 0',
    ]);
  });

  it('a rule that does not compile is skipped, never rejecting', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const schema = {
      type: 'object',
      properties: {
        s: {
          type: 'string',
          'x-kubernetes-validations': [
            { rule: 'self.noSuchK8sFunction()', message: 'never' },
            { rule: 'self ==', message: 'never' },
            { rule: 'self != "bad"', message: 'bad value' },
          ],
        },
      },
    };
    expect(compileRule('self.noSuchK8sFunction()').ok).toBe(false);
    expect(compileRule('self ==').ok).toBe(false);
    expect(validateCel(schema, { s: 'x' })).toEqual([]);
    expect(validateCel(schema, { s: 'bad' }).map(i => i.message)).toEqual([
      'Invalid value: "string": bad value',
    ]);
    validateCel(schema, { s: 'y' });
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it("reports how many of the vendored CRDs' rules compile", () => {
    let total = 0;
    let compiled = 0;
    const failed: string[] = [];
    for (const crd of loadCrds(CRD_DIRS)) {
      for (const v of parseCrd(crd).versions) {
        if (!v.schema) continue;
        const r = celRuleReport(v.schema);
        total += r.total;
        compiled += r.compiled;
        failed.push(...r.failed.map(f => `${f.rule}: ${f.error}`));
      }
    }
    // eslint-disable-next-line no-console
    console.log(
      `CEL rules: ${compiled} of ${total} compile${failed.length ? `; not evaluated:\n${failed.join('\n')}` : ''}`,
    );
    expect(total).toBe(187);
    expect(compiled).toBeGreaterThanOrEqual(187);
  });
});
