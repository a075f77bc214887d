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
import protobuf from 'protobufjs';
import { startDevCluster, DevCluster } from '../cluster';
import { ApiError } from '../errors';
import { acceptsJson, decodeKubernetesProtobuf } from '.';
import { PROTO_DEFINITIONS } from './definitions';

// Bodies a real kubectl 1.32 sent for generator commands (regenerate with src/protobuf/capture.ts).
const DATA = path.join(__dirname, 'testdata');
const body = (name: string) => fs.readFileSync(path.join(DATA, `${name}.pb`));

function encode(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const root = new protobuf.Root();
  for (const t of PROTO_DEFINITIONS)
    protobuf.parse(t, root, { keepCase: true });
  const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  return Buffer.concat([
    Buffer.from('k8s\0', 'binary'),
    Buffer.from(
      unknown.encode({ typeMeta: { apiVersion, kind }, raw }).finish(),
    ),
  ]);
}

describe('Kubernetes protobuf request bodies', () => {
  it('decodes every captured kubectl body', () => {
    const files = fs.readdirSync(DATA).filter(f => f.endsWith('.pb'));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) {
      const obj = decodeKubernetesProtobuf(fs.readFileSync(path.join(DATA, f)));
      expect(obj.apiVersion).toBeTruthy();
      expect(obj.kind).toBeTruthy();
    }
  });

  it('decodes namespaces, configmaps and secrets as a real server does (omitempty, base64 bytes)', () => {
    expect(decodeKubernetesProtobuf(body('namespace'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ml2' },
      spec: {},
      status: {},
    });
    expect(decodeKubernetesProtobuf(body('configmap'))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ml' },
      data: { a: 'b', x: 'y' },
    });
    const secret = decodeKubernetesProtobuf(body('secret-generic'));
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe(
      's3cr3t',
    );
    const reg = decodeKubernetesProtobuf(body('secret-docker-registry'));
    expect(reg.type).toBe('kubernetes.io/dockerconfigjson');
    expect(
      JSON.parse(
        Buffer.from(reg.data['.dockerconfigjson'], 'base64').toString(),
      ).auths['registry.example.com'].username,
    ).toBe('u');
  });

  it('keeps pointer zero values (replicas: 0) and int-or-string ports; drops non-pointer zeros', () => {
    const idle = decodeKubernetesProtobuf(body('deployment-zero'));
    expect(idle.spec.replicas).toBe(0);
    expect(idle.spec.template.spec.containers[0]).toEqual({
      name: 'busybox',
      image: 'busybox',
      command: ['sleep', '3600'],
      resources: {},
    });
    const web = decodeKubernetesProtobuf(body('deployment'));
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.template.spec.containers[0].ports).toEqual([
      { containerPort: 80 },
    ]);
    expect(web.metadata.creationTimestamp).toBeUndefined();
    const svc = decodeKubernetesProtobuf(body('service-clusterip'));
    expect(svc.spec.ports).toEqual([
      { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
    ]);
  });

  it('decodes a Job (kubectl create job) with its pod template', () => {
    const job = decodeKubernetesProtobuf(body('job'));
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: 'ml' },
    });
    expect(job.spec.template.spec).toEqual({
      containers: [
        {
          name: 'once',
          image: 'busybox',
          command: ['echo', 'done'],
          resources: {},
        },
      ],
      restartPolicy: 'Never',
    });
  });

  it('decodes RBAC objects and access reviews', () => {
    expect(decodeKubernetesProtobuf(body('role')).rules[0]).toEqual({
      verbs: ['get', 'list', 'watch'],
      apiGroups: [''],
      resources: ['pods', 'pods/proxy'],
      resourceNames: ['a'],
    });
    expect(
      decodeKubernetesProtobuf(body('rolebinding')).subjects,
    ).toContainEqual({
      kind: 'ServiceAccount',
      name: 'runner',
      namespace: 'ml',
    });
    expect(
      decodeKubernetesProtobuf(body('clusterrole')).rules[1].nonResourceURLs,
    ).toEqual(['/healthz']);
    expect(
      decodeKubernetesProtobuf(body('selfsubjectaccessreview')).spec
        .resourceAttributes,
    ).toEqual({
      namespace: 'ml',
      verb: 'get',
      resource: 'pods',
      name: 'proxy',
    });
    expect(
      decodeKubernetesProtobuf(body('selfsubjectrulesreview')).spec,
    ).toEqual({ namespace: 'ml' });
  });

  it('rejects what it cannot decode with a clear status', () => {
    const err = (b: Buffer) => {
      try {
        decodeKubernetesProtobuf(b);
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('no error');
    };
    expect(err(Buffer.from('{"kind":"Namespace"}')).message).toContain(
      'does not have the Kubernetes protobuf prefix',
    );
    // a custom resource: JSON only, as on a real server
    const cr = err(
      encode('fusioninfer.io/v1alpha1', 'InferenceService', new Uint8Array()),
    );
    expect(cr.code).toBe(415);
    expect(cr.message).toContain(
      'InferenceService (fusioninfer.io/v1alpha1) is accepted as JSON or YAML only',
    );
    // a field the definitions do not cover: named by message and number, never silently dropped
    const ns = Buffer.from([
      0x0a, 0x05, 0x0a, 0x03, 0x61, 0x62, 0x63, 0xf8, 0x06, 0x01,
    ]); // metadata{name=abc}, field 111
    const unknownField = err(encode('v1', 'Namespace', ns));
    expect(unknownField.code).toBe(400);
    expect(unknownField.message).toContain(
      'field number 111 of k8s.io.api.core.v1.Namespace at (root)',
    );
    const nested = Buffer.from([0x0a, 0x03, 0xf8, 0x06, 0x01]); // metadata{field 111}
    expect(err(encode('v1', 'Namespace', nested)).message).toContain(
      'field number 111 of k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta at metadata',
    );
    expect(err(Buffer.from('k8s\0\xff\xff\xff', 'binary')).code).toBe(400);
  });

  it('negotiates Accept: protobuf with JSON is answered in JSON; protobuf alone is 406', () => {
    expect(
      acceptsJson('application/vnd.kubernetes.protobuf, application/json'),
    ).toBe(true);
    expect(acceptsJson(undefined)).toBe(true);
    expect(acceptsJson('*/*')).toBe(true);
    expect(acceptsJson('application/vnd.kubernetes.protobuf')).toBe(false);
  });

  describe('over HTTP', () => {
    let dev: DevCluster;
    beforeAll(async () => {
      dev = await startDevCluster({ simulate: false, namespaces: ['ml'] });
    });
    afterAll(() => dev.close());

    it('creates built-in objects from protobuf bodies and answers JSON', async () => {
      const managers: string[] = [];
      for (const [name, url] of [
        ['namespace', '/api/v1/namespaces'],
        ['configmap', '/api/v1/namespaces/ml/configmaps'],
        ['deployment', '/apis/apps/v1/namespaces/ml/deployments'],
        ['role', '/apis/rbac.authorization.k8s.io/v1/namespaces/ml/roles'],
      ]) {
        const res = await fetch(
          `${dev.url}${url}?fieldManager=kubectl-create`,
          {
            method: 'POST',
            headers: {
              'Content-Type': 'application/vnd.kubernetes.protobuf',
              Accept: 'application/vnd.kubernetes.protobuf, */*',
            },
            body: body(name),
          },
        );
        expect(res.status).toBe(201);
        expect(res.headers.get('content-type')).toBe('application/json');
        const obj = await res.json();
        expect(obj.metadata.uid).toBeTruthy();
        if (name === 'configmap')
          managers.push(obj.metadata.managedFields[0].manager);
      }
      expect(managers).toEqual(['kubectl-create']);
      const res = await fetch(`${dev.url}/api/v1/namespaces/ml/configmaps/c`, {
        headers: { Accept: 'application/vnd.kubernetes.protobuf' },
      });
      expect(res.status).toBe(406);
      expect((await res.json()).reason).toBe('NotAcceptable');
    });

    const post = (url: string, b: Buffer) =>
      fetch(`${dev.url}${url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
        body: b,
      });

    it('answers 400 BadRequest, never 500, for malformed protobuf (a truncated submessage, wire type 7)', async () => {
      // metadata (field 1, length 100) with only 2 bytes of it
      const truncated = await post(
        '/api/v1/namespaces/ml/configmaps',
        encode('v1', 'ConfigMap', new Uint8Array([0x0a, 0x64, 0x0a, 0x01])),
      );
      expect(truncated.status).toBe(400);
      expect(await truncated.json()).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'BadRequest',
        code: 400,
        message: expect.stringContaining(
          'the body of the request could not be decoded',
        ),
      });
      // field 1 with wire type 7, which does not exist
      const wire7 = await post(
        '/api/v1/namespaces/ml/configmaps',
        encode('v1', 'ConfigMap', new Uint8Array([0x0f, 0x01])),
      );
      expect(wire7.status).toBe(400);
      expect(await wire7.json()).toMatchObject({
        reason: 'BadRequest',
        message: expect.stringContaining('invalid wire type 7'),
      });
      // groups (wire type 3) nested deeper than protobufjs' recursion limit
      const deep = await post(
        '/api/v1/namespaces/ml/configmaps',
        encode('v1', 'ConfigMap', new Uint8Array(300).fill(0x0b)),
      );
      expect(deep.status).toBe(400);
      expect((await deep.json()).message).toContain(
        'maximum nesting depth exceeded',
      );
      // the same inside the envelope (runtime.Unknown) and in a nested message
      expect(
        (
          await post(
            '/api/v1/namespaces/ml/configmaps',
            Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x64, 0x0a]),
          )
        ).status,
      ).toBe(400);
      expect(
        (
          await post(
            '/api/v1/namespaces/ml/configmaps',
            encode('v1', 'ConfigMap', new Uint8Array([0x0a, 0x02, 0x0a, 0x07])),
          )
        ).status,
      ).toBe(400);
    });

    it('never answers 500 to mutated kubectl bodies (2,000 seeded random mutations)', async () => {
      // Mulberry32, seeded: the same mutations on every run
      let seed = 0x5eed;
      const random = () => {
        seed = (seed + 0x6d2b79f5) >>> 0;
        let t = seed;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const int = (n: number) => Math.floor(random() * n);
      const urls: Record<string, string> = {
        'v1/Namespace': '/api/v1/namespaces',
        'v1/ConfigMap': '/api/v1/namespaces/ml/configmaps',
        'v1/Secret': '/api/v1/namespaces/ml/secrets',
        'v1/ServiceAccount': '/api/v1/namespaces/ml/serviceaccounts',
        'v1/Service': '/api/v1/namespaces/ml/services',
        'apps/v1/Deployment': '/apis/apps/v1/namespaces/ml/deployments',
        'batch/v1/Job': '/apis/batch/v1/namespaces/ml/jobs',
        'rbac.authorization.k8s.io/v1/Role':
          '/apis/rbac.authorization.k8s.io/v1/namespaces/ml/roles',
        'rbac.authorization.k8s.io/v1/RoleBinding':
          '/apis/rbac.authorization.k8s.io/v1/namespaces/ml/rolebindings',
        'rbac.authorization.k8s.io/v1/ClusterRole':
          '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        'rbac.authorization.k8s.io/v1/ClusterRoleBinding':
          '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        'authorization.k8s.io/v1/SelfSubjectAccessReview':
          '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        'authorization.k8s.io/v1/SelfSubjectRulesReview':
          '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      };
      const originals = fs
        .readdirSync(DATA)
        .filter(f => f.endsWith('.pb'))
        .map(f => {
          const b = fs.readFileSync(path.join(DATA, f));
          const o = decodeKubernetesProtobuf(b);
          const url = urls[`${o.apiVersion}/${o.kind}`];
          expect(url).toBeDefined();
          return { b, url };
        });
      const codes = new Map<number, number>();
      const failures: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const { b, url } = originals[int(originals.length)];
        let m = Buffer.from(b);
        for (let n = 1 + int(4); n > 0; n--) {
          const at = 4 + int(m.length - 4); // keep the k8s\0 magic
          const op = int(4);
          if (op === 0) m[at] = int(256);
          else if (op === 1)
            m = Buffer.concat([
              m.subarray(0, at),
              Buffer.from([int(256)]),
              m.subarray(at),
            ]);
          else if (op === 2 && m.length > 5)
            m = Buffer.concat([m.subarray(0, at), m.subarray(at + 1)]);
          else m[at] ^= 1 << int(8);
        }
        const res = await post(`${url}?dryRun=All`, m);
        codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status >= 500)
          failures.push(`${res.status} ${m.toString('hex')}: ${text}`);
      }
      expect(failures.slice(0, 5)).toEqual([]);
      // most mutations are refused, some still decode
      expect(codes.get(400)).toBeGreaterThan(100);
      expect([...codes.keys()].some(c => c < 300)).toBe(true);
    }, 60_000);

    it('answers 415 for a protobuf custom resource', async () => {
      const res = await fetch(
        `${dev.url}/apis/fusioninfer.io/v1alpha1/namespaces/ml/inferenceservices`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
          body: encode(
            'fusioninfer.io/v1alpha1',
            'InferenceService',
            new Uint8Array(),
          ),
        },
      );
      expect(res.status).toBe(415);
    });
  });
});
