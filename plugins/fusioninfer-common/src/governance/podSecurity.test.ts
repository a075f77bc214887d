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

import { parse } from 'yaml';
import { loadExample, loadExamples } from '../__testUtils__/examples';
import {
  checkPodSecurity,
  DEFAULT_POD_SECURITY_PROFILE,
  isPodSecurityLevel,
  POD_SECURITY_LIMITS,
  POD_SECURITY_RULES as R,
  PodSecurityProfile,
  podSecurityLevels,
} from './podSecurity';

const BASELINE: PodSecurityProfile = { level: 'baseline-gpu' };
const RESTRICTED: PodSecurityProfile = { level: 'restricted-gpu' };
const ROLE = 'spec.roles[0].template';
const POD = `${ROLE}.spec`;
const C0 = `${POD}.containers[0]`;
const SC = `${C0}.securityContext`;
const PSC = `${POD}.securityContext`;

type Json = Record<string, any>;

/** One worker role with one vLLM container; `pod` and `container` are merged into the pod spec and container. */
function service(pod: Json = {}, container: Json = {}): Json {
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'qwen' },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.27.1',
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                  ...container,
                },
              ],
              ...pod,
            },
          },
        },
      ],
    },
  };
}

/** A service that passes restricted-gpu; the patches are merged into the pod and container security contexts. */
function restrictedService(
  podSc: Json = {},
  containerSc: Json = {},
  pod: Json = {},
  container: Json = {},
): Json {
  return service(
    {
      securityContext: {
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        ...podSc,
      },
      ...pod,
    },
    {
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        ...containerSc,
      },
      ...container,
    },
  );
}

const brief = (isvc: unknown, profile: PodSecurityProfile = BASELINE) =>
  checkPodSecurity(isvc, profile).map(v => `${v.path} | ${v.rule}`);

describe('levels', () => {
  it('are the three profiles, baseline-gpu by default (frozen)', () => {
    expect(podSecurityLevels).toEqual([
      'privileged',
      'baseline-gpu',
      'restricted-gpu',
    ]);
    expect(DEFAULT_POD_SECURITY_PROFILE).toEqual({ level: 'baseline-gpu' });
    expect(Object.isFrozen(DEFAULT_POD_SECURITY_PROFILE)).toBe(true);
    expect(isPodSecurityLevel('restricted-gpu')).toBe(true);
    expect(isPodSecurityLevel('restricted')).toBe(false);
    expect(isPodSecurityLevel(undefined)).toBe(false);
  });
});

describe('the upstream examples', () => {
  const examples = loadExamples();

  it('are the 13 manifests', () => {
    expect(Object.keys(examples)).toHaveLength(13);
  });

  it.each(Object.keys(examples))('%s passes baseline-gpu', name => {
    expect(checkPodSecurity(examples[name], BASELINE)).toEqual([]);
    expect(
      checkPodSecurity(examples[name], DEFAULT_POD_SECURITY_PROFILE),
    ).toEqual([]);
  });

  it('include the /dev/shm emptyDir with medium: Memory that multi-node vLLM needs', () => {
    const isvc = loadExample('multi-node-router');
    expect(isvc.spec.roles[1].template?.spec).toMatchObject({
      volumes: [{ name: 'shm', emptyDir: { medium: 'Memory' } }],
    });
    expect(checkPodSecurity(isvc, BASELINE)).toEqual([]);
  });

  it.each(Object.keys(examples))(
    '%s passes privileged and fails restricted-gpu only for missing hardening',
    name => {
      expect(checkPodSecurity(examples[name], { level: 'privileged' })).toEqual(
        [],
      );
      const rules = new Set(
        checkPodSecurity(examples[name], RESTRICTED).map(v => v.rule),
      );
      expect(rules.size).toBeGreaterThan(0); // they set no security context
      for (const rule of rules)
        expect([
          R.privilegeEscalation,
          R.runAsNonRoot,
          R.dropAll,
          R.restrictedSeccomp,
        ]).toContain(rule);
    },
  );
});

describe("the review's privileged template (N-H3)", () => {
  // $SCRATCH/priv.yaml of security-review-41a64b0.md, as described there.
  const priv = parse(`
apiVersion: fusioninfer.io/v1alpha1
kind: InferenceService
metadata:
  name: tiny
spec:
  roles:
    - name: inference
      componentType: worker
      template:
        spec:
          serviceAccountName: clusterrole-aggregation-controller
          hostNetwork: true
          hostPID: true
          nodeName: control-plane
          tolerations:
            - operator: Exists
          containers:
            - name: sh
              image: alpine
              command: ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "sh"]
              securityContext:
                privileged: true
              volumeMounts:
                - name: root
                  mountPath: /host
          volumes:
            - name: root
              hostPath:
                path: /
`);

  it('is refused with every dangerous field named', () => {
    const violations = checkPodSecurity(priv, DEFAULT_POD_SECURITY_PROFILE);
    expect(violations.map(v => `${v.path} | ${v.rule}`)).toEqual([
      `${POD}.hostNetwork | ${R.hostNamespaces}`,
      `${POD}.hostPID | ${R.hostNamespaces}`,
      `${POD}.serviceAccountName | ${R.serviceAccount}`,
      `${POD}.volumes[0].hostPath | ${R.hostPath}`,
      `${SC}.privileged | ${R.privileged}`,
    ]);
    for (const v of violations) expect(v.message).toMatch(/remove|use/);
    expect(violations[2].message).toContain(
      '"clusterrole-aggregation-controller"',
    );
    expect(violations[3].message).toContain('"/" of the node');
  });

  it('is refused by restricted-gpu too, and allowed only by privileged', () => {
    expect(checkPodSecurity(priv, RESTRICTED).length).toBeGreaterThan(5);
    expect(checkPodSecurity(priv, { level: 'privileged' })).toEqual([]);
  });

  it('does not pass by listing the service account alone', () => {
    expect(
      brief(priv, {
        level: 'baseline-gpu',
        serviceAccounts: ['clusterrole-aggregation-controller'],
      }),
    ).toHaveLength(4);
  });
});

describe('baseline-gpu rules, each allowed and refused', () => {
  const allowed: Array<[string, Json, Json?, PodSecurityProfile?]> = [
    ['nothing set', {}],
    [
      'hostNetwork/hostPID/hostIPC false',
      { hostNetwork: false, hostPID: false, hostIPC: false },
    ],
    ['serviceAccountName default', { serviceAccountName: 'default' }],
    ['serviceAccountName empty', { serviceAccountName: '' }],
    [
      'a listed service account',
      { serviceAccountName: 'model-puller', serviceAccount: 'model-puller' },
      {},
      { level: 'baseline-gpu', serviceAccounts: ['model-puller'] },
    ],
    [
      'automountServiceAccountToken true',
      { automountServiceAccountToken: true },
    ],
    [
      'emptyDir medium Memory at /dev/shm',
      {
        volumes: [
          { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '10Gi' } },
        ],
      },
      { volumeMounts: [{ name: 'shm', mountPath: '/dev/shm' }] },
    ],
    [
      'configMap, secret, PVC, csi and nfs volumes',
      {
        volumes: [
          { name: 'a', configMap: { name: 'c' } },
          { name: 'b', secret: { secretName: 's' } },
          { name: 'c', persistentVolumeClaim: { claimName: 'models' } },
          { name: 'd', csi: { driver: 'x' } },
          { name: 'e', nfs: { server: 'n', path: '/models' } },
        ],
      },
    ],
    [
      'hostPath: null (no host path)',
      { volumes: [{ name: 'a', hostPath: null, emptyDir: {} }] },
    ],
    [
      'a hostPath under allowedHostPaths',
      {
        volumes: [
          { name: 'ib', hostPath: { path: '/dev/infiniband/uverbs0' } },
        ],
      },
      {},
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
    [
      'a hostPath equal to an allowed path, written with // and a trailing /',
      { volumes: [{ name: 'ib', hostPath: { path: '/dev//infiniband/' } }] },
      {},
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband/'] },
    ],
    ['privileged false', {}, { securityContext: { privileged: false } }],
    [
      'baseline capabilities',
      {},
      {
        securityContext: {
          capabilities: {
            add: [
              'AUDIT_WRITE',
              'CHOWN',
              'DAC_OVERRIDE',
              'FOWNER',
              'FSETID',
              'KILL',
              'MKNOD',
              'NET_BIND_SERVICE',
              'SETFCAP',
              'SETGID',
              'SETPCAP',
              'SETUID',
              'SYS_CHROOT',
            ],
            drop: ['NET_RAW'],
          },
        },
      },
    ],
    [
      'IPC_LOCK for RDMA / NCCL',
      {},
      { securityContext: { capabilities: { add: ['IPC_LOCK'] } } },
    ],
    [
      'a capability of allowedCapabilities',
      {},
      { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } },
      { level: 'baseline-gpu', allowedCapabilities: ['SYS_PTRACE'] },
    ],
    [
      'hostPort 0 and unset',
      {},
      {
        ports: [{ containerPort: 8000 }, { containerPort: 8001, hostPort: 0 }],
      },
    ],
    ['procMount Default', {}, { securityContext: { procMount: 'Default' } }],
    [
      'seccomp RuntimeDefault / Localhost',
      { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
      {
        securityContext: {
          seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
        },
      },
    ],
    [
      'AppArmor RuntimeDefault / Localhost',
      {
        securityContext: {
          appArmorProfile: { type: 'Localhost', localhostProfile: 'p' },
        },
      },
      { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } },
    ],
    [
      'SELinux container_t with a level',
      {
        securityContext: {
          seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' },
        },
      },
      {
        securityContext: {
          seLinuxOptions: { type: 'container_init_t', user: '', role: '' },
        },
      },
    ],
    [
      'safe sysctls',
      {
        securityContext: {
          sysctls: [
            { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
            { name: 'kernel.shm_rmid_forced', value: '1' },
            { name: 'net.ipv4.tcp_keepalive_time', value: '60' },
          ],
        },
      },
    ],
    [
      'hostProcess false',
      { securityContext: { windowsOptions: { hostProcess: false } } },
      { securityContext: { windowsOptions: { hostProcess: false } } },
    ],
    [
      'runAsUser 0 (baseline does not require non-root)',
      { securityContext: { runAsUser: 0 } },
    ],
  ];
  it.each(allowed)(
    'allows %s',
    (_, pod, container = {}, profile = BASELINE) => {
      expect(brief(service(pod, container), profile)).toEqual([]);
    },
  );

  const refused: Array<
    [string, Json, Json, string, string, PodSecurityProfile?]
  > = [
    [
      'hostNetwork',
      { hostNetwork: true },
      {},
      `${POD}.hostNetwork`,
      R.hostNamespaces,
    ],
    ['hostPID', { hostPID: true }, {}, `${POD}.hostPID`, R.hostNamespaces],
    ['hostIPC', { hostIPC: true }, {}, `${POD}.hostIPC`, R.hostNamespaces],
    [
      'hostNetwork as a string',
      { hostNetwork: 'true' },
      {},
      `${POD}.hostNetwork`,
      R.hostNamespaces,
    ],
    [
      'a foreign serviceAccountName',
      { serviceAccountName: 'admin' },
      {},
      `${POD}.serviceAccountName`,
      R.serviceAccount,
    ],
    [
      'a foreign deprecated serviceAccount',
      { serviceAccount: 'admin' },
      {},
      `${POD}.serviceAccount`,
      R.serviceAccount,
    ],
    [
      'a service account not in the list',
      { serviceAccountName: 'admin' },
      {},
      `${POD}.serviceAccountName`,
      R.serviceAccount,
      { level: 'baseline-gpu', serviceAccounts: ['model-puller'] },
    ],
    [
      'a hostPath volume',
      { volumes: [{ name: 'shm', hostPath: { path: '/dev/shm' } }] },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
    ],
    [
      'a hostPath sharing a prefix but not a / boundary',
      { volumes: [{ name: 'x', hostPath: { path: '/dev/infinibandx' } }] },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
    [
      'a hostPath escaping with ..',
      {
        volumes: [
          { name: 'x', hostPath: { path: '/dev/infiniband/../../etc' } },
        ],
      },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
    [
      'a relative hostPath',
      { volumes: [{ name: 'x', hostPath: { path: 'dev/infiniband' } }] },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
    [
      'a hostPath without a path',
      { volumes: [{ name: 'x', hostPath: {} }] },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
      { level: 'baseline-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
    [
      'a hostPath as a string',
      { volumes: [{ name: 'x', hostPath: '/' }] },
      {},
      `${POD}.volumes[0].hostPath`,
      R.hostPath,
    ],
    [
      'privileged',
      {},
      { securityContext: { privileged: true } },
      `${SC}.privileged`,
      R.privileged,
    ],
    [
      'SYS_ADMIN',
      {},
      { securityContext: { capabilities: { add: ['IPC_LOCK', 'SYS_ADMIN'] } } },
      `${SC}.capabilities.add[1]`,
      R.capabilities,
    ],
    [
      'ALL capabilities',
      {},
      { securityContext: { capabilities: { add: ['ALL'] } } },
      `${SC}.capabilities.add[0]`,
      R.capabilities,
    ],
    [
      'a CAP_-prefixed name',
      {},
      { securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } },
      `${SC}.capabilities.add[0]`,
      R.capabilities,
    ],
    [
      'NET_RAW (not in the baseline set)',
      {},
      { securityContext: { capabilities: { add: ['NET_RAW'] } } },
      `${SC}.capabilities.add[0]`,
      R.capabilities,
    ],
    [
      'capabilities.add as a string',
      {},
      { securityContext: { capabilities: { add: 'SYS_ADMIN' } } },
      `${SC}.capabilities.add`,
      `baseline-gpu: ${R.malformed}`,
    ],
    [
      'a hostPort',
      {},
      { ports: [{ containerPort: 8000, hostPort: 8000 }] },
      `${C0}.ports[0].hostPort`,
      R.hostPorts,
    ],
    [
      'procMount Unmasked',
      {},
      { securityContext: { procMount: 'Unmasked' } },
      `${SC}.procMount`,
      R.procMount,
    ],
    [
      'pod seccomp Unconfined',
      { securityContext: { seccompProfile: { type: 'Unconfined' } } },
      {},
      `${PSC}.seccompProfile.type`,
      R.seccomp,
    ],
    [
      'container seccomp Unconfined',
      {},
      { securityContext: { seccompProfile: { type: 'Unconfined' } } },
      `${SC}.seccompProfile.type`,
      R.seccomp,
    ],
    [
      'pod AppArmor Unconfined',
      { securityContext: { appArmorProfile: { type: 'Unconfined' } } },
      {},
      `${PSC}.appArmorProfile.type`,
      R.appArmor,
    ],
    [
      'container AppArmor Unconfined',
      {},
      { securityContext: { appArmorProfile: { type: 'Unconfined' } } },
      `${SC}.appArmorProfile.type`,
      R.appArmor,
    ],
    [
      'pod SELinux type spc_t',
      { securityContext: { seLinuxOptions: { type: 'spc_t' } } },
      {},
      `${PSC}.seLinuxOptions.type`,
      R.seLinux,
    ],
    [
      'container SELinux user',
      {},
      { securityContext: { seLinuxOptions: { user: 'system_u' } } },
      `${SC}.seLinuxOptions.user`,
      R.seLinux,
    ],
    [
      'container SELinux role',
      {},
      { securityContext: { seLinuxOptions: { role: 'sysadm_r' } } },
      `${SC}.seLinuxOptions.role`,
      R.seLinux,
    ],
    [
      'an unsafe sysctl',
      {
        securityContext: {
          sysctls: [
            { name: 'kernel.shm_rmid_forced', value: '1' },
            { name: 'kernel.msgmax', value: '1' },
          ],
        },
      },
      {},
      `${PSC}.sysctls[1].name`,
      R.sysctls,
    ],
    [
      'pod hostProcess',
      { securityContext: { windowsOptions: { hostProcess: true } } },
      {},
      `${PSC}.windowsOptions.hostProcess`,
      R.hostProcess,
    ],
    [
      'container hostProcess',
      {},
      { securityContext: { windowsOptions: { hostProcess: true } } },
      `${SC}.windowsOptions.hostProcess`,
      R.hostProcess,
    ],
    [
      'securityContext as a string',
      {},
      { securityContext: 'privileged' },
      SC,
      `baseline-gpu: ${R.malformed}`,
    ],
  ];
  it.each(refused)(
    'refuses %s',
    (_, pod, container, path, rule, profile = BASELINE) => {
      const violations = checkPodSecurity(service(pod, container), profile);
      expect(violations.map(v => `${v.path} | ${v.rule}`)).toEqual([
        `${path} | ${rule}`,
      ]);
      expect(violations[0].message.length).toBeGreaterThan(10);
    },
  );

  it('refuses an AppArmor annotation set to unconfined and allows runtime/default', () => {
    const isvc = service();
    isvc.spec.roles[0].template.metadata = {
      annotations: {
        'container.apparmor.security.beta.kubernetes.io/vllm': 'unconfined',
        'container.apparmor.security.beta.kubernetes.io/init':
          'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/side': 'localhost/p',
        'example.com/other': 'unconfined',
      },
    };
    expect(brief(isvc)).toEqual([
      `${ROLE}.metadata.annotations["container.apparmor.security.beta.kubernetes.io/vllm"] | ${R.appArmor}`,
    ]);
  });

  it('checks init containers and ephemeral containers like containers', () => {
    const isvc = service({
      initContainers: [
        { name: 'fetch', image: 'a' },
        {
          name: 'sidecar',
          image: 'b',
          restartPolicy: 'Always',
          securityContext: { privileged: true },
        },
      ],
      ephemeralContainers: [
        {
          name: 'debug',
          image: 'c',
          securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
        },
      ],
    });
    expect(brief(isvc)).toEqual([
      `${POD}.initContainers[1].securityContext.privileged | ${R.privileged}`,
      `${POD}.ephemeralContainers[0].securityContext.capabilities.add[0] | ${R.capabilities}`,
    ]);
  });

  it('checks every workload role, not the router (its template is ignored: the EPP has a fixed one)', () => {
    const isvc = loadExample('router-pd-disaggregation-2-decode') as Json;
    const routerIndex = isvc.spec.roles.findIndex(
      (r: Json) => r.componentType === 'router',
    );
    isvc.spec.roles[routerIndex].template = {
      spec: { hostNetwork: true, containers: [] },
    };
    expect(brief(isvc)).toEqual([]);
    const last = isvc.spec.roles.length - 1;
    expect(last).not.toBe(routerIndex);
    isvc.spec.roles[last].template.spec.hostIPC = true;
    expect(brief(isvc)).toEqual([
      `spec.roles[${last}].template.spec.hostIPC | ${R.hostNamespaces}`,
    ]);
  });

  it('checks a role whose componentType is unknown or missing', () => {
    const isvc = service({ hostPID: true });
    delete isvc.spec.roles[0].componentType;
    expect(brief(isvc)).toEqual([`${POD}.hostPID | ${R.hostNamespaces}`]);
  });
});

describe('restricted-gpu rules, each allowed and refused', () => {
  it('allows the hardened service, and every allowed volume type', () => {
    expect(brief(restrictedService(), RESTRICTED)).toEqual([]);
    const volumes = [
      { name: 'a', configMap: { name: 'c' } },
      { name: 'b', csi: { driver: 'd' } },
      { name: 'c', downwardAPI: { items: [] } },
      { name: 'shm', emptyDir: { medium: 'Memory' } },
      { name: 'e', ephemeral: { volumeClaimTemplate: {} } },
      { name: 'f', persistentVolumeClaim: { claimName: 'models' } },
      { name: 'g', projected: { sources: [] } },
      { name: 'h', secret: { secretName: 's' } },
    ];
    expect(brief(restrictedService({}, {}, { volumes }), RESTRICTED)).toEqual(
      [],
    );
  });

  const allowed: Array<
    [string, Json, Json, Json?, Json?, PodSecurityProfile?]
  > = [
    [
      'runAsNonRoot on every container instead of the pod',
      { runAsNonRoot: undefined },
      { runAsNonRoot: true },
    ],
    [
      'seccomp on every container instead of the pod',
      { seccompProfile: undefined },
      { seccompProfile: { type: 'Localhost', localhostProfile: 'p' } },
    ],
    ['a non-zero runAsUser', { runAsUser: 1000 }, { runAsUser: 1001 }],
    [
      'adding NET_BIND_SERVICE and IPC_LOCK after dropping ALL',
      {},
      {
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'IPC_LOCK'] },
      },
    ],
    [
      'adding a capability of allowedCapabilities',
      {},
      { capabilities: { drop: ['ALL'], add: ['SYS_PTRACE'] } },
      {},
      {},
      { level: 'restricted-gpu', allowedCapabilities: ['SYS_PTRACE'] },
    ],
    [
      'a volume type of allowedVolumeTypes',
      {},
      {},
      { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] },
      {},
      { level: 'restricted-gpu', allowedVolumeTypes: ['nfs'] },
    ],
    [
      'a hostPath under allowedHostPaths',
      {},
      {},
      { volumes: [{ name: 'ib', hostPath: { path: '/dev/infiniband' } }] },
      {},
      { level: 'restricted-gpu', allowedHostPaths: ['/dev/infiniband'] },
    ],
  ];
  it.each(allowed)(
    'allows %s',
    (_, podSc, containerSc, pod = {}, container = {}, profile = RESTRICTED) => {
      expect(
        brief(restrictedService(podSc, containerSc, pod, container), profile),
      ).toEqual([]);
    },
  );

  const refused: Array<[string, Json, Json, Json, string[]]> = [
    [
      'allowPrivilegeEscalation unset',
      {},
      { allowPrivilegeEscalation: undefined },
      {},
      [`${SC}.allowPrivilegeEscalation | ${R.privilegeEscalation}`],
    ],
    [
      'allowPrivilegeEscalation true',
      {},
      { allowPrivilegeEscalation: true },
      {},
      [`${SC}.allowPrivilegeEscalation | ${R.privilegeEscalation}`],
    ],
    [
      'runAsNonRoot nowhere',
      { runAsNonRoot: undefined },
      {},
      {},
      [`${SC}.runAsNonRoot | ${R.runAsNonRoot}`],
    ],
    [
      'runAsNonRoot false on the pod',
      { runAsNonRoot: false },
      { runAsNonRoot: true },
      {},
      [`${PSC}.runAsNonRoot | ${R.runAsNonRoot}`],
    ],
    [
      'runAsNonRoot false on a container',
      {},
      { runAsNonRoot: false },
      {},
      [`${SC}.runAsNonRoot | ${R.runAsNonRoot}`],
    ],
    [
      'runAsUser 0 on the pod',
      { runAsUser: 0 },
      {},
      {},
      [`${PSC}.runAsUser | ${R.runAsUser}`],
    ],
    [
      'runAsUser 0 on a container',
      {},
      { runAsUser: 0 },
      {},
      [`${SC}.runAsUser | ${R.runAsUser}`],
    ],
    [
      'capabilities that do not drop ALL',
      {},
      { capabilities: { drop: ['NET_RAW'] } },
      {},
      [`${SC}.capabilities.drop | ${R.dropAll}`],
    ],
    [
      'no capabilities at all',
      {},
      { capabilities: undefined },
      {},
      [`${SC}.capabilities.drop | ${R.dropAll}`],
    ],
    [
      'adding CHOWN (baseline, not restricted)',
      {},
      { capabilities: { drop: ['ALL'], add: ['CHOWN'] } },
      {},
      [`${SC}.capabilities.add[0] | ${R.restrictedCapabilities}`],
    ],
    [
      'adding SYS_ADMIN (names the baseline rule once)',
      {},
      { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } },
      {},
      [`${SC}.capabilities.add[0] | ${R.capabilities}`],
    ],
    [
      'seccomp nowhere',
      { seccompProfile: undefined },
      {},
      {},
      [`${SC}.seccompProfile.type | ${R.restrictedSeccomp}`],
    ],
    [
      'an nfs volume',
      {},
      {},
      { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] },
      [`${POD}.volumes[0].nfs | ${R.volumeTypes}`],
    ],
    [
      'a hostPath volume (named once, by the hostPath rule)',
      {},
      {},
      { volumes: [{ name: 'h', hostPath: { path: '/var' } }] },
      [`${POD}.volumes[0].hostPath | ${R.hostPath}`],
    ],
  ];
  it.each(refused)('refuses %s', (_, podSc, containerSc, pod, expected) => {
    expect(
      brief(restrictedService(podSc, containerSc, pod), RESTRICTED),
    ).toEqual(expected);
    // baseline-gpu does not have these rules (apart from what it refuses itself)
    expect(
      checkPodSecurity(
        restrictedService(podSc, containerSc, pod),
        BASELINE,
      ).every(v => v.rule.startsWith('baseline-gpu:')),
    ).toBe(true);
  });

  it('applies the baseline rules too', () => {
    expect(
      brief(
        restrictedService({}, { privileged: true }, { hostIPC: true }),
        RESTRICTED,
      ),
    ).toEqual([
      `${POD}.hostIPC | ${R.hostNamespaces}`,
      `${SC}.privileged | ${R.privileged}`,
    ]);
  });

  it('checks every container list', () => {
    const isvc = restrictedService(
      {},
      {},
      {
        initContainers: [{ name: 'init', image: 'i' }],
        ephemeralContainers: [{ name: 'dbg', image: 'd' }],
      },
    );
    expect(brief(isvc, RESTRICTED)).toEqual([
      `${POD}.initContainers[0].securityContext.capabilities.drop | ${R.dropAll}`,
      `${POD}.initContainers[0].securityContext.allowPrivilegeEscalation | ${R.privilegeEscalation}`,
      `${POD}.ephemeralContainers[0].securityContext.capabilities.drop | ${R.dropAll}`,
      `${POD}.ephemeralContainers[0].securityContext.allowPrivilegeEscalation | ${R.privilegeEscalation}`,
    ]);
  });
});

describe('the privileged level', () => {
  it('checks nothing', () => {
    expect(
      checkPodSecurity(
        service(
          { hostNetwork: true },
          { securityContext: { privileged: true } },
        ),
        { level: 'privileged' },
      ),
    ).toEqual([]);
  });
});

describe('hostile input never throws', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'spec'],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
    ['a list', [1, 2]],
    ['no spec', {}],
    [
      'roles of non-objects',
      {
        spec: {
          roles: [
            null,
            1,
            'x',
            [],
            { template: 5 },
            { template: { spec: 'x' } },
          ],
        },
      },
    ],
    ['containers of non-objects', service({ containers: [null, 1, 'c', []] })],
  ])('%s gives no violation (it has no pod template)', (_, input) => {
    expect(checkPodSecurity(input, BASELINE)).toEqual([]);
    expect(checkPodSecurity(input, RESTRICTED)).toEqual([]);
  });

  it('reports lists and objects of the wrong type as malformed, fail-closed', () => {
    expect(brief({ spec: { roles: { 0: { template: {} } } } })).toEqual([
      `spec.roles | baseline-gpu: ${R.malformed}`,
    ]);
    expect(
      brief(
        service({
          volumes: 'hostPath',
          securityContext: [],
          containers: { 0: { securityContext: { privileged: true } } },
        }),
      ),
    ).toEqual([
      `${PSC} | baseline-gpu: ${R.malformed}`,
      `${POD}.volumes | baseline-gpu: ${R.malformed}`,
      `${POD}.containers | baseline-gpu: ${R.malformed}`,
    ]);
  });

  it('reports throwing getters as unreadable fields', () => {
    const isvc = service();
    const c = isvc.spec.roles[0].template.spec.containers[0];
    Object.defineProperty(c, 'securityContext', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    Object.defineProperty(isvc.spec.roles[0].template.spec, 'hostPID', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(brief(isvc)).toEqual([
      `${POD}.hostPID | baseline-gpu: ${R.unreadable}`,
      `${SC} | baseline-gpu: ${R.unreadable}`,
    ]);
  });

  it('survives proxies whose traps throw, and revoked proxies', () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('get');
        },
        has() {
          throw new Error('has');
        },
        ownKeys() {
          throw new Error('ownKeys');
        },
        getOwnPropertyDescriptor() {
          throw new Error('gopd');
        },
        getPrototypeOf() {
          throw new Error('proto');
        },
      },
    );
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const hostile of [throwing, revocable.proxy]) {
      expect(() => checkPodSecurity(hostile, BASELINE)).not.toThrow();
      expect(() =>
        checkPodSecurity(
          service(
            { volumes: [hostile], securityContext: hostile },
            { securityContext: hostile },
          ),
          RESTRICTED,
        ),
      ).not.toThrow();
      expect(() =>
        checkPodSecurity(
          {
            spec: {
              roles: [
                {
                  template: {
                    spec: { containers: [hostile], volumes: hostile },
                  },
                },
              ],
            },
          },
          BASELINE,
        ),
      ).not.toThrow();
      expect(() => checkPodSecurity(service(), hostile as any)).not.toThrow();
    }
    // a pod spec that cannot be read at all is a violation, never a pass
    expect(
      checkPodSecurity(service({ securityContext: throwing }), BASELINE).length,
    ).toBeGreaterThan(0);
    expect(
      checkPodSecurity(
        { spec: { roles: [{ template: { spec: throwing } }] } },
        BASELINE,
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: `baseline-gpu: ${R.unreadable}` }),
      ]),
    );
  });

  it('bounds huge lists: a list past the bound is a violation, quickly', () => {
    const start = Date.now();
    const containers = new Array(10_000_000); // sparse: the length alone is hostile
    containers[5] = { name: 'x', securityContext: { privileged: true } };
    const huge = service({ containers });
    expect(brief(huge)).toEqual([
      `${POD}.containers[5].securityContext.privileged | ${R.privileged}`,
      `${POD}.containers | baseline-gpu: ${R.tooLarge}`,
    ]);
    const fakeLength = new Proxy([], {
      get: (t, k) => (k === 'length' ? 2 ** 32 - 1 : Reflect.get(t, k)),
    });
    expect(brief(service({ volumes: fakeLength }))).toEqual([
      `${POD}.volumes | baseline-gpu: ${R.tooLarge}`,
    ]);
    const roles = Array.from({ length: 200_000 }, () => ({
      componentType: 'worker',
      template: {
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 1 }] }] },
      },
    }));
    const violations = checkPodSecurity({ spec: { roles } }, RESTRICTED);
    expect(violations.length).toBeLessThanOrEqual(
      POD_SECURITY_LIMITS.violations,
    );
    // a million roles without templates: the roles list itself is past the bound
    const empty = Array.from({ length: 1_000_000 }, () => ({
      componentType: 'worker',
    }));
    expect(brief({ spec: { roles: empty } })).toEqual([
      `spec.roles | baseline-gpu: ${R.tooLarge}`,
    ]);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('bounds the containers inspected over all roles together', () => {
    const role = {
      componentType: 'worker',
      template: {
        spec: {
          containers: Array.from({ length: 600 }, (_, i) => ({
            name: `c${i}`,
          })),
        },
      },
    };
    const violations = brief({ spec: { roles: [role, role] } });
    expect(violations).toEqual([
      `spec.roles[1].template.spec.containers | baseline-gpu: ${R.tooLarge}`,
    ]);
  });

  it('caps the violations, the last one saying that more were left out', () => {
    const containers = Array.from({ length: 200 }, (_, i) => ({
      name: `c${i}`,
      securityContext: { privileged: true },
    }));
    const violations = checkPodSecurity(service({ containers }), BASELINE);
    expect(violations).toHaveLength(POD_SECURITY_LIMITS.violations);
    expect(violations[48].path).toBe(
      `${POD}.containers[48].securityContext.privileged`,
    );
    expect(violations[49]).toMatchObject({
      path: 'spec.roles',
      rule: `baseline-gpu: ${R.tooMany}`,
    });
    // exactly at the cap: nothing is left out
    expect(
      checkPodSecurity(
        service({ containers: containers.slice(0, 50) }),
        BASELINE,
      ),
    ).toHaveLength(50);
    expect(
      checkPodSecurity(
        service({ containers: containers.slice(0, 50) }),
        BASELINE,
      )[49].rule,
    ).toBe(R.privileged);
  });

  it('keeps messages short for huge values', () => {
    const [v] = checkPodSecurity(
      service({ serviceAccountName: 'x'.repeat(1_000_000) }),
      BASELINE,
    );
    expect(v.message.length).toBeLessThan(400);
  });

  it('treats a hostile or misspelt profile fail-closed', () => {
    expect(
      brief(service({ hostPID: true }), { level: 'restricted' } as any),
    ).toEqual([
      `profile.level | pod-security: ${R.unknownLevel}`,
      `${POD}.hostPID | ${R.hostNamespaces}`,
    ]);
    expect(brief(service(), null as any)).toEqual([
      `profile.level | pod-security: ${R.unknownLevel}`,
    ]);
    expect(
      brief(service({ hostPID: true }), {
        level: 'baseline-gpu',
        serviceAccounts: 'admin',
        allowedCapabilities: [1, null],
        allowedHostPaths: ['relative', '/a/../b'],
      } as any),
    ).toEqual([`${POD}.hostPID | ${R.hostNamespaces}`]);
    expect(
      brief(service({ volumes: [{ name: 'v', hostPath: { path: '/b' } }] }), {
        level: 'baseline-gpu',
        allowedHostPaths: ['/a/../b'],
      }),
    ).toEqual([`${POD}.volumes[0].hostPath | ${R.hostPath}`]);
  });

  it('does not change its input', () => {
    const isvc = loadExample('multi-node-router');
    const before = JSON.stringify(isvc);
    checkPodSecurity(isvc, RESTRICTED);
    expect(JSON.stringify(isvc)).toBe(before);
  });
});
