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
 * The semantic core of the development API server: storage with resourceVersions, the rules of create / update /
 * patch / apply / delete, the status subresource, generation, validation/pruning/defaulting of custom resources,
 * garbage collection, and watch with a bounded event window. The HTTP layer and the in-process simulation both use it.
 */

import { randomBytes, randomUUID } from 'crypto';
import {
  applyDefaults,
  dns1035LabelProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  parseCrd,
  pruneStructural,
  validateStructural,
} from '@fusioninfer/plugin-fusioninfer-common';
import { validateCel } from './cel';
import { applyBuiltinDefaults } from './defaults';
import { ApiError, errors } from './errors';
import { serverSideApply, trackUpdate } from './managedFields';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from './patch';
import {
  apiVersionOf,
  BUILTIN_TYPES,
  ResourceType,
  ScaleSpec,
  storageKey,
  typeKey,
} from './resources';
import {
  FieldSelector,
  LabelSelector,
  matchesFields,
  matchesLabels,
} from './selectors';

/** A stored object. */
export type KObject = Record<string, any> & { metadata: Record<string, any> };

/** A watch event. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject | Record<string, unknown>;
}

interface LoggedEvent {
  rv: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  prev?: KObject;
}

/** Fault injection settings (all optional, mutable at run time). */
export interface FaultConfig {
  /** Probability (0..1) that a request of this verb fails with 500 (or 429 when `throttle`). */
  errorRate?: Partial<Record<Verb, number>>;
  /** Answer injected errors with 429 TooManyRequests instead of 500. */
  throttle?: boolean;
  /** Added latency per verb, in ms. */
  latencyMs?: Partial<Record<Verb, number>>;
  /** The next N updates/patches (any resource, or per plural) fail with 409 Conflict. */
  forcedConflicts?: { count: number; plural?: string };
  /** Close watch streams after this many events. */
  dropWatchAfterEvents?: number;
  /** Seed of the fault RNG (deterministic tests). */
  seed?: number;
}

export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** Options of writes. */
export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  subresource?: 'status';
  /** Warnings produced (unknown fields pruned) are pushed here. */
  warnings?: string[];
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const stable = (v: unknown): string => JSON.stringify(sortKeys(v));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map(k => [k, sortKeys(v[k])]),
  );
}
const nowIso = () => `${new Date().toISOString().slice(0, 19)}Z`;

/** Mulberry32: small seeded RNG for reproducible fault injection. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether objects of a kind carry metadata.generation on a real API server of the version this one reports (1.33, KUBERNETES_VERSION):
 * custom resources, CRDs, workloads and Pods do; ConfigMaps, Secrets, Services, Namespaces, Nodes, RBAC objects,
 * Events and Leases do not.
 */
const GENERATION_BUILTINS = new Set([
  'customresourcedefinitions',
  'deployments',
  'replicasets',
  'statefulsets',
  'jobs',
  'pods',
]);
const hasGeneration = (t: ResourceType) =>
  !t.builtin || GENERATION_BUILTINS.has(t.plural);

/** The API: typed storage plus Kubernetes semantics. */
export class KubeApi {
  private rv = 1;
  private readonly types = new Map<string, ResourceType>();
  /** The storage version's type of each resource, by storage key (group/plural). */
  private readonly storageTypes = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly log: LoggedEvent[] = [];
  private readonly listeners = new Set<(e: LoggedEvent) => void>();
  private random: () => number;
  faults: FaultConfig = {};
  /** Requests served over HTTP, by verb and resource (for benchmarks and tests of controllers). */
  readonly requestCounts: Record<string, number> = {};
  /** Called after any change (persistence hooks in). */
  onChange?: () => void;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Stops the API's own timers (namespace finalization retries); the objects stay readable. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  constructor(private readonly options: { eventWindow?: number } = {}) {
    for (const t of BUILTIN_TYPES) this.registerType(t);
    this.random = rng(1);
  }

  setFaults(f: FaultConfig) {
    this.faults = f;
    this.random = rng(f.seed ?? 1);
  }

  /** Applies latency and injected errors for a verb. */
  async fault(verb: Verb, plural: string): Promise<void> {
    this.requestCounts[verb] = (this.requestCounts[verb] ?? 0) + 1;
    this.requestCounts[`${verb} ${plural}`] =
      (this.requestCounts[`${verb} ${plural}`] ?? 0) + 1;
    const f = this.faults;
    const lat = f.latencyMs?.[verb];
    if (lat) await new Promise(r => setTimeout(r, lat));
    const rate = f.errorRate?.[verb] ?? 0;
    if (rate > 0 && this.random() < rate) {
      throw f.throttle
        ? errors.tooManyRequests(1)
        : errors.internal(`injected fault for ${verb} ${plural}`);
    }
  }

  // ---------------------------------------------------------------- types

  /** Registers a served version of a resource; all versions of a resource share one storage. */
  registerType(t: ResourceType, storageVersion = true): void {
    this.types.set(typeKey(t), t);
    const sk = storageKey(t);
    if (!this.objects.has(sk)) this.objects.set(sk, new Map());
    if (storageVersion || !this.storageTypes.has(sk))
      this.storageTypes.set(sk, t);
  }

  unregisterType(t: ResourceType): void {
    this.types.delete(typeKey(t));
    const sk = storageKey(t);
    const remaining = this.allTypes().filter(x => storageKey(x) === sk);
    if (remaining.length === 0) {
      this.objects.delete(sk);
      this.storageTypes.delete(sk);
    } else if (this.storageTypes.get(sk) === t)
      this.storageTypes.set(sk, remaining[0]);
  }

  /** One type per storage (its storage version): what garbage collection, namespaces and snapshots walk. */
  private storedTypes(): ResourceType[] {
    return [...this.storageTypes.values()];
  }

  /** A copy of a stored object as the given version serves it (conversion strategy None: only apiVersion). */
  private out(t: ResourceType, o: KObject): KObject {
    const c = clone(o);
    c.apiVersion = apiVersionOf(t);
    return c;
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  findType(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  typeForObject(obj: {
    apiVersion?: unknown;
    kind?: unknown;
  }): ResourceType | undefined {
    return this.allTypes().find(
      t => apiVersionOf(t) === obj.apiVersion && t.kind === obj.kind,
    );
  }

  /** Registers (or updates) the resource of a CRD object. */
  private installCrd(crd: KObject): void {
    const info = parseCrd(crd);
    for (const v of info.versions) {
      if (!v.served) continue;
      this.registerType(
        {
          group: info.group,
          version: v.name,
          kind: info.kind,
          listKind: info.listKind,
          plural: info.plural,
          singular: info.singular,
          namespaced: info.scope === 'Namespaced',
          shortNames: info.shortNames,
          categories: info.categories,
          status: !!v.subresources?.status,
          schema: v.schema,
          builtin: false,
          printerColumns: v.additionalPrinterColumns,
          scale: (v.subresources?.scale as ScaleSpec | undefined)
            ?.specReplicasPath
            ? (v.subresources!.scale as ScaleSpec)
            : undefined,
        },
        !!v.storage,
      );
    }
  }

  // ---------------------------------------------------------------- helpers

  get resourceVersion(): string {
    return String(this.rv);
  }

  private key(t: ResourceType, ns: string | undefined, name: string) {
    return t.namespaced ? `${ns}/${name}` : name;
  }

  private bucket(t: ResourceType): Map<string, KObject> {
    let b = this.objects.get(storageKey(t));
    if (!b) {
      b = new Map();
      this.objects.set(storageKey(t), b);
    }
    return b;
  }

  private emit(
    t: ResourceType,
    type: LoggedEvent['type'],
    object: KObject,
    prev?: KObject,
  ) {
    const ev: LoggedEvent = {
      rv: Number(object.metadata.resourceVersion),
      key: storageKey(t),
      type,
      object,
      prev,
    };
    this.log.push(ev);
    const windowSize = this.options.eventWindow ?? 20000;
    if (this.log.length > windowSize)
      this.log.splice(0, this.log.length - windowSize);
    for (const l of [...this.listeners]) l(ev);
    this.onChange?.();
  }

  /** Oldest resourceVersion from which a watch can still resume. */
  get oldestWatchableRv(): number {
    return this.log.length ? this.log[0].rv - 1 : this.rv;
  }

  private checkName(t: ResourceType, name: string): string[] {
    if (
      t.plural === 'namespaces' ||
      t.plural === 'serviceaccounts' ||
      t.plural === 'nodes'
    )
      return t.plural === 'nodes'
        ? dns1123SubdomainProblems(name)
        : dns1123LabelProblems(name);
    if (t.plural === 'services') return dns1035LabelProblems(name);
    if (t.plural === 'customresourcedefinitions')
      return dns1123SubdomainProblems(name);
    if (
      t.plural === 'events' ||
      t.plural === 'rolebindings' ||
      t.plural === 'roles' ||
      t.plural === 'clusterroles' ||
      t.plural === 'clusterrolebindings'
    ) {
      return name.length > 0 &&
        !/[/%]/.test(name) &&
        name !== '.' &&
        name !== '..'
        ? []
        : ['may not contain "/" or "%"'];
    }
    return dns1123SubdomainProblems(name);
  }

  /** Validation, pruning and defaulting of custom resources (the API server's structural-schema pipeline). */
  private admitCustom(
    t: ResourceType,
    obj: KObject,
    opts: WriteOptions,
    old?: KObject,
  ): KObject {
    if (!t.schema) return obj;
    let out = applyDefaults(t.schema, obj);
    const pruned = pruneStructural(t.schema, out);
    if (pruned.pruned.length > 0) {
      if (opts.fieldValidation === 'Strict') {
        throw errors.badRequest(
          `strict decoding error: ${pruned.pruned.map(p => `unknown field "${p}"`).join(', ')}`,
        );
      }
      if (opts.fieldValidation !== 'Ignore')
        opts.warnings?.push(...pruned.pruned.map(p => `unknown field "${p}"`));
    }
    out = pruned.value;
    const issues = validateStructural(t.schema, out);
    if (issues.length === 0) {
      // CRD validation rules run on structurally valid objects, as on a real server.
      const cel = validateCel(t.schema, out, old);
      if (cel.length > 0)
        throw errors.invalid(t.kind, t.group, obj.metadata?.name ?? '', cel);
    }
    if (issues.length > 0) {
      const reasons: Record<string, string> = {
        required: 'FieldValueRequired',
        enum: 'FieldValueNotSupported',
        duplicate: 'FieldValueDuplicate',
      };
      throw errors.invalid(
        t.kind,
        t.group,
        obj.metadata?.name ?? '',
        issues.map(i => ({
          reason: reasons[i.type] ?? 'FieldValueInvalid',
          message: i.message,
          field: i.path,
        })),
      );
    }
    return out;
  }

  /**
   * Kubernetes' defaults of built-in kinds (./defaults), then what the registry allocates: a Service's cluster IP
   * and node ports, kept from the stored Service when an update does not repeat them (kube-apiserver's
   * patchAllocatedValues).
   */
  private defaultBuiltin(
    t: ResourceType,
    obj: KObject,
    old?: KObject,
  ): KObject {
    if (!t.builtin) return obj;
    applyBuiltinDefaults(t, obj);
    if (t.group === '' && t.plural === 'services')
      this.allocateService(t, obj, old);
    return obj;
  }

  private allocateService(t: ResourceType, svc: KObject, old?: KObject): void {
    const spec = svc.spec;
    if (!isObj(spec) || spec.type === 'ExternalName') return;
    const before = isObj(old?.spec) ? old!.spec : undefined;
    if (before && (spec.clusterIP === undefined || spec.clusterIP === '')) {
      if (before.clusterIP) spec.clusterIP = before.clusterIP;
      if (
        !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length) &&
        Array.isArray(before.clusterIPs)
      )
        spec.clusterIPs = clone(before.clusterIPs);
    }
    const others = [...this.bucket(t).values()].filter(
      o => o.metadata.uid !== svc.metadata.uid,
    );
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      // the service CIDR 10.96.0.0/12, at random as kube-apiserver's allocator (10.96.0.1 is the kubernetes Service's)
      const used = new Set(others.map(o => o.spec?.clusterIP));
      let ip: string;
      do {
        const n = 2 + Math.floor(Math.random() * ((1 << 20) - 3));
        ip = `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      } while (used.has(ip));
      spec.clusterIP = ip;
    }
    if (!(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length))
      spec.clusterIPs = [spec.clusterIP];
    if (!(Array.isArray(spec.ipFamilies) && spec.ipFamilies.length))
      spec.ipFamilies = ['IPv4'];
    if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
    const nodePorts =
      spec.type === 'NodePort' ||
      (spec.type === 'LoadBalancer' &&
        spec.allocateLoadBalancerNodePorts !== false);
    if (!nodePorts || !Array.isArray(spec.ports)) return;
    const used = new Set<number>();
    for (const o of others)
      for (const p of o.spec?.ports ?? [])
        if (p?.nodePort) used.add(p.nodePort);
    for (const p of spec.ports) {
      if (!isObj(p) || p.nodePort) continue;
      const kept = (before?.ports ?? []).find(
        (q: any) =>
          q?.nodePort &&
          q.port === p.port &&
          (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
      )?.nodePort;
      let port = kept;
      while (!port || used.has(port))
        port = 30000 + Math.floor(Math.random() * 2768);
      used.add(port);
      p.nodePort = port;
    }
  }

  private admitBuiltin(t: ResourceType, obj: KObject): void {
    if (t.plural === 'customresourcedefinitions') {
      try {
        const info = parseCrd(obj);
        if (obj.metadata.name !== `${info.plural}.${info.group}`) {
          throw errors.invalid(
            'CustomResourceDefinition',
            'apiextensions.k8s.io',
            obj.metadata.name,
            [
              {
                reason: 'FieldValueInvalid',
                field: 'metadata.name',
                message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group`,
              },
            ],
          );
        }
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw errors.invalid(
          'CustomResourceDefinition',
          'apiextensions.k8s.io',
          obj.metadata.name,
          [
            {
              reason: 'FieldValueInvalid',
              field: 'spec',
              message: (e as Error).message,
            },
          ],
        );
      }
    }
    if (t.group === 'batch' && t.plural === 'jobs') {
      const policy = obj.spec?.template?.spec?.restartPolicy;
      if (policy !== 'OnFailure' && policy !== 'Never')
        throw errors.invalid('Job', 'batch', obj.metadata.name, [
          {
            reason: 'FieldValueNotSupported',
            field: 'spec.template.spec.restartPolicy',
            message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: "OnFailure", "Never"`,
          },
        ]);
    }
    if (t.plural === 'pods') {
      const containers = obj.spec?.containers;
      if (!Array.isArray(containers) || containers.length === 0) {
        throw errors.invalid('Pod', '', obj.metadata.name, [
          {
            reason: 'FieldValueRequired',
            field: 'spec.containers',
            message: 'Required value',
          },
        ]);
      }
    }
  }

  private specChanged(t: ResourceType, a: KObject, b: KObject): boolean {
    const strip = (o: KObject) => {
      const { metadata: _m, status: _s, ...rest } = o;
      return t.status ? rest : { ...rest, status: o.status };
    };
    if (t.plural === 'customresourcedefinitions' || !t.status) {
      // Without a status subresource every non-metadata change is a spec change.
      const { metadata: _m, ...rest } = a;
      const { metadata: _n, ...rest2 } = b;
      return stable(rest) !== stable(rest2);
    }
    return stable(strip(a)) !== stable(strip(b));
  }

  // ---------------------------------------------------------------- reads

  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.bucket(t).get(this.key(t, ns, name));
    if (!o) throw errors.notFound(t.plural, t.group, name);
    return this.out(t, o);
  }

  tryGet(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    const o = this.bucket(t).get(this.key(t, ns, name));
    return o ? this.out(t, o) : undefined;
  }

  /**
   * The stored objects of a type (all namespaces, or one), unsorted and NOT copied: for in-process controllers that
   * only read them (a write replaces the stored object, so a reference held stays the version that was read).
   */
  scan(t: ResourceType, ns?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.bucket(t).values())
      if (!ns || !t.namespaced || o.metadata.namespace === ns) out.push(o);
    return out;
  }

  /** The stored object, NOT copied (see {@link KubeApi.scan}). */
  peek(
    t: ResourceType,
    ns: string | undefined,
    name: string,
  ): KObject | undefined {
    return this.bucket(t).get(this.key(t, ns, name));
  }

  /** Lists objects (sorted by namespace/name) with selectors and paging. */
  list(
    t: ResourceType,
    ns: string | undefined,
    opts: {
      labelSelector?: LabelSelector;
      fieldSelector?: FieldSelector;
      limit?: number;
      continue?: string;
    } = {},
  ): {
    items: KObject[];
    resourceVersion: string;
    continue?: string;
    remainingItemCount?: number;
  } {
    let start = '';
    let listRv = this.resourceVersion;
    if (opts.continue) {
      try {
        const c = JSON.parse(
          Buffer.from(opts.continue, 'base64url').toString('utf8'),
        );
        start = String(c.start);
        listRv = String(c.rv);
      } catch {
        throw errors.badRequest(
          'continue key is not valid: illegal base64 data',
        );
      }
      if (Number(listRv) < this.oldestWatchableRv) {
        throw new ApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.',
        );
      }
    }
    const all = [...this.bucket(t).entries()]
      .filter(([k]) => !t.namespaced || !ns || k.startsWith(`${ns}/`))
      .filter(([k]) => k > start)
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([, o]) => o)
      .filter(
        o =>
          matchesLabels(opts.labelSelector ?? [], o.metadata.labels) &&
          matchesFields(opts.fieldSelector ?? [], o),
      );
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const page = limit ? all.slice(0, limit) : all;
    const more = limit !== undefined && all.length > limit;
    const last = page[page.length - 1];
    return {
      items: page.map(o => this.out(t, o)),
      resourceVersion: listRv,
      ...(more && last
        ? {
            continue: Buffer.from(
              JSON.stringify({
                rv: listRv,
                start: this.key(t, last.metadata.namespace, last.metadata.name),
              }),
            ).toString('base64url'),
            remainingItemCount: all.length - page.length,
          }
        : {}),
    };
  }

  /**
   * Watches a resource. Resumes after `resourceVersion` from the event window (410 Gone when it is older), or,
   * with no/zero resourceVersion, starts with synthetic ADDED events for the current state.
   */
  watch(
    t: ResourceType,
    ns: string | undefined,
    opts: {
      resourceVersion?: string;
      labelSelector?: LabelSelector;
      fieldSelector?: FieldSelector;
      sendInitialEvents?: boolean;
    },
    send: (e: WatchEvent) => void,
  ): () => void {
    const key = storageKey(t);
    const matches = (o: KObject | undefined) =>
      !!o &&
      (!t.namespaced || !ns || o.metadata.namespace === ns) &&
      matchesLabels(opts.labelSelector ?? [], o.metadata.labels) &&
      matchesFields(opts.fieldSelector ?? [], o);
    const deliver = (ev: LoggedEvent) => {
      if (ev.key !== key) return;
      const now = ev.type === 'DELETED' ? false : matches(ev.object);
      const before =
        ev.type === 'ADDED'
          ? false
          : matches(ev.prev ?? (ev.type === 'DELETED' ? ev.object : undefined));
      if (ev.type === 'DELETED') {
        if (matches(ev.object))
          send({ type: 'DELETED', object: this.out(t, ev.object) });
        return;
      }
      if (now && before)
        send({ type: 'MODIFIED', object: this.out(t, ev.object) });
      else if (now && !before)
        send({ type: 'ADDED', object: this.out(t, ev.object) });
      else if (!now && before)
        send({ type: 'DELETED', object: this.out(t, ev.object) });
    };
    const rv = opts.resourceVersion;
    if (!rv || rv === '0') {
      for (const o of this.list(t, ns, {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      }).items)
        send({ type: 'ADDED', object: o });
    } else {
      const from = Number(rv);
      if (!Number.isFinite(from))
        throw errors.badRequest(`invalid resource version "${rv}"`);
      if (from < this.oldestWatchableRv)
        throw errors.gone(
          `too old resource version: ${from} (${this.oldestWatchableRv})`,
        );
      for (const ev of this.log) if (ev.rv > from) deliver(ev);
    }
    this.listeners.add(deliver);
    return () => {
      this.listeners.delete(deliver);
    };
  }

  /** Subscribes to every change (in-process controllers). */
  subscribe(
    fn: (e: {
      type: LoggedEvent['type'];
      resource: ResourceType;
      object: KObject;
      prev?: KObject;
    }) => void,
  ): () => void {
    const l = (ev: LoggedEvent) => {
      const t = this.storageTypes.get(ev.key);
      if (t)
        fn({ type: ev.type, resource: t, object: ev.object, prev: ev.prev });
    };
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  // ---------------------------------------------------------------- writes

  create(
    t: ResourceType,
    ns: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    if (!isObj(body))
      throw errors.badRequest('the body of the request must be an object');
    const obj = clone(body) as KObject;
    if (obj.kind !== undefined && obj.kind !== t.kind)
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t))
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
    const md = obj.metadata;
    if (t.namespaced) {
      if (md.namespace && ns && md.namespace !== ns)
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      md.namespace = ns ?? md.namespace;
      if (!md.namespace)
        throw errors.badRequest('the namespace of the object is required');
      const nsType = this.findType('', 'v1', 'namespaces')!;
      const namespace = this.tryGet(nsType, undefined, md.namespace);
      if (!namespace) throw errors.notFound('namespaces', '', md.namespace);
      if (namespace.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          'Forbidden',
          `${t.plural} "${md.name ?? md.generateName}" is forbidden: unable to create new content in namespace ${md.namespace} because it is being terminated`,
        );
      }
    } else delete md.namespace;
    if (!md.name && md.generateName)
      md.name = `${md.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    if (!md.name)
      throw errors.invalid(t.kind, t.group, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    const nameProblems = this.checkName(t, md.name);
    if (nameProblems.length) {
      throw errors.invalid(
        t.kind,
        t.group,
        md.name,
        nameProblems.map(p => ({
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: "${md.name}": ${p}`,
        })),
      );
    }
    if (this.bucket(t).has(this.key(t, md.namespace, md.name)))
      throw errors.alreadyExists(t.plural, t.group, md.name);
    if (t.status) delete obj.status;
    for (const f of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'deletionTimestamp',
      'generation',
      'managedFields',
      'selfLink',
    ])
      delete md[f];
    let admitted = this.defaultBuiltin(t, this.admitCustom(t, obj, opts));
    this.admitBuiltin(t, admitted);
    if (t.plural === 'namespaces')
      admitted = { ...admitted, status: { phase: 'Active' } };
    if (t.plural === 'pods')
      admitted = {
        ...admitted,
        status: {
          phase: 'Pending',
          qosClass: 'BestEffort',
          ...(admitted.status ?? {}),
        },
      };
    const now = nowIso();
    admitted.metadata = {
      ...admitted.metadata,
      uid: randomUUID(),
      creationTimestamp: now,
      ...(hasGeneration(t) ? { generation: 1 } : {}),
    };
    if (t.plural === 'jobs' && t.builtin && !admitted.spec?.manualSelector) {
      // the Job strategy: a selector on the job's uid, and its labels on the pod template
      const labels = {
        'batch.kubernetes.io/controller-uid': admitted.metadata.uid,
        'batch.kubernetes.io/job-name': admitted.metadata.name,
        'controller-uid': admitted.metadata.uid,
        'job-name': admitted.metadata.name,
      };
      const spec = isObj(admitted.spec) ? admitted.spec : {};
      const template = isObj(spec.template) ? spec.template : {};
      const meta = isObj(template.metadata) ? template.metadata : {};
      admitted.spec = {
        ...spec,
        selector: {
          matchLabels: {
            'batch.kubernetes.io/controller-uid': admitted.metadata.uid,
          },
        },
        template: {
          ...template,
          metadata: { ...meta, labels: { ...(meta.labels ?? {}), ...labels } },
        },
      };
    }
    admitted.metadata.managedFields = trackUpdate({
      before: undefined,
      after: admitted,
      manager: opts.fieldManager ?? 'unknown',
      schema: t.schema,
      builtin: t.builtin,
      apiVersion: apiVersionOf(t),
      now,
    });
    if (opts.dryRun)
      return {
        ...admitted,
        metadata: {
          ...admitted.metadata,
          resourceVersion: this.resourceVersion,
        },
      };
    return this.store(t, admitted, 'ADDED');
  }

  private store(
    t: ResourceType,
    obj: KObject,
    type: 'ADDED' | 'MODIFIED',
    prev?: KObject,
  ): KObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    if (!obj.metadata.managedFields?.length) delete obj.metadata.managedFields;
    this.bucket(t).set(
      this.key(t, obj.metadata.namespace, obj.metadata.name),
      obj,
    );
    if (t.plural === 'customresourcedefinitions') this.installCrd(obj);
    this.emit(t, type, clone(obj), prev);
    return this.out(t, obj);
  }

  private takeForcedConflict(t: ResourceType): boolean {
    const fc = this.faults.forcedConflicts;
    if (fc && fc.count > 0 && (!fc.plural || fc.plural === t.plural)) {
      fc.count--;
      return true;
    }
    return false;
  }

  /** PUT (main resource or status subresource). */
  update(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): KObject {
    if (!isObj(body))
      throw errors.badRequest('the body of the request must be an object');
    const old = this.bucket(t).get(this.key(t, ns, name));
    if (!old) throw errors.notFound(t.plural, t.group, name);
    const obj = clone(body) as KObject;
    obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
    if (obj.metadata.name !== undefined && obj.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (
      t.namespaced &&
      obj.metadata.namespace !== undefined &&
      obj.metadata.namespace !== ns
    ) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (
      obj.metadata.resourceVersion !== undefined &&
      obj.metadata.resourceVersion !== '' &&
      obj.metadata.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw errors.conflict(t.plural, t.group, name);
    }
    if (this.takeForcedConflict(t))
      throw errors.conflict(t.plural, t.group, name);
    return this.commitUpdate(t, old, obj, opts);
  }

  private commitUpdate(
    t: ResourceType,
    old: KObject,
    incoming: KObject,
    opts: WriteOptions,
    managedOverride?: KObject['metadata']['managedFields'],
  ): KObject {
    let next: KObject;
    if (opts.subresource === 'status') {
      next = { ...clone(old), status: clone(incoming.status) };
      if (next.status === undefined) delete next.status;
    } else {
      next = clone(incoming);
      next.apiVersion = apiVersionOf(t);
      next.kind = t.kind;
      if (t.status) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      next.metadata = {
        ...next.metadata,
        name: old.metadata.name,
        ...(t.namespaced ? { namespace: old.metadata.namespace } : {}),
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        ...(old.metadata.generation !== undefined
          ? { generation: old.metadata.generation }
          : {}),
        ...(old.metadata.deletionTimestamp
          ? { deletionTimestamp: old.metadata.deletionTimestamp }
          : {}),
      };
      if (!next.metadata.deletionTimestamp)
        delete next.metadata.deletionTimestamp;
      next = this.defaultBuiltin(t, this.admitCustom(t, next, opts, old), old);
      this.admitBuiltin(t, next);
    }
    if (
      hasGeneration(t) &&
      (t.plural === 'customresourcedefinitions' ||
        t.status ||
        opts.subresource !== 'status')
    ) {
      if (this.specChanged(t, old, next))
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    }
    const now = nowIso();
    next.metadata.managedFields =
      managedOverride ??
      trackUpdate({
        before: old,
        after: next,
        manager: opts.fieldManager ?? 'unknown',
        schema: t.schema,
        builtin: t.builtin,
        apiVersion: apiVersionOf(t),
        now,
        subresource: opts.subresource,
      });
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (stable(next) === stable({ ...old, apiVersion: next.apiVersion }))
      return this.out(t, old); // a no-op write changes nothing, not even the resourceVersion
    if (opts.dryRun) return next;
    const result = this.store(t, next, 'MODIFIED', clone(old));
    if (
      result.metadata.deletionTimestamp &&
      (!result.metadata.finalizers || result.metadata.finalizers.length === 0)
    ) {
      this.remove(t, result);
    }
    return result;
  }

  /** PATCH with merge, JSON, strategic-merge or apply (server-side apply) semantics. */
  patch(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    opts: WriteOptions & { force?: boolean } = {},
  ): KObject {
    const ct = contentType.split(';')[0].trim().toLowerCase();
    const old = this.bucket(t).get(this.key(t, ns, name));
    if (
      ct === 'application/apply-patch+yaml' ||
      ct === 'application/apply-patch+json'
    ) {
      return this.apply(t, ns, name, patchBody, old, opts);
    }
    if (!old) throw errors.notFound(t.plural, t.group, name);
    if (this.takeForcedConflict(t))
      throw errors.conflict(t.plural, t.group, name);
    let next: unknown;
    const base = clone(old);
    if (ct === 'application/merge-patch+json')
      next = applyMergePatch(base, patchBody);
    else if (ct === 'application/json-patch+json')
      next = applyJsonPatch(base, patchBody);
    else if (ct === 'application/strategic-merge-patch+json') {
      if (!t.builtin)
        throw errors.unsupportedMediaType(
          `${ct} (strategic merge patch is not supported for custom resources)`,
        );
      next = applyStrategicMergePatch(base, patchBody);
    } else throw errors.unsupportedMediaType(ct);
    if (!isObj(next))
      throw errors.badRequest('the patch produced a non-object');
    const meta = isObj(next.metadata) ? next.metadata : {};
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== old.metadata.resourceVersion
    )
      throw errors.conflict(t.plural, t.group, name);
    return this.commitUpdate(t, old, next as KObject, opts);
  }

  private apply(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    old: KObject | undefined,
    opts: WriteOptions & { force?: boolean },
  ): KObject {
    if (!isObj(body))
      throw errors.badRequest('the apply configuration must be an object');
    if (!opts.fieldManager)
      throw errors.badRequest(
        'PATCH, application/apply-patch+yaml requests require fieldManager to be set',
      );
    if (body.apiVersion !== apiVersionOf(t) || body.kind !== t.kind) {
      throw errors.badRequest(
        `apiVersion and kind of the apply configuration must be ${apiVersionOf(t)}, ${t.kind}`,
      );
    }
    if (
      isObj(body.metadata) &&
      body.metadata.name !== undefined &&
      body.metadata.name !== name
    ) {
      throw errors.badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (
      old &&
      isObj(body.metadata) &&
      body.metadata.resourceVersion &&
      body.metadata.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw errors.conflict(t.plural, t.group, name);
    }
    const now = nowIso();
    const res = serverSideApply({
      live: old,
      applied: body,
      manager: opts.fieldManager,
      force: !!opts.force,
      schema: t.schema,
      builtin: t.builtin,
      apiVersion: apiVersionOf(t),
      now,
      subresource: opts.subresource,
    });
    if (!old) {
      const created = this.create(
        t,
        ns,
        {
          ...res.object,
          apiVersion: apiVersionOf(t),
          kind: t.kind,
          metadata: {
            ...(res.object.metadata ?? {}),
            name,
            ...(t.namespaced ? { namespace: ns } : {}),
          },
        },
        { ...opts, fieldManager: opts.fieldManager },
      );
      if (opts.dryRun) return created;
      const stored = this.bucket(t).get(
        this.key(t, created.metadata.namespace, created.metadata.name),
      )!;
      stored.metadata.managedFields = res.managedFields;
      return this.out(t, stored);
    }
    if (this.takeForcedConflict(t))
      throw errors.conflict(t.plural, t.group, name);
    return this.commitUpdate(
      t,
      old,
      res.object as KObject,
      opts,
      res.managedFields,
    );
  }

  /** DELETE with propagation (Background default, Foreground, Orphan) and finalizers. */
  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      preconditions?: { uid?: string; resourceVersion?: string };
      dryRun?: boolean;
    } = {},
  ): KObject {
    const obj = this.bucket(t).get(this.key(t, ns, name));
    if (!obj) throw errors.notFound(t.plural, t.group, name);
    if (
      opts.preconditions?.uid &&
      opts.preconditions.uid !== obj.metadata.uid
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`,
      );
    }
    if (
      opts.preconditions?.resourceVersion &&
      opts.preconditions.resourceVersion !== obj.metadata.resourceVersion
    )
      throw errors.conflict(t.plural, t.group, name);
    if (opts.dryRun) return clone(obj);
    const policy =
      opts.propagationPolicy ??
      (t.plural === 'namespaces' ? 'Foreground' : 'Background');
    const finalizers: string[] = [...(obj.metadata.finalizers ?? [])];
    if (
      policy === 'Foreground' &&
      t.plural !== 'namespaces' &&
      !finalizers.includes('foregroundDeletion') &&
      this.dependentsOf(obj.metadata.uid).length > 0
    )
      finalizers.push('foregroundDeletion');
    if (
      policy === 'Orphan' &&
      this.dependentsOf(obj.metadata.uid).length > 0 &&
      !finalizers.includes('orphan')
    )
      finalizers.push('orphan');
    if (t.plural === 'namespaces') {
      // Namespace deletion: Terminating, contents deleted, then the namespace goes.
      const next = {
        ...clone(obj),
        metadata: {
          ...clone(obj.metadata),
          deletionTimestamp: obj.metadata.deletionTimestamp ?? nowIso(),
        },
        status: { phase: 'Terminating' },
      };
      const stored = obj.metadata.deletionTimestamp
        ? clone(obj)
        : this.store(t, next, 'MODIFIED', clone(obj));
      queueMicrotask(() => this.finishNamespace(name));
      return stored;
    }
    if (finalizers.length > 0) {
      if (obj.metadata.deletionTimestamp) return clone(obj);
      const next = {
        ...clone(obj),
        metadata: {
          ...clone(obj.metadata),
          deletionTimestamp: nowIso(),
          deletionGracePeriodSeconds: 0,
          finalizers,
        },
      };
      const stored = this.store(t, next, 'MODIFIED', clone(obj));
      queueMicrotask(() => this.collectGarbage());
      return stored;
    }
    this.remove(t, obj);
    return clone(obj);
  }

  private remove(t: ResourceType, obj: KObject): void {
    const key = this.key(t, obj.metadata.namespace, obj.metadata.name);
    const stored = this.bucket(t).get(key);
    if (!stored) return;
    this.bucket(t).delete(key);
    this.rv++;
    const gone = clone(stored);
    gone.metadata.resourceVersion = String(this.rv);
    if (t.plural === 'customresourcedefinitions') {
      try {
        const info = parseCrd(stored);
        for (const v of info.versions) {
          const ct = this.findType(info.group, v.name, info.plural);
          if (ct) this.unregisterType(ct);
        }
      } catch {
        // not a valid CRD: nothing was registered
      }
    }
    this.emit(t, 'DELETED', gone);
    queueMicrotask(() => this.collectGarbage());
  }

  private dependentsOf(uid: string): Array<{ t: ResourceType; o: KObject }> {
    const out: Array<{ t: ResourceType; o: KObject }> = [];
    for (const t of this.storedTypes()) {
      for (const o of this.bucket(t).values()) {
        if ((o.metadata.ownerReferences ?? []).some((r: any) => r.uid === uid))
          out.push({ t, o });
      }
    }
    return out;
  }

  private allUids(): Set<string> {
    const s = new Set<string>();
    for (const t of this.storedTypes())
      for (const o of this.bucket(t).values()) s.add(o.metadata.uid);
    return s;
  }

  /** Garbage collector: deletes dependents of vanished owners, drives foreground and orphan finalizers. */
  collectGarbage(): void {
    for (let round = 0; round < 50; round++) {
      let changed = false;
      const uids = this.allUids();
      const owners = new Map<string, KObject>();
      for (const t of this.storedTypes())
        for (const o of this.bucket(t).values()) owners.set(o.metadata.uid, o);
      for (const t of this.storedTypes()) {
        for (const o of [...this.bucket(t).values()]) {
          const refs: any[] = o.metadata.ownerReferences ?? [];
          if (refs.length > 0) {
            const live = refs.filter(r => uids.has(r.uid));
            const owner = live
              .map(r => owners.get(r.uid))
              .find(
                x =>
                  x &&
                  x.metadata.deletionTimestamp &&
                  (x.metadata.finalizers ?? []).includes('foregroundDeletion'),
              );
            if (live.length === 0 || owner) {
              if (!o.metadata.deletionTimestamp) {
                this.delete(t, o.metadata.namespace, o.metadata.name, {
                  propagationPolicy: owner ? 'Foreground' : 'Background',
                });
                changed = true;
              }
              continue;
            }
          }
          const fin: string[] = o.metadata.finalizers ?? [];
          if (
            o.metadata.deletionTimestamp &&
            fin.includes('foregroundDeletion') &&
            this.dependentsOf(o.metadata.uid).length === 0
          ) {
            this.commitUpdate(
              t,
              o,
              {
                ...clone(o),
                metadata: {
                  ...clone(o.metadata),
                  finalizers: fin.filter(f => f !== 'foregroundDeletion'),
                },
              },
              { fieldManager: 'garbage-collector' },
            );
            changed = true;
          } else if (o.metadata.deletionTimestamp && fin.includes('orphan')) {
            for (const d of this.dependentsOf(o.metadata.uid)) {
              this.commitUpdate(
                d.t,
                d.o,
                {
                  ...clone(d.o),
                  metadata: {
                    ...clone(d.o.metadata),
                    ownerReferences: (
                      d.o.metadata.ownerReferences ?? []
                    ).filter((r: any) => r.uid !== o.metadata.uid),
                  },
                },
                { fieldManager: 'garbage-collector' },
              );
            }
            this.commitUpdate(
              t,
              o,
              {
                ...clone(o),
                metadata: {
                  ...clone(o.metadata),
                  finalizers: fin.filter(f => f !== 'orphan'),
                },
              },
              { fieldManager: 'garbage-collector' },
            );
            changed = true;
          }
        }
      }
      if (!changed) return;
    }
  }

  private finishNamespace(name: string): void {
    for (const t of this.storedTypes()) {
      if (!t.namespaced) continue;
      for (const o of [...this.bucket(t).values()]) {
        if (o.metadata.namespace === name && !o.metadata.deletionTimestamp)
          this.delete(t, name, o.metadata.name, {
            propagationPolicy: 'Background',
          });
      }
    }
    const nsType = this.findType('', 'v1', 'namespaces')!;
    const remaining = this.storedTypes().some(
      t =>
        t.namespaced &&
        [...this.bucket(t).values()].some(o => o.metadata.namespace === name),
    );
    const ns = this.bucket(nsType).get(name);
    if (!ns) return;
    if (remaining) {
      // retried until its content is gone (objects held by finalizers keep the namespace Terminating)
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.finishNamespace(name);
      }, 20);
      this.timers.add(timer);
      return;
    }
    this.remove(nsType, ns);
  }

  // ---------------------------------------------------------------- persistence

  snapshot(): { resourceVersion: number; objects: KObject[] } {
    const objects: KObject[] = [];
    const crds = this.bucket(
      this.findType('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!,
    );
    objects.push(...[...crds.values()].map(clone));
    for (const t of this.storedTypes()) {
      if (t.plural === 'customresourcedefinitions') continue;
      for (const o of this.bucket(t).values()) objects.push(clone(o));
    }
    return { resourceVersion: this.rv, objects };
  }

  restore(snap: { resourceVersion: number; objects: KObject[] }): void {
    for (const o of snap.objects) {
      const t =
        o.kind === 'CustomResourceDefinition'
          ? this.findType(
              'apiextensions.k8s.io',
              'v1',
              'customresourcedefinitions',
            )
          : this.typeForObject(o as { apiVersion?: string; kind?: string });
      if (!t) continue;
      this.bucket(t).set(
        this.key(t, o.metadata.namespace, o.metadata.name),
        clone(o),
      );
      if (t.plural === 'customresourcedefinitions') this.installCrd(o);
    }
    this.rv = Math.max(this.rv, snap.resourceVersion);
  }
}
