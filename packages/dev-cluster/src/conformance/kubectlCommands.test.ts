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
 * The commands people type, run with the real kubectl against the development cluster over https (kubectl sends a
 * bearer token only over https) with the simulation running. Skipped, and counted as skipped by Jest, when no kubectl
 * is on the PATH (Debian's kubernetes-client package is 1.20, too old for server-side field validation).
 */

import { execFile, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { loadExample, waitFor } from '@fusioninfer/test-utils';
import { startDevCluster, DevCluster } from '../cluster';

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

jest.setTimeout(30_000);

(kubectl ? describe : describe.skip)('kubectl commands people type', () => {
  let dev: DevCluster;
  let dir: string;
  let kubeconfig: string;
  const run = async (...args: string[]) =>
    (
      await promisify(execFile)(
        'kubectl',
        ['--kubeconfig', kubeconfig, ...args],
        {
          encoding: 'utf8',
        },
      )
    ).stdout;
  const runAs = async (user: string, ...args: string[]) => {
    const file = path.join(dir, `kubeconfig-${user}`);
    if (!fs.existsSync(file)) dev.writeKubeconfig(file, user);
    return (
      await promisify(execFile)('kubectl', ['--kubeconfig', file, ...args], {
        encoding: 'utf8',
      })
    ).stdout;
  };
  const stderrOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return String((e as { stderr?: string }).stderr);
    }
    throw new Error('the command succeeded');
  };
  const isvcType = () =>
    dev.api.findType('fusioninfer.io', 'v1alpha1', 'inferenceservices')!;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-commands-'));
    dev = await startDevCluster({
      tls: { dir },
      tokens: ['admin-token'],
      users: [{ token: 'alice-token', name: 'alice' }],
      namespaces: ['ml', 'other'],
      simulation: { podStartupDelayMs: 300, engine: { timeScale: 50 } },
    });
    kubeconfig = path.join(dir, 'kubeconfig');
    dev.writeKubeconfig(kubeconfig);
    // an InferenceService and the children the controller would create, applied as a user would
    const isvc = loadExample('monolithic-router-qwen.yaml');
    dev.api.create(isvcType(), 'default', isvc, { fieldManager: 'test' });
    const list = path.join(dir, 'children.json');
    fs.writeFileSync(
      list,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: renderInferenceService(isvc, { namespace: 'default' }).children,
      }),
    );
    await run('apply', '-f', list);
    await waitFor(
      async () =>
        JSON.parse(await run('get', 'pods', '-o', 'json')).items.filter(
          (p: any) =>
            p.status?.conditions?.some(
              (c: any) => c.type === 'Ready' && c.status === 'True',
            ),
        ).length >= 2,
      { timeoutMs: 20_000, what: 'the model server and EPP pods' },
    );
  }, 60_000);
  afterAll(() => dev.close());

  it('label, annotate, and patch (merge, json, strategic)', async () => {
    await run('create', 'configmap', 'c', '--from-literal=a=b');
    expect(await run('label', 'configmap', 'c', 'team=ml')).toContain(
      'configmap/c labeled',
    );
    expect(
      await run('annotate', 'inferenceservice', 'qwen-inference', 'note=hi'),
    ).toContain('inferenceservice.fusioninfer.io/qwen-inference annotated');
    await run(
      'patch',
      'configmap',
      'c',
      '--type=merge',
      '-p',
      '{"data":{"m":"1"}}',
    );
    await run(
      'patch',
      'configmap',
      'c',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/data/j","value":"2"}]',
    );
    await run(
      'patch',
      'configmap',
      'c',
      '--type=strategic',
      '-p',
      '{"data":{"s":"3"}}',
    );
    const cm = JSON.parse(await run('get', 'configmap', 'c', '-o', 'json'));
    expect(cm.data).toEqual({ a: 'b', m: '1', j: '2', s: '3' });
    expect(cm.metadata.labels).toEqual({ team: 'ml' });
    // strategic merge is refused for custom resources, as on a real server
    expect(
      await stderrOf(
        run(
          'patch',
          'inferenceservice',
          'qwen-inference',
          '--type=strategic',
          '-p',
          '{"metadata":{"labels":{"a":"b"}}}',
        ),
      ),
    ).toContain('strategic merge patch is not supported');
  });

  it('scale: LeaderWorkerSet and Deployment scale subresources', async () => {
    expect(
      await run(
        'scale',
        'leaderworkerset',
        'qwen-inference-inference-0',
        '--replicas=2',
      ),
    ).toContain('scaled');
    await waitFor(
      async () =>
        (
          await run(
            'get',
            'pods',
            '-l',
            'leaderworkerset.sigs.k8s.io/name=qwen-inference-inference-0',
            '-o',
            'name',
          )
        )
          .trim()
          .split('\n').length === 2,
      { timeoutMs: 10_000, what: 'a second LWS group' },
    );
    const scale = JSON.parse(
      await run(
        'get',
        '--raw',
        '/apis/leaderworkerset.x-k8s.io/v1/namespaces/default/leaderworkersets/qwen-inference-inference-0/scale',
      ),
    );
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
    });
    expect(scale.status.selector).toBe(
      'leaderworkerset.sigs.k8s.io/name=qwen-inference-inference-0,leaderworkerset.sigs.k8s.io/worker-index=0',
    );
    await run(
      'scale',
      'leaderworkerset',
      'qwen-inference-inference-0',
      '--replicas=1',
    );
    await run('create', 'deployment', 'web', '--image=nginx', '--replicas=1');
    expect(await run('scale', 'deployment', 'web', '--replicas=3')).toContain(
      'deployment.apps/web scaled',
    );
    expect(
      JSON.parse(await run('get', 'deployment', 'web', '-o', 'json')).spec
        .replicas,
    ).toBe(3);
    expect(
      await stderrOf(
        run(
          'scale',
          'deployment',
          'web',
          '--replicas=2',
          '--current-replicas=5',
        ),
      ),
    ).toContain('Expected replicas to be 5, was 3');
  });

  it('rollout status and rollout restart of the EPP Deployment', async () => {
    expect(
      await run(
        'rollout',
        'status',
        'deployment/qwen-inference-epp',
        '--timeout=20s',
      ),
    ).toContain('successfully rolled out');
    const before = JSON.parse(
      await run('get', 'pods', '-l', 'app=qwen-inference-epp', '-o', 'json'),
    ).items.map((p: any) => p.metadata.name);
    expect(
      await run('rollout', 'restart', 'deployment/qwen-inference-epp'),
    ).toContain('restarted');
    expect(
      await run(
        'rollout',
        'status',
        'deployment/qwen-inference-epp',
        '--timeout=20s',
      ),
    ).toContain('successfully rolled out');
    const after = await waitFor(async () => {
      const names = JSON.parse(
        await run('get', 'pods', '-l', 'app=qwen-inference-epp', '-o', 'json'),
      ).items.map((p: any) => p.metadata.name);
      return names.length === 1 && names[0] !== before[0] && names;
    });
    expect(after).toHaveLength(1);
  });

  it('wait --for=condition on an InferenceService', async () => {
    const waiting = run(
      'wait',
      '--for=condition=Ready',
      'inferenceservice/qwen-inference',
      '--timeout=20s',
    );
    await new Promise(r => setTimeout(r, 500));
    // the FusionInfer controller's status write
    const live = dev.api.get(isvcType(), 'default', 'qwen-inference');
    dev.api.update(
      isvcType(),
      'default',
      'qwen-inference',
      {
        ...live,
        status: {
          phase: 'Running',
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'AllRolesReady',
              message: 'all roles are ready',
              lastTransitionTime: new Date()
                .toISOString()
                .replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      },
      { subresource: 'status', fieldManager: 'fusioninfer' },
    );
    expect(await waiting).toContain(
      'inferenceservice.fusioninfer.io/qwen-inference condition met',
    );
  });

  it('describe with events (InferenceService, LeaderWorkerSet, pod) and get events', async () => {
    dev.recordEvent(
      dev.api.get(isvcType(), 'default', 'qwen-inference'),
      'Normal',
      'Applied',
      'applied 11 children',
      'fusioninfer-controller',
    );
    const isvc = await run('describe', 'inferenceservice', 'qwen-inference');
    expect(isvc).toMatch(/Events:\s+Type\s+Reason\s+Age\s+From\s+Message/);
    expect(isvc).toMatch(
      /Normal\s+Applied\s+\S+\s+fusioninfer-controller\s+applied 11 children/,
    );
    const lws = await run(
      'describe',
      'leaderworkerset',
      'qwen-inference-inference-0',
    );
    expect(lws).toMatch(
      /Normal\s+GroupsReady\s+\S+\s+leaderworkerset\s+All replicas are ready/,
    );
    const pod = await run('describe', 'pod', 'qwen-inference-inference-0-0');
    expect(pod).toMatch(
      /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/qwen-inference-inference-0-0 to gpu-node-\d/,
    );
    expect(pod).toMatch(
      /Normal\s+Started\s+\S+\s+kubelet\s+Started container vllm/,
    );
    const events = await run('get', 'events');
    expect(events.split('\n')[0]).toMatch(
      /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/,
    );
    expect(events).toMatch(
      /Normal\s+Scheduled\s+pod\/qwen-inference-inference-0-0\s+Successfully assigned/,
    );
    // --sort-by needs whole objects in the Table rows (includeObject=Object)
    const sorted = await run('get', 'events', '--sort-by=.lastTimestamp');
    expect(sorted.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE/);
    expect(sorted).toMatch(/Normal\s+Scheduled\s+pod\/qwen-inference/);
    const byName = await run('get', 'pods', '--sort-by=.metadata.name');
    expect(byName).toMatch(/^NAME\s+READY/);
    const names = byName
      .trim()
      .split('\n')
      .slice(1)
      .map(l => l.split(/\s+/)[0]);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names).toEqual([...names].sort());
    const wide = await run('get', 'events', '-o', 'wide');
    expect(wide.split('\n')[0]).toMatch(
      /SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME$/,
    );
    expect((await run('get', 'pods', '-o', 'wide')).split('\n')[0]).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
    );
    expect(
      (await run('get', 'deployments', '-o', 'wide')).split('\n')[0],
    ).toMatch(/AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  });

  it('logs of a model-server pod follow what it does: loading, serving, requests', async () => {
    const logs = await run('logs', 'qwen-inference-inference-0-0');
    expect(logs).toContain('Starting to load model Qwen/Qwen3-8B...');
    expect(logs).toContain('INFO:     Application startup complete.');
    expect(logs.indexOf('Starting to load model')).toBeLessThan(
      logs.indexOf('Application startup complete'),
    );
    await run(
      'get',
      '--raw',
      '/api/v1/namespaces/default/pods/qwen-inference-inference-0-0:8000/proxy/v1/models',
    );
    expect(
      await run('logs', 'qwen-inference-inference-0-0', '--tail=1'),
    ).toMatch(
      /^INFO: {5}127\.0\.0\.1:\d+ - "GET \/v1\/models HTTP\/1\.1" 200 OK\n$/,
    );
    expect(
      await stderrOf(run('logs', 'qwen-inference-inference-0-0', '--previous')),
    ).toContain(
      'previous terminated container "vllm" in pod "qwen-inference-inference-0-0" not found',
    );
    // -f streams new lines as they are written
    const follow = spawn('kubectl', [
      '--kubeconfig',
      kubeconfig,
      'logs',
      '-f',
      'qwen-inference-inference-0-0',
      '--tail=0',
    ]);
    let streamed = '';
    follow.stdout.on('data', d => {
      streamed += d;
    });
    try {
      await new Promise(r => setTimeout(r, 800));
      await run(
        'get',
        '--raw',
        '/api/v1/namespaces/default/pods/qwen-inference-inference-0-0:8000/proxy/health',
      );
      await waitFor(() => streamed.includes('"GET /health HTTP/1.1" 200'), {
        timeoutMs: 5000,
        what: 'the followed log line',
      });
    } finally {
      follow.kill();
    }
  });

  it('logs of a crash-looping EPP give the reason the program prints', async () => {
    const isvc = loadExample('router-pd-disaggregation-2-decode.yaml');
    // the upstream GIE image lacks the P/D plugins (the default P/D EPP image is llm-d's)
    const children = renderInferenceService(isvc, {
      namespace: 'ml',
      pdEppImage: 'registry.k8s.io/gateway-api-inference-extension/epp:v1.2.1',
    }).children.filter(c =>
      ['ConfigMap', 'Deployment', 'ServiceAccount'].includes(c.kind),
    );
    const list = path.join(dir, 'pd.json');
    fs.writeFileSync(
      list,
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: children }),
    );
    await run('apply', '-f', list);
    const epp = await waitFor(
      async () => {
        const pods = JSON.parse(
          await run('-n', 'ml', 'get', 'pods', '-o', 'json'),
        ).items;
        return pods.find(
          (p: any) =>
            p.metadata.labels?.app?.endsWith('-epp') &&
            p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
              'CrashLoopBackOff',
        );
      },
      { timeoutMs: 10_000, what: 'the crash-looping EPP' },
    );
    const logs = await run('-n', 'ml', 'logs', epp.metadata.name);
    expect(logs).toContain(
      "plugin type 'pd-profile-handler' is not found in registry",
    );
    expect(JSON.parse(logs.trim().split('\n').pop()!)).toMatchObject({
      level: 'error',
      msg: 'Failed to load the EPP configuration',
    });
  });

  it('delete --cascade=orphan keeps the pods; --cascade=foreground removes them first', async () => {
    await run('create', 'deployment', 'orphaner', '--image=nginx');
    const pod = await waitFor(async () =>
      (await run('get', 'pods', '-l', 'app=orphaner', '-o', 'name')).trim(),
    );
    expect(
      await run('delete', 'deployment', 'orphaner', '--cascade=orphan'),
    ).toContain('deleted');
    await new Promise(r => setTimeout(r, 300));
    const orphan = JSON.parse(await run('get', pod, '-o', 'json'));
    expect(orphan.metadata.ownerReferences ?? []).toEqual([]);
    await run('create', 'deployment', 'fg', '--image=nginx');
    await waitFor(async () =>
      (await run('get', 'pods', '-l', 'app=fg', '-o', 'name')).trim(),
    );
    expect(
      await run('delete', 'deployment', 'fg', '--cascade=foreground'),
    ).toContain('deleted');
    expect(
      (await run('get', 'pods', '-l', 'app=fg', '-o', 'name')).trim(),
    ).toBe('');
  });

  it('create job runs the program to completion: wait --for=condition=complete, logs job/…', async () => {
    expect(
      await run(
        'create',
        'job',
        'hello',
        '--image=busybox',
        '--',
        'echo',
        'hello from the job',
      ),
    ).toContain('job.batch/hello created');
    expect(
      await run(
        'wait',
        '--for=condition=complete',
        'job/hello',
        '--timeout=20s',
      ),
    ).toContain('job.batch/hello condition met');
    expect(await run('logs', 'job/hello')).toBe('hello from the job\n');
    expect(await run('get', 'job', 'hello')).toMatch(
      /hello\s+Complete\s+1\/1\s+\S+\s+\S+/,
    );
    expect(await run('get', 'pods', '-l', 'job-name=hello')).toMatch(
      /0\/1\s+Completed\s+0/,
    );
  });

  it('run --restart=Never -- sleep 3600: the bare pod is Ready (wait --for=condition=Ready); one too big for any node stays Pending', async () => {
    expect(
      await run(
        'run',
        'probe',
        '--image=busybox:1.36',
        '--restart=Never',
        '--',
        'sleep',
        '3600',
      ),
    ).toContain('pod/probe created');
    expect(
      await run('wait', '--for=condition=Ready', 'pod/probe', '--timeout=60s'),
    ).toContain('pod/probe condition met');
    expect(await run('get', 'pod', 'probe')).toMatch(
      /^probe\s+1\/1\s+Running\s+0\s+/m,
    );
    const image = 'vllm/vllm-openai:v0.27.1';
    await run(
      'run',
      'huge',
      `--image=${image}`,
      '--restart=Never',
      `--overrides=${JSON.stringify({
        spec: {
          containers: [
            {
              name: 'huge',
              image,
              resources: { limits: { 'nvidia.com/gpu': '16' } },
            },
          ],
        },
      })}`,
    );
    expect(
      await run(
        'wait',
        '--for=jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}=Unschedulable',
        'pod/huge',
        '--timeout=20s',
      ),
    ).toContain('pod/huge condition met');
    expect(await run('get', 'pod', 'huge')).toMatch(
      /^huge\s+0\/1\s+Pending\s+0\s+/m,
    );
    expect(await run('describe', 'pod', 'huge')).toMatch(
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/4 nodes are available: 4 Insufficient nvidia\.com\/gpu\./,
    );
  }, 90_000);

  it('get -w prints rows with the same columns as the list', async () => {
    const watch = spawn('kubectl', [
      '--kubeconfig',
      kubeconfig,
      'get',
      'configmaps',
      '-w',
      '-n',
      'other',
    ]);
    let out = '';
    watch.stdout.on('data', d => {
      out += d;
    });
    try {
      await new Promise(r => setTimeout(r, 800));
      await run(
        '-n',
        'other',
        'create',
        'configmap',
        'watched',
        '--from-literal=a=b',
      );
      await waitFor(() => /watched\s+1\s+\d+s/.test(out), {
        timeoutMs: 5000,
        what: 'the watched row',
      });
      expect(out.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    } finally {
      watch.kill();
    }
  });

  it('kubectl version: the server is within the supported skew of this kubectl', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'version'],
      { encoding: 'utf8' },
    );
    expect(stdout).toMatch(/Server Version: v1\.33\.\d+-fusioninfer-dev/);
    const client = Number(/Client Version: v1\.(\d+)/.exec(stdout)?.[1]);
    expect(
      `${stdout}${stderr}`.includes('exceeds the supported minor version skew'),
    ).toBe(!(client >= 32 && client <= 34));
  });

  it('explain inferenceservice.spec', async () => {
    const out = await run('explain', 'inferenceservice.spec');
    expect(out).toContain('KIND:       InferenceService');
    expect(out).toMatch(/roles\s+<\[\]Object> -required-/);
  });

  it('auth can-i for the admin and for a namespace-scoped user', async () => {
    expect((await run('auth', 'can-i', 'delete', 'nodes')).trim()).toBe('yes');
    await run(
      '-n',
      'ml',
      'create',
      'role',
      'pod-reader',
      '--verb=get,list',
      '--resource=pods',
    );
    await run(
      '-n',
      'ml',
      'create',
      'rolebinding',
      'alice-reads',
      '--role=pod-reader',
      '--user=alice',
    );
    expect(
      (
        await runAs('alice', '-n', 'ml', 'auth', 'can-i', 'list', 'pods')
      ).trim(),
    ).toBe('yes');
    // "no" and exit code 1, as kubectl answers a denied review
    const denied = await runAs(
      'alice',
      '-n',
      'other',
      'auth',
      'can-i',
      'list',
      'pods',
    ).catch(e => ({ code: e.code, stdout: String(e.stdout) }));
    expect(denied).toEqual({ code: 1, stdout: 'no\n' });
    // the admin checking another user's permissions (impersonation, --as)
    expect(
      (
        await run('-n', 'ml', 'auth', 'can-i', 'list', 'pods', '--as=alice')
      ).trim(),
    ).toBe('yes');
    const deniedAs = await run(
      '-n',
      'other',
      'auth',
      'can-i',
      'list',
      'pods',
      '--as=alice',
    ).catch(e => ({ code: e.code, stdout: String(e.stdout) }));
    expect(deniedAs).toEqual({ code: 1, stdout: 'no\n' });
    expect(
      await stderrOf(runAs('alice', '-n', 'ml', 'get', 'pods', '-A')),
    ).toContain(
      'User "alice" cannot list resource "pods" in API group "" at the cluster scope',
    );
    expect(
      await stderrOf(
        runAs('alice', '-n', 'ml', 'get', 'pods', 'x', '--subresource=status'),
      ),
    ).toContain('Forbidden');
    expect(await runAs('alice', '-n', 'ml', 'auth', 'can-i', '--list')).toMatch(
      /pods\s+\[\]\s+\[\]\s+\[get list\]/,
    );
    expect(await runAs('alice', 'auth', 'whoami')).toMatch(/Username\s+alice/);
    // --as a ServiceAccount: its groups, and impersonate on serviceaccounts (not users) in its namespace
    const whoAsSa = await run(
      'auth',
      'whoami',
      '--as=system:serviceaccount:ml:runner',
    );
    expect(whoAsSa).toMatch(/Username\s+system:serviceaccount:ml:runner/);
    expect(whoAsSa).toMatch(
      /Groups\s+\[system:serviceaccounts system:serviceaccounts:ml system:authenticated\]/,
    );
    expect(
      await stderrOf(
        runAs('alice', 'get', 'pods', '--as=system:serviceaccount:ml:runner'),
      ),
    ).toContain(
      'User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ml"',
    );
  });
});
