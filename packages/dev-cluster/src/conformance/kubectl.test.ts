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

import { execFile, execFileSync } from 'child_process';
import { promisify } from 'util';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startDevCluster, DevCluster } from '../cluster';
import { humanDuration, jsonPath } from '../openapi';
import { EXAMPLES_DIR as EXAMPLES, exampleText } from '@fusioninfer/test-utils';

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('printing helpers', () => {
  it('formats ages like the API server', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(200_000)).toBe('3m20s');
    expect(humanDuration(3 * 3600_000 + 60_000)).toBe('3h1m');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
  });
  it('evaluates printer-column JSONPaths with filters', () => {
    const o = {
      status: {
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Active', status: 'False' },
        ],
        readyReplicas: 2,
      },
    };
    expect(jsonPath(o, '.status.conditions[?(@.type=="Active")].status')).toBe(
      'False',
    );
    expect(jsonPath(o, '.status.readyReplicas')).toBe(2);
    expect(jsonPath(o, '.status.missing')).toBeUndefined();
  });
});

// Each test runs kubectl as a process a dozen times or more: seconds on a quiet machine, more under load.
jest.setTimeout(120_000);

(kubectl ? describe : describe.skip)(
  'kubectl against the development cluster',
  () => {
    let dev: DevCluster;
    let kubeconfig: string;
    // Asynchronous: the API server runs in this very process and must keep serving while kubectl waits.
    const run = async (...args: string[]) =>
      (
        await promisify(execFile)(
          'kubectl',
          ['--kubeconfig', kubeconfig, ...args],
          { encoding: 'utf8' },
        )
      ).stdout;
    beforeAll(async () => {
      dev = await startDevCluster({ simulate: false });
      kubeconfig = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-')),
        'kubeconfig',
      );
      dev.writeKubeconfig(kubeconfig);
    });
    afterAll(() => dev.close());

    it('applies (client- and server-side), lists with printer columns, and deletes InferenceServices', async () => {
      expect(
        await run('apply', '-f', path.join(EXAMPLES, 'multi-node-router.yaml')),
      ).toContain('inferenceservice.fusioninfer.io/qwen-multi-node created');
      expect(
        await run(
          'apply',
          '--server-side',
          '-f',
          path.join(EXAMPLES, 'monolithic-router-qwen.yaml'),
        ),
      ).toContain('serverside-applied');
      const table = await run('get', 'inferenceservices');
      expect(table.split('\n')[0]).toMatch(
        /^NAME\s+READY\s+DESIRED\s+PHASE\s+AGE$/,
      );
      expect(table).toMatch(/qwen-multi-node\s+\d+s/);
      expect(
        JSON.parse(
          await run('get', 'inferenceservice', 'qwen-inference', '-o', 'json'),
        ).spec.roles[0].name,
      ).toBe('router');
      expect(
        await run('delete', 'inferenceservice', 'qwen-multi-node'),
      ).toContain('deleted');
    });

    it('applies a `kind: List` document (client-side validation through /openapi/v2 in protobuf)', async () => {
      const list = path.join(path.dirname(kubeconfig), 'list.json');
      const isvc = (name: string) => ({
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name, namespace: 'default' },
        spec: {
          roles: [
            {
              name: 'w',
              componentType: 'worker',
              template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
            },
          ],
        },
      });
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'from-list', namespace: 'default' },
        data: { a: 'b' },
      };
      fs.writeFileSync(
        list,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [isvc('listed'), cm],
        }),
      );
      const out = await run('apply', '-f', list);
      expect(out).toContain('inferenceservice.fusioninfer.io/listed created');
      expect(out).toContain('configmap/from-list created');
    });

    it('runs the generator commands people type (kubectl sends their bodies as protobuf)', async () => {
      expect(await run('create', 'namespace', 'ml')).toContain(
        'namespace/ml created',
      );
      const ml = (...a: string[]) => run('-n', 'ml', ...a);
      expect(
        await ml('create', 'configmap', 'c', '--from-literal=a=b'),
      ).toContain('configmap/c created');
      expect(
        await ml('create', 'secret', 'generic', 's', '--from-literal=k=v'),
      ).toContain('secret/s created');
      expect(await ml('create', 'serviceaccount', 'runner')).toContain(
        'serviceaccount/runner created',
      );
      expect(
        await ml(
          'create',
          'role',
          'reader',
          '--verb=get,list',
          '--resource=pods,pods/proxy',
        ),
      ).toContain('role.rbac.authorization.k8s.io/reader created');
      expect(
        await ml(
          'create',
          'rolebinding',
          'reader',
          '--role=reader',
          '--serviceaccount=ml:runner',
        ),
      ).toContain('rolebinding.rbac.authorization.k8s.io/reader created');
      expect(
        await run(
          'create',
          'clusterrole',
          'node-reader',
          '--verb=get',
          '--resource=nodes',
        ),
      ).toContain('clusterrole.rbac.authorization.k8s.io/node-reader created');
      expect(
        await run(
          'create',
          'clusterrolebinding',
          'node-reader',
          '--clusterrole=node-reader',
          '--user=bob',
        ),
      ).toContain(
        'clusterrolebinding.rbac.authorization.k8s.io/node-reader created',
      );
      expect(
        await ml(
          'create',
          'deployment',
          'web',
          '--image=nginx',
          '--replicas=0',
          '--port=80',
        ),
      ).toContain('deployment.apps/web created');
      expect(
        await ml('create', 'service', 'clusterip', 'web', '--tcp=80:8080'),
      ).toContain('service/web created');
      expect(await ml('run', 'p', '--image=nginx', '--port=80')).toContain(
        'pod/p created',
      );
      expect(
        await ml(
          'create',
          'job',
          'once',
          '--image=busybox',
          '--',
          'echo',
          'hi',
        ),
      ).toContain('job.batch/once created');
      expect((await ml('get', 'jobs')).split('\n')[0]).toMatch(
        /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/,
      );
      const cm = JSON.parse(await ml('get', 'configmap', 'c', '-o', 'json'));
      expect(cm.data).toEqual({ a: 'b' });
      const dep = JSON.parse(
        await ml('get', 'deployment', 'web', '-o', 'json'),
      );
      expect(dep.spec.replicas).toBe(0);
      expect(dep.spec.template.spec.containers[0].ports).toEqual([
        { containerPort: 80, protocol: 'TCP' },
      ]);
      const secret = JSON.parse(await ml('get', 'secret', 's', '-o', 'json'));
      expect(Buffer.from(secret.data.k, 'base64').toString()).toBe('v');
      // the API server's defaults, as kubectl users see them right after a create
      expect(secret.type).toBe('Opaque');
      expect(await ml('get', 'secret', 's')).toMatch(/^s\s+Opaque\s+1\s+/m);
      const svc = JSON.parse(await ml('get', 'service', 'web', '-o', 'json'));
      expect(svc.spec).toMatchObject({
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ports: [
          { name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 },
        ],
      });
      expect(await ml('get', 'service', 'web')).toMatch(
        /^web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+/m,
      );
      const pod = JSON.parse(await ml('get', 'pod', 'p', '-o', 'json'));
      expect(pod.spec).toMatchObject({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
      });
      expect(pod.spec.containers[0]).toMatchObject({
        image: 'nginx',
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      });
    });

    it('rejects unknown fields with a strict decoding error, as a real server does', async () => {
      const bad = path.join(path.dirname(kubeconfig), 'bad.yaml');
      fs.writeFileSync(
        bad,
        exampleText('monolithic-no-router').replace(
          'replicas: 1',
          'replica: 1',
        ),
      );
      let stderr = '';
      try {
        await run('apply', '-f', bad);
      } catch (e) {
        stderr = String((e as { stderr?: string }).stderr);
      }
      expect(stderr).toContain('unknown field "spec.roles[0].replica"');
    });
  },
);
