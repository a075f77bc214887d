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
 * Pod-security profiles for the pod templates of an InferenceService (review N-H3), modelled on the Kubernetes Pod
 * Security Standards (baseline and restricted) and adapted to GPU serving: IPC_LOCK (RDMA / NCCL memory
 * registration) is allowed, `emptyDir` with `medium: Memory` (vLLM's /dev/shm) is allowed, and the service account
 * is limited to the namespace's `default` or a listed one.
 *
 * The check is fail-closed: a security field with a value it cannot interpret (a string where a boolean belongs, an
 * object where a list belongs, a getter that throws, a list too long to inspect) is a violation, never a pass.
 */

import { joinPath } from '../schema/structural';

/**
 * How strict a pod-security profile is: `privileged` checks nothing, `baseline-gpu` (the default) is the Kubernetes
 * baseline standard adapted to GPU serving, `restricted-gpu` adds the restricted standard.
 * @public
 */
export type PodSecurityLevel = 'privileged' | 'baseline-gpu' | 'restricted-gpu';

/** Every {@link PodSecurityLevel}, from least to most strict. @public */
export const podSecurityLevels: readonly PodSecurityLevel[] = Object.freeze([
  'privileged',
  'baseline-gpu',
  'restricted-gpu',
] as const);

/** True for a known {@link PodSecurityLevel}. @public */
export const isPodSecurityLevel = (v: unknown): v is PodSecurityLevel =>
  typeof v === 'string' && (podSecurityLevels as readonly string[]).includes(v);

/**
 * A pod-security profile: the level, and what it allows beyond the level's own lists.
 * @public
 */
export interface PodSecurityProfile {
  level: PodSecurityLevel;
  /** Capabilities containers may add besides the level's set (names without `CAP_`, e.g. `SYS_PTRACE`). */
  allowedCapabilities?: string[];
  /** Service accounts pods may run as besides `default` (names in the service's namespace). */
  serviceAccounts?: string[];
  /**
   * Node paths `hostPath` volumes may mount, matched as prefixes on `/` boundaries: `/dev/infiniband` allows
   * `/dev/infiniband` and `/dev/infiniband/uverbs0`, not `/dev/infinibandx`. A path with a `..` segment or that is
   * not absolute never matches.
   */
  allowedHostPaths?: string[];
  /** Volume types allowed besides the restricted list (`restricted-gpu` only; baseline forbids only `hostPath`). */
  allowedVolumeTypes?: string[];
}

/** One field of a pod template that the profile refuses. @public */
export interface PodSecurityViolation {
  /** JSON path of the field, e.g. `spec.roles[1].template.spec.containers[0].securityContext.privileged`. */
  path: string;
  /** The rule, prefixed by the level it belongs to, e.g. `baseline-gpu: privileged containers are not allowed`. */
  rule: string;
  /** What is wrong and what to change. */
  message: string;
}

/** The default profile: `baseline-gpu` with nothing extra allowed. @public */
export const DEFAULT_POD_SECURITY_PROFILE: Readonly<PodSecurityProfile> =
  Object.freeze({ level: 'baseline-gpu' });

/**
 * Bounds of one {@link checkPodSecurity} run. A list longer than its bound is a violation (`too large to check`), so
 * nothing hides behind the bound.
 * @public
 */
export const POD_SECURITY_LIMITS = Object.freeze({
  /** Violations reported; past it the last entry says that more were left out. */
  violations: 50,
  /** Containers inspected (containers, initContainers and ephemeralContainers of every role together). */
  containers: 1000,
  /** Volumes inspected (of every role together). */
  volumes: 1000,
  /** Other list entries and map keys inspected in all (roles, ports, capabilities, sysctls, annotations). */
  items: 100_000,
});

/** Capabilities the Kubernetes baseline standard lets a container add. @public */
export const BASELINE_CAPABILITIES: readonly string[] = Object.freeze([
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
]);

/** Capabilities every GPU level allows in addition: `IPC_LOCK`, which RDMA / NCCL need to pin memory. @public */
export const GPU_CAPABILITIES: readonly string[] = Object.freeze(['IPC_LOCK']);

/** Capabilities `restricted-gpu` lets a container add (after dropping `ALL`). @public */
export const RESTRICTED_GPU_CAPABILITIES: readonly string[] = Object.freeze([
  'NET_BIND_SERVICE',
  'IPC_LOCK',
]);

/** Volume types `restricted-gpu` allows (the restricted standard's list). @public */
export const RESTRICTED_VOLUME_TYPES: readonly string[] = Object.freeze([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Sysctls the baseline standard considers safe (namespaced, isolated from the node). @public */
export const SAFE_SYSCTLS: readonly string[] = Object.freeze([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** SELinux types the baseline standard allows (besides none). @public */
export const BASELINE_SELINUX_TYPES: readonly string[] = Object.freeze([
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

/**
 * The `rule` of every violation {@link checkPodSecurity} reports. The generic rules (`malformed`, `unreadable`,
 * `tooLarge`, `tooMany`) are reported prefixed with the level checked (`baseline-gpu: too large to check`), and
 * `unknownLevel` with `pod-security: `.
 * @public
 */
export const POD_SECURITY_RULES = Object.freeze({
  hostNamespaces: 'baseline-gpu: host namespaces are not allowed',
  privileged: 'baseline-gpu: privileged containers are not allowed',
  capabilities:
    'baseline-gpu: capabilities beyond the baseline set are not allowed',
  hostPath: 'baseline-gpu: hostPath volumes are not allowed',
  hostPorts: 'baseline-gpu: host ports are not allowed',
  procMount: 'baseline-gpu: procMount must be Default',
  seccomp: 'baseline-gpu: seccomp must not be Unconfined',
  appArmor: 'baseline-gpu: AppArmor must not be Unconfined',
  seLinux: 'baseline-gpu: SELinux options are limited',
  sysctls: 'baseline-gpu: unsafe sysctls are not allowed',
  hostProcess: 'baseline-gpu: HostProcess containers are not allowed',
  serviceAccount: 'baseline-gpu: only the default or a listed service account',
  privilegeEscalation:
    'restricted-gpu: privilege escalation must be disallowed',
  runAsNonRoot: 'restricted-gpu: containers must run as non-root',
  runAsUser: 'restricted-gpu: runAsUser must not be 0',
  dropAll: 'restricted-gpu: capabilities must drop ALL',
  restrictedCapabilities:
    'restricted-gpu: capabilities beyond NET_BIND_SERVICE and IPC_LOCK are not allowed',
  restrictedSeccomp:
    'restricted-gpu: seccomp profile must be RuntimeDefault or Localhost',
  volumeTypes: 'restricted-gpu: volume types are limited',
  malformed: 'security fields must have their Kubernetes types',
  unreadable: 'fields must be readable',
  tooLarge: 'too large to check',
  tooMany: 'too many violations',
  unknownLevel: 'unknown profile level',
} as const);

const R = POD_SECURITY_RULES;
const CONTAINER_LISTS = [
  'containers',
  'initContainers',
  'ephemeralContainers',
] as const;
const HOST_NAMESPACES = [
  ['hostNetwork', 'network (every port and interface)'],
  ['hostPID', 'processes'],
  ['hostIPC', 'IPC'],
] as const;
const CONFINED_PROFILE_TYPES = ['RuntimeDefault', 'Localhost'];
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';
/** Longer host paths are not matched against allowedHostPaths (Linux PATH_MAX). */
const MAX_HOST_PATH = 4096;
/** Entries read from each list of the profile. */
const MAX_PROFILE_ENTRIES = 1000;

/** Thrown to end a run when the violation bound is reached. */
class Stop {}

interface Ctx {
  level: 'baseline-gpu' | 'restricted-gpu';
  restricted: boolean;
  out: PodSecurityViolation[];
  baselineCaps: Set<string>;
  restrictedCaps: Set<string>;
  serviceAccounts: Set<string>;
  hostPaths: string[];
  volumeTypes: Set<string>;
  containers: number;
  volumes: number;
  items: number;
}

function report(ctx: Ctx, path: string, rule: string, message: string) {
  if (ctx.out.length >= POD_SECURITY_LIMITS.violations) {
    ctx.out[POD_SECURITY_LIMITS.violations - 1] = {
      path: 'spec.roles',
      rule: `${ctx.level}: ${R.tooMany}`,
      message: `more than ${POD_SECURITY_LIMITS.violations} pod-security violations; the first ${
        POD_SECURITY_LIMITS.violations - 1
      } are listed: fix them and check again`,
    };
    throw new Stop();
  }
  ctx.out.push({ path, rule, message });
}

/** A short, printable rendering of a value for messages. */
function show(v: unknown): string {
  try {
    if (typeof v === 'string')
      return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
    if (
      typeof v === 'number' ||
      typeof v === 'boolean' ||
      v === null ||
      v === undefined
    )
      return String(v);
    if (Array.isArray(v)) return 'a list';
    return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  } catch {
    return 'a value';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  try {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function isList(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

const unset = (v: unknown) => v === undefined || v === null;

/** An own field of an object; a field that cannot be read is a violation and reads as undefined. */
function get(ctx: Ctx, obj: unknown, key: string, path: string): unknown {
  if (!isRecord(obj) && !isList(obj)) return undefined;
  try {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
    return (obj as Record<string, unknown>)[key];
  } catch (e) {
    if (e instanceof Stop) throw e;
    report(
      ctx,
      isList(obj) && /^\d+$/.test(key)
        ? `${path}[${key}]`
        : joinPath(path, key),
      `${ctx.level}: ${R.unreadable}`,
      'could not be read; give the field a plain JSON value',
    );
    return undefined;
  }
}

/** A field that must be an object when set; anything else is reported and reads as undefined. */
function sub(
  ctx: Ctx,
  obj: unknown,
  key: string,
  path: string,
): { value: Record<string, unknown> | undefined; path: string } {
  const p = joinPath(path, key);
  const v = get(ctx, obj, key, path);
  if (unset(v)) return { value: undefined, path: p };
  if (isRecord(v)) return { value: v, path: p };
  report(
    ctx,
    p,
    `${ctx.level}: ${R.malformed}`,
    `is ${show(v)} where Kubernetes expects an object; write it as an object or remove it`,
  );
  return { value: undefined, path: p };
}

/**
 * Calls `each` for the entries of a list field, at most as many as the budget `kind` has left; a longer list is a
 * `too large to check` violation. A set field that is not a list is reported as malformed.
 */
function eachItem(
  ctx: Ctx,
  obj: unknown,
  key: string,
  path: string,
  kind: 'containers' | 'volumes' | 'items',
  each: (item: unknown, itemPath: string, index: number) => void,
) {
  const p = joinPath(path, key);
  const list = get(ctx, obj, key, path);
  if (unset(list)) return;
  if (!isList(list)) {
    report(
      ctx,
      p,
      `${ctx.level}: ${R.malformed}`,
      `is ${show(list)} where Kubernetes expects a list; write it as a list or remove it`,
    );
    return;
  }
  const length = Number(get(ctx, list, 'length', p)) || 0;
  for (let i = 0; i < length; i++) {
    if (ctx[kind] >= POD_SECURITY_LIMITS[kind]) {
      report(
        ctx,
        p,
        `${ctx.level}: ${R.tooLarge}`,
        `has ${length} entries and the check inspects at most ${POD_SECURITY_LIMITS[kind]} ${kind === 'items' ? 'list entries' : kind} per service; the entries from index ${i} on were not checked`,
      );
      return;
    }
    ctx[kind]++;
    each(get(ctx, list, String(i), p), `${p}[${i}]`, i);
  }
}

/** A field that must be false or unset. */
function mustNotBeTrue(
  ctx: Ctx,
  obj: unknown,
  key: string,
  path: string,
  rule: string,
  why: string,
) {
  const v = get(ctx, obj, key, path);
  if (unset(v) || v === false) return;
  report(
    ctx,
    joinPath(path, key),
    rule,
    `is ${show(v)}; remove it or set it to false (${why})`,
  );
}

/** A string field that must be unset or one of `allowed`. */
function mustBeOneOf(
  ctx: Ctx,
  obj: unknown,
  key: string,
  path: string,
  allowed: readonly string[],
  rule: string,
  advice: string,
) {
  const v = get(ctx, obj, key, path);
  if (unset(v) || (typeof v === 'string' && allowed.includes(v))) return;
  report(ctx, joinPath(path, key), rule, `is ${show(v)}; ${advice}`);
}

/** `/a//b/./c/` → `/a/b/c`; undefined for a relative path or one with a `..` segment. */
function normalizeHostPath(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length > MAX_HOST_PATH || !p.startsWith('/'))
    return undefined;
  const parts = p.split('/').filter(s => s !== '' && s !== '.');
  if (parts.includes('..')) return undefined;
  return `/${parts.join('/')}`;
}

function hostPathAllowed(ctx: Ctx, path: unknown): boolean {
  const p = normalizeHostPath(path);
  if (p === undefined) return false;
  return ctx.hostPaths.some(a => a === '/' || p === a || p.startsWith(`${a}/`));
}

/** Pod-level and container-level `securityContext` checks common to both. */
function checkSharedContext(
  ctx: Ctx,
  sc: Record<string, unknown>,
  path: string,
) {
  const windows = sub(ctx, sc, 'windowsOptions', path);
  mustNotBeTrue(
    ctx,
    windows.value,
    'hostProcess',
    windows.path,
    R.hostProcess,
    'a HostProcess container runs as a process of the Windows node',
  );

  const se = sub(ctx, sc, 'seLinuxOptions', path);
  if (se.value) {
    mustBeOneOf(
      ctx,
      se.value,
      'type',
      se.path,
      ['', ...BASELINE_SELINUX_TYPES],
      R.seLinux,
      `remove it or use one of ${BASELINE_SELINUX_TYPES.join(', ')}`,
    );
    for (const key of ['user', 'role']) {
      mustBeOneOf(
        ctx,
        se.value,
        key,
        se.path,
        [''],
        R.seLinux,
        `remove it: a custom SELinux ${key} can give the container the node's privileges`,
      );
    }
  }

  const seccomp = sub(ctx, sc, 'seccompProfile', path);
  if (seccomp.value)
    mustBeOneOf(
      ctx,
      seccomp.value,
      'type',
      seccomp.path,
      CONFINED_PROFILE_TYPES,
      R.seccomp,
      'use RuntimeDefault (or Localhost with a profile on the node); Unconfined lets the container make every system call',
    );

  const appArmor = sub(ctx, sc, 'appArmorProfile', path);
  if (appArmor.value)
    mustBeOneOf(
      ctx,
      appArmor.value,
      'type',
      appArmor.path,
      CONFINED_PROFILE_TYPES,
      R.appArmor,
      'use RuntimeDefault (or Localhost with a profile on the node), or remove it',
    );

  if (ctx.restricted) {
    const user = get(ctx, sc, 'runAsUser', path);
    if (!unset(user) && !(typeof user === 'number' && user !== 0))
      report(
        ctx,
        joinPath(path, 'runAsUser'),
        R.runAsUser,
        user === 0
          ? 'is 0 (root); use a non-zero user id, e.g. the image’s own user, or remove it'
          : `is ${show(user)}; use a non-zero user id or remove it`,
      );
  }
}

interface PodFacts {
  runAsNonRoot: boolean;
  seccompConfined: boolean;
}

function checkCapabilities(
  ctx: Ctx,
  sc: Record<string, unknown> | undefined,
  scPath: string,
) {
  const caps = sub(ctx, sc, 'capabilities', scPath);
  eachItem(ctx, caps.value, 'add', caps.path, 'items', (cap, p) => {
    if (typeof cap === 'string' && ctx.baselineCaps.has(cap)) {
      if (!ctx.restricted || ctx.restrictedCaps.has(cap)) return;
      report(
        ctx,
        p,
        R.restrictedCapabilities,
        `adds ${show(cap)}; remove it (restricted-gpu allows only ${[
          ...ctx.restrictedCaps,
        ].join(', ')})`,
      );
      return;
    }
    report(
      ctx,
      p,
      R.capabilities,
      `adds ${show(cap)}; remove it, or ask for it in the profile's allowedCapabilities (allowed: ${[
        ...ctx.baselineCaps,
      ].join(', ')})`,
    );
  });
  if (!ctx.restricted) return;
  let dropsAll = false;
  eachItem(ctx, caps.value, 'drop', caps.path, 'items', cap => {
    if (cap === 'ALL') dropsAll = true;
  });
  if (!dropsAll)
    report(
      ctx,
      joinPath(caps.path, 'drop'),
      R.dropAll,
      'must include "ALL": set securityContext.capabilities.drop: ["ALL"] and add back only what the server needs',
    );
}

function checkContainer(
  ctx: Ctx,
  container: unknown,
  path: string,
  pod: PodFacts,
) {
  if (!isRecord(container)) return;
  const { value: sc, path: scPath } = sub(
    ctx,
    container,
    'securityContext',
    path,
  );

  mustNotBeTrue(
    ctx,
    sc,
    'privileged',
    scPath,
    R.privileged,
    'a privileged container has every device and capability of the node; GPUs are granted through resources.limits',
  );
  checkCapabilities(ctx, sc, scPath);
  mustBeOneOf(
    ctx,
    sc,
    'procMount',
    scPath,
    ['Default'],
    R.procMount,
    'remove it or set it to Default (Unmasked exposes /proc of the node)',
  );
  if (sc) checkSharedContext(ctx, sc, scPath);

  eachItem(ctx, container, 'ports', path, 'items', (port, p) => {
    const hostPort = get(ctx, port, 'hostPort', p);
    if (unset(hostPort) || hostPort === 0) return;
    report(
      ctx,
      joinPath(p, 'hostPort'),
      R.hostPorts,
      `is ${show(hostPort)}; remove it and reach the server through its Service or the InferencePool`,
    );
  });

  if (!ctx.restricted) return;
  const escalation = get(ctx, sc, 'allowPrivilegeEscalation', scPath);
  if (escalation !== false)
    report(
      ctx,
      joinPath(scPath, 'allowPrivilegeEscalation'),
      R.privilegeEscalation,
      `is ${show(escalation)}; set securityContext.allowPrivilegeEscalation: false`,
    );
  const nonRoot = get(ctx, sc, 'runAsNonRoot', scPath);
  if (nonRoot === true || (pod.runAsNonRoot && unset(nonRoot))) {
    // runs as non-root
  } else
    report(
      ctx,
      joinPath(scPath, 'runAsNonRoot'),
      R.runAsNonRoot,
      unset(nonRoot)
        ? 'is not set; set runAsNonRoot: true on the pod (spec.securityContext) or on this container'
        : `is ${show(nonRoot)}; set it to true or remove it and set it on the pod`,
    );
  const seccompProfile = get(ctx, sc, 'seccompProfile', scPath);
  const seccomp = isRecord(seccompProfile)
    ? get(ctx, seccompProfile, 'type', joinPath(scPath, 'seccompProfile'))
    : undefined;
  if (
    !pod.seccompConfined &&
    !(typeof seccomp === 'string' && CONFINED_PROFILE_TYPES.includes(seccomp))
  )
    report(
      ctx,
      joinPath(joinPath(scPath, 'seccompProfile'), 'type'),
      R.restrictedSeccomp,
      'is not set; set seccompProfile.type: RuntimeDefault on the pod (spec.securityContext) or on this container',
    );
}

function checkVolume(ctx: Ctx, volume: unknown, path: string) {
  if (!isRecord(volume)) return;
  let keys: string[];
  try {
    keys = Object.keys(volume);
  } catch {
    report(
      ctx,
      path,
      `${ctx.level}: ${R.unreadable}`,
      'its fields could not be listed; give the volume a plain JSON value',
    );
    return;
  }
  for (const key of keys) {
    if (key === 'name') continue;
    if (ctx.items >= POD_SECURITY_LIMITS.items) {
      report(
        ctx,
        path,
        `${ctx.level}: ${R.tooLarge}`,
        `has ${keys.length} fields; not all of them were checked`,
      );
      return;
    }
    ctx.items++;
    const source = get(ctx, volume, key, path);
    if (unset(source)) continue;
    if (key === 'hostPath') {
      const hostPath = isRecord(source)
        ? get(ctx, source, 'path', joinPath(path, key))
        : undefined;
      if (hostPathAllowed(ctx, hostPath)) continue;
      report(
        ctx,
        joinPath(path, key),
        R.hostPath,
        `mounts ${
          typeof hostPath === 'string'
            ? `${show(hostPath)} of the node`
            : 'a path of the node'
        }; use emptyDir (medium: Memory for /dev/shm) or a persistentVolumeClaim instead${
          ctx.hostPaths.length > 0
            ? `, or a path under ${ctx.hostPaths.join(', ')}`
            : ', or have the path added to the profile’s allowedHostPaths'
        }`,
      );
      continue;
    }
    if (ctx.restricted && !ctx.volumeTypes.has(key))
      report(
        ctx,
        joinPath(path, key),
        R.volumeTypes,
        `is a ${show(key)} volume; restricted-gpu allows ${[
          ...ctx.volumeTypes,
        ].join(', ')} (a profile may add types in allowedVolumeTypes)`,
      );
  }
}

function checkAnnotations(ctx: Ctx, template: unknown, path: string) {
  const metadata = sub(ctx, template, 'metadata', path);
  const annotations = sub(ctx, metadata.value, 'annotations', metadata.path);
  if (!annotations.value) return;
  let keys: string[];
  try {
    keys = Object.keys(annotations.value);
  } catch {
    report(
      ctx,
      annotations.path,
      `${ctx.level}: ${R.unreadable}`,
      'its keys could not be listed; give the annotations a plain JSON value',
    );
    return;
  }
  for (const key of keys) {
    if (ctx.items >= POD_SECURITY_LIMITS.items) {
      report(
        ctx,
        annotations.path,
        `${ctx.level}: ${R.tooLarge}`,
        `has ${keys.length} keys; not all of them were checked`,
      );
      return;
    }
    ctx.items++;
    if (!key.startsWith(APPARMOR_ANNOTATION)) continue;
    const v = get(ctx, annotations.value, key, annotations.path);
    if (
      unset(v) ||
      v === 'runtime/default' ||
      (typeof v === 'string' && v.startsWith('localhost/'))
    )
      continue;
    report(
      ctx,
      joinPath(annotations.path, key),
      R.appArmor,
      `is ${show(v)}; use runtime/default or localhost/<profile>, or remove it`,
    );
  }
}

function checkPodSpec(ctx: Ctx, spec: Record<string, unknown>, path: string) {
  for (const [key, what] of HOST_NAMESPACES)
    mustNotBeTrue(
      ctx,
      spec,
      key,
      path,
      R.hostNamespaces,
      `${key} shares the node's ${what} with the pod; use emptyDir with medium: Memory for shared memory and the pod network for NCCL`,
    );

  for (const key of ['serviceAccountName', 'serviceAccount']) {
    const v = get(ctx, spec, key, path);
    if (
      unset(v) ||
      v === '' ||
      v === 'default' ||
      (typeof v === 'string' && ctx.serviceAccounts.has(v))
    )
      continue;
    report(
      ctx,
      joinPath(path, key),
      R.serviceAccount,
      `is ${show(v)}; remove it to run as the namespace's default service account${
        ctx.serviceAccounts.size > 0
          ? `, or use one of ${[...ctx.serviceAccounts].join(', ')}`
          : ', or have it added to the profile’s serviceAccounts'
      } (a service account's token carries its Kubernetes permissions)`,
    );
  }

  const { value: sc, path: scPath } = sub(ctx, spec, 'securityContext', path);
  const pod: PodFacts = { runAsNonRoot: false, seccompConfined: false };
  if (sc) {
    checkSharedContext(ctx, sc, scPath);
    eachItem(ctx, sc, 'sysctls', scPath, 'items', (sysctl, p) => {
      const name = get(ctx, sysctl, 'name', p);
      if (typeof name === 'string' && SAFE_SYSCTLS.includes(name)) return;
      report(
        ctx,
        joinPath(p, 'name'),
        R.sysctls,
        `is ${show(name)}; remove it (allowed: ${SAFE_SYSCTLS.join(', ')})`,
      );
    });
    const nonRoot = get(ctx, sc, 'runAsNonRoot', scPath);
    pod.runAsNonRoot = nonRoot === true;
    if (ctx.restricted && !unset(nonRoot) && nonRoot !== true)
      report(
        ctx,
        joinPath(scPath, 'runAsNonRoot'),
        R.runAsNonRoot,
        `is ${show(nonRoot)}; set it to true`,
      );
    const seccomp = get(ctx, sc, 'seccompProfile', scPath);
    const type = isRecord(seccomp)
      ? get(ctx, seccomp, 'type', joinPath(scPath, 'seccompProfile'))
      : undefined;
    pod.seccompConfined =
      typeof type === 'string' && CONFINED_PROFILE_TYPES.includes(type);
  }

  eachItem(ctx, spec, 'volumes', path, 'volumes', (volume, p) =>
    checkVolume(ctx, volume, p),
  );
  for (const list of CONTAINER_LISTS)
    eachItem(ctx, spec, list, path, 'containers', (container, p) =>
      checkContainer(ctx, container, p, pod),
    );
}

/** The strings of a profile list (at most {@link MAX_PROFILE_ENTRIES}); anything else is ignored. */
function profileList(profile: unknown, key: string): string[] {
  try {
    const v = isRecord(profile) ? profile[key] : undefined;
    if (!Array.isArray(v)) return [];
    const out: string[] = [];
    for (let i = 0; i < Math.min(v.length, MAX_PROFILE_ENTRIES); i++)
      if (typeof v[i] === 'string') out.push(v[i]);
    return out;
  } catch {
    return [];
  }
}

/**
 * Checks the pod templates of an InferenceService against a pod-security profile and returns what it refuses, by
 * field: an empty list means the service passes. The templates checked are those that become pods: every role's
 * `template` except a router's (the router runs the Endpoint Picker from a fixed template, and its `template` is
 * ignored). Containers, init containers and ephemeral containers are checked, with the pod-level and the
 * container-level `securityContext`.
 *
 * Pure and bounded: it never throws, whatever `service` is (non-objects, getters that throw, proxies, huge lists);
 * a field it cannot read or interpret, or a list longer than {@link POD_SECURITY_LIMITS} allows, is itself a
 * violation. At most `POD_SECURITY_LIMITS.violations` violations are returned.
 *
 * An unknown `profile.level` is checked as `baseline-gpu` and reported as a violation at `profile.level`, so a
 * misspelt level refuses every service rather than weakening the check.
 * @public
 */
export function checkPodSecurity(
  service: unknown,
  profile: PodSecurityProfile,
): PodSecurityViolation[] {
  let rawLevel: unknown;
  try {
    rawLevel = isRecord(profile) ? profile.level : undefined;
  } catch {
    rawLevel = undefined;
  }
  if (rawLevel === 'privileged') return [];
  const level: Ctx['level'] =
    rawLevel === 'restricted-gpu' ? 'restricted-gpu' : 'baseline-gpu';
  const extraCaps = profileList(profile, 'allowedCapabilities');
  const ctx: Ctx = {
    level,
    restricted: level === 'restricted-gpu',
    out: [],
    baselineCaps: new Set([
      ...BASELINE_CAPABILITIES,
      ...GPU_CAPABILITIES,
      ...extraCaps,
    ]),
    restrictedCaps: new Set([...RESTRICTED_GPU_CAPABILITIES, ...extraCaps]),
    serviceAccounts: new Set(profileList(profile, 'serviceAccounts')),
    hostPaths: profileList(profile, 'allowedHostPaths')
      .map(normalizeHostPath)
      .filter((p): p is string => p !== undefined),
    volumeTypes: new Set([
      ...RESTRICTED_VOLUME_TYPES,
      ...profileList(profile, 'allowedVolumeTypes'),
    ]),
    containers: 0,
    volumes: 0,
    items: 0,
  };
  try {
    if (rawLevel !== 'baseline-gpu' && rawLevel !== 'restricted-gpu')
      report(
        ctx,
        'profile.level',
        `pod-security: ${R.unknownLevel}`,
        `is ${show(rawLevel)}; use one of ${podSecurityLevels.join(', ')} (checked as baseline-gpu)`,
      );
    const spec = get(ctx, service, 'spec', '');
    eachItem(ctx, spec, 'roles', 'spec', 'items', (role, rolePath) => {
      if (
        !isRecord(role) ||
        get(ctx, role, 'componentType', rolePath) === 'router'
      )
        return;
      const template = get(ctx, role, 'template', rolePath);
      if (!isRecord(template)) return;
      const templatePath = joinPath(rolePath, 'template');
      checkAnnotations(ctx, template, templatePath);
      const podSpec = get(ctx, template, 'spec', templatePath);
      if (isRecord(podSpec))
        checkPodSpec(ctx, podSpec, joinPath(templatePath, 'spec'));
    });
  } catch (e) {
    if (!(e instanceof Stop)) {
      try {
        report(
          ctx,
          'spec',
          `${ctx.level}: ${R.unreadable}`,
          'the service could not be checked completely; give it plain JSON values',
        );
      } catch {
        // the violation bound was reached: the list already says so
      }
    }
  }
  return ctx.out;
}
