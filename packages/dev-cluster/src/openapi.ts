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
 * OpenAPI v3 documents and server-side Table output, enough for kubectl: the v3 index and per-group-version
 * documents (kubectl checks that PATCH accepts the fieldValidation parameter to validate on the server), and
 * meta.k8s.io/v1 Tables for `kubectl get` with the CRD's printer columns.
 */

import { KObject, KubeApi } from './api';
import { apiVersionOf, KUBERNETES_VERSION, ResourceType } from './resources';

const gvPath = (t: ResourceType) =>
  t.group ? `apis/${t.group}/${t.version}` : 'api/v1';

export function openApiIndex(api: KubeApi) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const t of api.allTypes()) {
    const p = gvPath(t);
    paths[p] = {
      serverRelativeURL: `/openapi/v3/${p}?hash=${api.resourceVersion}`,
    };
  }
  return { paths };
}

export function openApiDocument(api: KubeApi, path: string) {
  const types = api.allTypes().filter(t => gvPath(t) === path);
  if (types.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  const params = [
    'dryRun',
    'fieldManager',
    'fieldValidation',
    'force',
    'pretty',
  ].map(name => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string' },
  }));
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const id = `${t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${t.version}.${t.kind}`;
    schemas[id] = {
      ...(t.schema ?? {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      }),
      'x-kubernetes-group-version-kind': [gvk],
    };
    const base = `/${path}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const op = (verb: string) => ({
      operationId: `${verb}${t.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params,
      responses: {
        '200': {
          description: 'OK',
          content: {
            'application/json': {
              schema: { $ref: `#/components/schemas/${id}` },
            },
          },
        },
      },
    });
    paths[base] = { get: op('list'), post: op('post') };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put'),
      patch: op('patch'),
      delete: op('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

/**
 * A Swagger 2.0 document (`/openapi/v2`). kubectl falls back to it for client-side validation when server-side field
 * validation cannot be confirmed for a kind (e.g. a `List` document). Definitions carry only their
 * group-version-kind, so the client accepts any content and the API server remains the validator (it validates and
 * prunes custom resources against the full structural schema on create, update and apply).
 */
export function openApiV2Document(api: KubeApi) {
  const definitions: Record<string, unknown> = {};
  for (const t of api.allTypes()) {
    const id = `${t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${t.version}.${t.kind}`;
    definitions[id] = {
      description: `${t.kind} (${t.group ? `${t.group}/` : ''}${t.version})`,
      'x-kubernetes-group-version-kind': [
        { group: t.group, version: t.version, kind: t.kind },
      ],
    };
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths: {},
    definitions,
  };
}

// Minimal protobuf writer for the gnostic `openapi.v2.Document` message (field numbers of google/gnostic
// openapiv2/OpenAPIv2.proto), which is what kubectl asks /openapi/v2 for.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
const lengthDelimited = (field: number, payload: Buffer) =>
  Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
const str = (field: number, value: string) =>
  lengthDelimited(field, Buffer.from(value, 'utf8'));

/** `openapi.v2.Document` in protobuf: swagger, info, and one definition per kind with its group-version-kind. */
export function openApiV2Protobuf(api: KubeApi): Buffer {
  const doc = openApiV2Document(api);
  const defs = Object.entries(doc.definitions).map(([name, d]) => {
    const def = d as {
      description: string;
      'x-kubernetes-group-version-kind': Array<{
        group: string;
        version: string;
        kind: string;
      }>;
    };
    const gvk = def['x-kubernetes-group-version-kind'][0];
    const yaml = `- group: ${JSON.stringify(gvk.group)}\n  kind: ${JSON.stringify(gvk.kind)}\n  version: ${JSON.stringify(gvk.version)}\n`;
    const anyMsg = str(2, yaml); // Any.yaml
    const namedAny = Buffer.concat([
      str(1, 'x-kubernetes-group-version-kind'),
      lengthDelimited(2, anyMsg),
    ]);
    const schema = Buffer.concat([
      str(4, def.description),
      lengthDelimited(31, namedAny),
    ]);
    return lengthDelimited(
      1,
      Buffer.concat([str(1, name), lengthDelimited(2, schema)]),
    ); // NamedSchema
  });
  return Buffer.concat([
    str(1, doc.swagger),
    lengthDelimited(
      2,
      Buffer.concat([str(1, doc.info.title), str(2, doc.info.version)]),
    ),
    lengthDelimited(8, Buffer.alloc(0)),
    lengthDelimited(9, Buffer.concat(defs)),
  ]);
}

/** Evaluates the JSONPath subset used by printer columns: .a.b, [n], [*], [?(@.k=="v")].x (the first result) */
export function jsonPath(obj: unknown, expr: string): unknown {
  const tokens =
    expr
      .replace(/^\./, '')
      .match(/\[\?\(@\.[^)]+\)\]|\[\d+\]|\[\*\]|[^.[\]]+/g) ?? [];
  let cur: unknown[] = [obj];
  for (const tok of tokens) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || c === undefined) continue;
      const filter = /^\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(
        tok,
      );
      if (filter) {
        if (Array.isArray(c))
          for (const item of c)
            if (item && String((item as any)[filter[1]]) === filter[2])
              next.push(item);
      } else if (tok === '[*]') {
        if (Array.isArray(c)) next.push(...c);
      } else if (/^\[\d+\]$/.test(tok)) {
        if (Array.isArray(c)) next.push(c[Number(tok.slice(1, -1))]);
      } else next.push((c as any)[tok]);
    }
    cur = next;
  }
  return cur.length === 0 ? undefined : cur[0];
}

/** Kubernetes' HumanDuration, as the server prints date columns ("5s", "3m20s", "2d4h"). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const join = (a: string, b: number, unit: string) =>
    b ? `${a}${b}${unit}` : a;
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return join(`${m}m`, s % 60, 's');
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return join(`${h}h`, m % 60, 'm');
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return join(`${d}d`, h % 24, 'h');
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d < 365 * 8) return join(`${y}y`, d % 365, 'd');
  return `${y}y`;
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

/** The `includeObject` query parameter of a Table request (anything else is kube-apiserver's default, Metadata). */
export function includeObjectOf(q: URLSearchParams): TableIncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

type Column = {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  jsonPath?: string;
  value?: (o: KObject) => unknown;
};

const col = (
  name: string,
  value: (o: KObject) => unknown,
  priority = 0,
  type = 'string',
): Column => ({ name, type, format: '', description: name, priority, value });
const age = (): Column => ({
  name: 'Age',
  type: 'date',
  format: '',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  jsonPath: '.metadata.creationTimestamp',
});

function podStatus(o: KObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const c of (o.status?.containerStatuses ?? []) as any[]) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  if (o.status?.reason) return o.status.reason;
  return o.status?.phase ?? 'Pending';
}

/** `-o wide` columns of Deployments and ReplicaSets: containers, images, selector. */
const workloadWide = (): Column[] => [
  col(
    'Containers',
    o =>
      ((o.spec?.template?.spec?.containers ?? []) as any[])
        .map(c => c.name)
        .join(','),
    1,
  ),
  col(
    'Images',
    o =>
      ((o.spec?.template?.spec?.containers ?? []) as any[])
        .map(c => c.image)
        .join(','),
    1,
  ),
  col('Selector', o => selectorString(o.spec?.selector), 1),
];

/** A LabelSelector in its string form (`a=b,c in (d)`). */
export function selectorString(sel: any): string {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(
    ([k, v]) => `${k}=${v}`,
  );
  for (const e of (sel.matchExpressions ?? []) as any[]) {
    const op = String(e.operator ?? '');
    if (op === 'Exists') parts.push(e.key);
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
    else
      parts.push(
        `${e.key} ${op === 'NotIn' ? 'notin' : 'in'} (${(e.values ?? []).join(',')})`,
      );
  }
  return parts.join(',') || '<none>';
}

const subjectsOf = (o: KObject, kind: string) =>
  ((o.subjects ?? []) as any[])
    .filter(s => s.kind === kind)
    .map(s =>
      kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name,
    )
    .join(', ');
const bindingColumns = (): Column[] => [
  col('Role', o => `${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`),
  age(),
  col('Users', o => subjectsOf(o, 'User'), 1),
  col('Groups', o => subjectsOf(o, 'Group'), 1),
  col('ServiceAccounts', o => subjectsOf(o, 'ServiceAccount'), 1),
];

const since = (v: unknown): string =>
  typeof v === 'string' && v
    ? humanDuration(Date.now() - Date.parse(v))
    : '<unknown>';
/** core/v1 Event columns (`kubectl get events`): Name is a wide column, no Age. */
const EVENT_COLUMNS = (): Column[] => [
  col('Last Seen', o =>
    since(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp),
  ),
  col('Type', o => o.type ?? ''),
  col('Reason', o => o.reason ?? ''),
  col(
    'Object',
    o =>
      `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`,
  ),
  col('Subobject', o => o.involvedObject?.fieldPath ?? '', 1),
  col(
    'Source',
    o =>
      [o.source?.component ?? o.reportingComponent, o.source?.host]
        .filter(Boolean)
        .join(', '),
    1,
  ),
  col('Message', o => String(o.message ?? '').trim()),
  col('First Seen', o => since(o.firstTimestamp ?? o.eventTime), 1),
  col('Count', o => o.count ?? 1, 1, 'integer'),
  { ...col('Name', o => o.metadata.name, 1), format: 'name' },
];

/** The columns a real API server prints for built-in kinds (kubernetes/pkg/printers/internalversion). */
const BUILTIN_COLUMNS: Record<string, () => Column[]> = {
  pods: () => [
    col(
      'Ready',
      o =>
        `${((o.status?.containerStatuses ?? []) as any[]).filter(x => x.ready).length}/${(o.spec?.containers ?? []).length}`,
    ),
    col('Status', podStatus),
    col(
      'Restarts',
      o =>
        ((o.status?.containerStatuses ?? []) as any[]).reduce(
          (n, c) => n + (c.restartCount ?? 0),
          0,
        ),
      0,
      'integer',
    ),
    age(),
    col('IP', o => o.status?.podIP ?? '<none>', 1),
    col('Node', o => o.spec?.nodeName ?? '<none>', 1),
    col('Nominated Node', o => o.status?.nominatedNodeName ?? '<none>', 1),
    col(
      'Readiness Gates',
      o => {
        const gates = (o.spec?.readinessGates ?? []) as any[];
        if (gates.length === 0) return '<none>';
        const conds = (o.status?.conditions ?? []) as any[];
        const ok = gates.filter(g =>
          conds.some(c => c.type === g.conditionType && c.status === 'True'),
        ).length;
        return `${ok}/${gates.length}`;
      },
      1,
    ),
  ],
  nodes: () => [
    col(
      'Status',
      o =>
        (((o.status?.conditions ?? []) as any[]).some(
          c => c.type === 'Ready' && c.status === 'True',
        )
          ? 'Ready'
          : 'NotReady') + (o.spec?.unschedulable ? ',SchedulingDisabled' : ''),
    ),
    col(
      'Roles',
      o =>
        Object.keys(o.metadata.labels ?? {})
          .filter(k => k.startsWith('node-role.kubernetes.io/'))
          .map(k => k.split('/')[1])
          .join(',') || '<none>',
    ),
    age(),
    col('Version', o => o.status?.nodeInfo?.kubeletVersion ?? ''),
  ],
  deployments: () => [
    col(
      'Ready',
      o => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`,
    ),
    col('Up-to-date', o => o.status?.updatedReplicas ?? 0, 0, 'integer'),
    col('Available', o => o.status?.availableReplicas ?? 0, 0, 'integer'),
    age(),
    ...workloadWide(),
  ],
  services: () => [
    col('Type', o => o.spec?.type ?? 'ClusterIP'),
    col('Cluster-IP', o => o.spec?.clusterIP ?? '<none>'),
    col('External-IP', () => '<none>'),
    col(
      'Port(s)',
      o =>
        ((o.spec?.ports ?? []) as any[])
          .map(p => `${p.port}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>',
    ),
    age(),
  ],
  configmaps: () => [
    col(
      'Data',
      o =>
        Object.keys(o.data ?? {}).length +
        Object.keys(o.binaryData ?? {}).length,
      0,
      'integer',
    ),
    age(),
  ],
  namespaces: () => [col('Status', o => o.status?.phase ?? 'Active'), age()],
  secrets: () => [
    col('Type', o => o.type ?? 'Opaque'),
    col(
      'Data',
      o =>
        Object.keys(o.data ?? {}).length +
        Object.keys(o.stringData ?? {}).length,
      0,
      'integer',
    ),
    age(),
  ],
  replicasets: () => [
    col('Desired', o => o.spec?.replicas ?? 1, 0, 'integer'),
    col('Current', o => o.status?.replicas ?? 0, 0, 'integer'),
    col('Ready', o => o.status?.readyReplicas ?? 0, 0, 'integer'),
    age(),
    ...workloadWide(),
  ],
  jobs: () => [
    col('Status', o => {
      const conds = (o.status?.conditions ?? []) as any[];
      const on = (type: string) =>
        conds.some(c => c.type === type && c.status === 'True');
      if (on('Complete')) return 'Complete';
      if (on('Failed')) return 'Failed';
      if (o.spec?.suspend) return 'Suspended';
      return 'Running';
    }),
    col(
      'Completions',
      o => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
    ),
    col('Duration', o => {
      const start = o.status?.startTime;
      if (!start) return '';
      const end = o.status?.completionTime
        ? Date.parse(o.status.completionTime)
        : Date.now();
      return humanDuration(end - Date.parse(start));
    }),
    age(),
    ...workloadWide(),
  ],
  roles: () => [col('Created At', o => o.metadata.creationTimestamp ?? '', 0)],
  clusterroles: () => [
    col('Created At', o => o.metadata.creationTimestamp ?? '', 0),
  ],
  rolebindings: () => bindingColumns(),
  clusterrolebindings: () => bindingColumns(),
  leases: () => [col('Holder', o => o.spec?.holderIdentity ?? ''), age()],
  serviceaccounts: () => [
    col('Secrets', o => (o.secrets ?? []).length, 0, 'integer'),
    age(),
  ],
};

/** `includeObject` of a Table request: what each row's `object` holds (kube-apiserver's default is Metadata). */
export type TableIncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  t: ResourceType,
  items: KObject[],
  listMeta: Record<string, unknown>,
  includeObject: TableIncludeObject = 'Metadata',
) {
  if (!t.group && t.plural === 'events')
    return tableOf(t, EVENT_COLUMNS(), items, listMeta, includeObject);
  const columns: Column[] = [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
  ];
  const builtin =
    !t.group ||
    [
      'apps',
      'batch',
      'rbac.authorization.k8s.io',
      'coordination.k8s.io',
    ].includes(t.group)
      ? BUILTIN_COLUMNS[t.plural]
      : undefined;
  if (builtin) columns.push(...builtin());
  for (const c of (t.printerColumns ?? []) as Array<Record<string, any>>) {
    columns.push({
      name: c.name,
      type: c.type ?? 'string',
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
      jsonPath: c.jsonPath,
    });
  }
  if (!columns.some(c => c.name === 'Age' || c.name === 'Created At'))
    columns.push(age());
  return tableOf(t, columns, items, listMeta, includeObject);
}

function tableOf(
  t: ResourceType,
  columns: Column[],
  items: KObject[],
  listMeta: Record<string, unknown>,
  includeObject: TableIncludeObject,
) {
  const rows = items.map(o => ({
    cells: columns.map(c => {
      if (c.name === 'Name' && !c.value) return o.metadata.name;
      const v = c.value ? c.value(o) : c.jsonPath && jsonPath(o, c.jsonPath);
      if (c.type === 'date' && typeof v === 'string')
        return humanDuration(Date.now() - Date.parse(v));
      return v === undefined ? null : v;
    }),
    // kubectl asks for whole objects (`includeObject=Object`) when it sorts (`--sort-by`) or prints more than
    // the columns; without them it finds no field to sort by and prints "No resources found".
    ...(includeObject === 'None'
      ? {}
      : {
          object:
            includeObject === 'Object'
              ? { ...o, apiVersion: apiVersionOf(t), kind: t.kind }
              : {
                  kind: 'PartialObjectMetadata',
                  apiVersion: 'meta.k8s.io/v1',
                  metadata: o.metadata,
                },
        }),
  }));
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(({ jsonPath: _j, value: _v, ...c }) => c),
    rows,
  };
}

export { apiVersionOf };
