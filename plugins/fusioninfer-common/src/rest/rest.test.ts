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

import { z } from 'zod';
import {
  applyRequestSchema,
  approvalRequestSchema,
  fusioninferOpenApiDocument,
  fusioninferRoutes,
  kubernetesName,
  listApprovalsQuerySchema,
  scaleRequestSchema,
  serviceParamsSchema,
  strategyRequestSchema,
} from '.';
import { ApprovalRequest } from '../approval';
import { isValidName, nameProblems } from '../names';
import { parseServiceAnnotation } from '../entity';

// Compile-time: the schema and the interface describe the same object.
const sameApproval = (
  a: z.infer<typeof approvalRequestSchema>,
): ApprovalRequest => a;
void sameApproval;

describe('names', () => {
  it('applies the Kubernetes limit of each kind of name', () => {
    expect(isValidName('namespace', 'a'.repeat(63))).toBe(true);
    expect(isValidName('namespace', 'a'.repeat(64))).toBe(false);
    expect(isValidName('object', 'a'.repeat(200))).toBe(true);
    expect(isValidName('object', 'a.b')).toBe(true);
    expect(isValidName('namespace', 'a.b')).toBe(false);
    // DNS-1035: InferenceService names start with a letter (they name Services)
    expect(isValidName('service', '1abc')).toBe(false);
    expect(isValidName('namespace', '1abc')).toBe(true);
    expect(nameProblems('service', 'Abc').join()).toMatch(/DNS-1035/);
  });

  it('service annotations use the same limits (no 253-character namespaces)', () => {
    expect(parseServiceAnnotation(`dev/${'a'.repeat(64)}/svc`).refs).toEqual(
      [],
    );
    expect(parseServiceAnnotation('dev/ns/1svc').refs).toEqual([]);
    expect(parseServiceAnnotation('dev/ns/svc').refs).toEqual([
      { cluster: 'dev', namespace: 'ns', name: 'svc' },
    ]);
  });

  it('zod name schemas report the rule', () => {
    const r = kubernetesName('namespace').safeParse('a'.repeat(64));
    expect(r.success).toBe(false);
    const p = serviceParamsSchema.safeParse({
      cluster: 'dev',
      namespace: 'x_y',
      name: 'svc',
    });
    expect(p.success).toBe(false);
    expect(p.error!.issues[0].path).toEqual(['namespace']);
  });
});

describe('request schemas', () => {
  it('requires a strategy (an empty body is an error, not a reset)', () => {
    expect(strategyRequestSchema.safeParse({}).success).toBe(false);
    expect(
      strategyRequestSchema.safeParse({ strategy: 'queue-size' }).success,
    ).toBe(true);
    expect(strategyRequestSchema.safeParse({ strategy: 'nope' }).success).toBe(
      false,
    );
  });

  it('scale bounds replicas and rejects unknown fields', () => {
    expect(
      scaleRequestSchema.safeParse({ role: 'w', replicas: 10001 }).success,
    ).toBe(false);
    expect(
      scaleRequestSchema.safeParse({ role: 'w', replicas: 1.5 }).success,
    ).toBe(false);
    expect(
      scaleRequestSchema.safeParse({ role: 'w', replicas: 2, x: 1 }).success,
    ).toBe(false);
    expect(
      scaleRequestSchema.safeParse({ role: 'w', replicas: 2 }).success,
    ).toBe(true);
  });

  it('query strings: repeated keys (arrays) and bad numbers are rejected, limits capped', () => {
    expect(
      listApprovalsQuerySchema.safeParse({ cluster: ['a', 'b'] }).success,
    ).toBe(false);
    expect(listApprovalsQuerySchema.safeParse({ limit: '101' }).success).toBe(
      false,
    );
    expect(listApprovalsQuerySchema.safeParse({ limit: 'x' }).success).toBe(
      false,
    );
    expect(
      listApprovalsQuerySchema.safeParse({ status: 'pending,nope' }).success,
    ).toBe(false);
    expect(
      listApprovalsQuerySchema.parse({ limit: '20', offset: '40' }),
    ).toEqual({
      limit: 20,
      offset: 40,
    });
  });

  it('apply takes a manifest object', () => {
    expect(
      applyRequestSchema.safeParse({
        cluster: 'dev',
        namespace: 'ml',
        manifest: 'x',
      }).success,
    ).toBe(false);
    expect(
      applyRequestSchema.safeParse({
        cluster: 'dev',
        namespace: 'ml',
        manifest: {},
      }).success,
    ).toBe(true);
  });
});

describe('OpenAPI document', () => {
  const doc = fusioninferOpenApiDocument() as any;

  it('has every route with its parameters, body and responses', () => {
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p));
    expect(ops.map((o: any) => o.operationId).sort()).toEqual(
      Object.keys(fusioninferRoutes).sort(),
    );
    const detail =
      doc.paths['/clusters/{cluster}/namespaces/{namespace}/services/{name}'];
    expect(detail.get.parameters.map((p: any) => p.name)).toEqual([
      'cluster',
      'namespace',
      'name',
    ]);
    expect(detail.get.parameters[2].schema.maxLength).toBe(63);
    expect(detail.delete.responses['202']).toBeDefined();
    const apply = doc.paths['/apply'].post;
    expect(apply.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApplyRequest',
    });
    expect(doc.components.schemas.ApplyRequest.required).toEqual(
      expect.arrayContaining(['cluster', 'namespace', 'manifest']),
    );
    expect(Object.keys(apply.responses)).toEqual(
      expect.arrayContaining(['200', '202', '400', '409', '413']),
    );
    expect(
      doc.paths['/approvals'].get.parameters.map((p: any) => p.name),
    ).toContain('limit');
  });

  it('is plain JSON whose references all resolve', () => {
    const text = JSON.stringify(doc);
    expect(JSON.parse(text)).toEqual(doc);
    const refs = [
      ...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map(m => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(doc.components.schemas[r]).toBeDefined();
    expect(text).not.toContain('$defs');
  });
});
