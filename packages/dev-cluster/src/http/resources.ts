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
 * Resource paths: /api/v1/… and /apis/<group>/<version>/…, optionally under namespaces/<ns>. A request is parsed
 * and authorized once, then served from the tables below: collection verbs, the subresources with their own
 * handlers (proxy, scale, log), and object verbs on the object or its status.
 */

import { apiVersionOf, ResourceType } from '../resources';
import { errors } from '../errors';
import { accessReview, resourceAttributes } from '../rbac';
import { scaleOf, updateScale } from '../scale';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { includeObjectOf, toTable, wantsTable } from '../openapi';
import { logs } from './logs';
import { proxy } from './proxy';
import { bodyOf, notFound, parseBody, send } from './respond';
import { Call } from './types';
import { watch } from './watch';

/** A request on a resource path, parsed and authorized. */
interface ResourceCall extends Call {
  t: ResourceType;
  ns: string | undefined;
  /** The name segment as sent (a proxy name may carry a scheme and port). */
  nameRaw: string | undefined;
  sub: string | undefined;
  /** Path segments after the subresource (the proxied path). */
  subRest: string[];
  q: URLSearchParams;
  fieldManager: string;
  dryRun: boolean;
  fieldValidation: 'Ignore' | 'Warn' | 'Strict';
  /** Filled by writes (unknown fields pruned), answered as Warning headers. */
  warnings: string[];
}

/** A request on one object. */
type ObjectCall = ResourceCall & { nameRaw: string };

const notAllowed = () =>
  errors.methodNotAllowed(
    'the server does not allow this method on the requested resource',
  );

/** Parses a resource path, finds its type (404 when none is served there) and authorizes the request. */
function resolve(call: Call): ResourceCall {
  const { server, req, url, segs, method, user } = call;
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else {
    throw notFound();
  }
  let ns: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    server.api.findType(group, version, rest[2])?.namespaced
  ) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const [plural, nameRaw, sub, ...subRest] = rest;
  const t = server.api.findType(group, version, plural);
  if (!t) throw notFound();
  if (t.namespaced && !ns && nameRaw !== undefined) throw notFound();
  const q = url.searchParams;
  // proxy names: "pod", "pod:8000", "http:pod:8000"
  const nameParts = nameRaw?.split(':') ?? [];
  const objectName =
    sub === 'proxy' && nameParts.length === 3 ? nameParts[1] : nameParts[0];
  server.authorizer.authorize(
    user,
    resourceAttributes(method, {
      apiGroup: group,
      resource: t.plural,
      subresource: sub,
      name: objectName,
      namespace: t.plural === 'namespaces' ? nameRaw : ns,
      watch: q.get('watch') === 'true' || q.get('watch') === '1',
    }),
  );
  return {
    ...call,
    t,
    ns,
    nameRaw,
    sub,
    subRest,
    q,
    fieldManager: q.get('fieldManager') ?? defaultManager(req.headers),
    dryRun: q.getAll('dryRun').includes('All'),
    fieldValidation:
      (q.get('fieldValidation') as 'Ignore' | 'Warn' | 'Strict' | null) ??
      'Warn',
    warnings: [],
  };
}

/** The field manager of a write that names none: the client's name from its User-Agent, as kube-apiserver. */
function defaultManager(headers: Call['req']['headers']): string {
  const ua = String(headers['user-agent'] ?? 'unknown');
  return ua.split('/')[0] || 'unknown';
}

function warningHeaders(r: ResourceCall): Record<string, string> {
  return r.warnings.length
    ? {
        Warning: r.warnings
          .map(w => `299 - "${w.replace(/"/g, '\\"')}"`)
          .join(', '),
      }
    : {};
}

/** The write options of create, update and patch. */
const writeOptions = (r: ResourceCall) => ({
  dryRun: r.dryRun,
  warnings: r.warnings,
  fieldValidation: r.fieldValidation,
});

// ---------------------------------------------------------------- collections

const COLLECTION_VERBS = new Map<string, (r: ResourceCall) => Promise<void>>([
  ['GET', listOrWatch],
  ['POST', create],
  ['DELETE', deleteCollection],
]);

async function listOrWatch(r: ResourceCall) {
  const { server, req, res, t, ns, q } = r;
  const labelSelector = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fieldSelector = parseFieldSelector(
    q.get('fieldSelector') ?? undefined,
    ['metadata.name', 'metadata.namespace', ...(t.fieldSelectors ?? [])],
    t.kind,
  );
  if (q.get('watch') === 'true' || q.get('watch') === '1') {
    await server.api.fault('watch', t.plural);
    watch(server, req, res, t, ns, q, labelSelector, fieldSelector);
    return;
  }
  await server.api.fault('list', t.plural);
  const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
  const list = server.api.list(t, ns, {
    labelSelector,
    fieldSelector,
    limit,
    continue: q.get('continue') ?? undefined,
  });
  if (wantsTable(req.headers.accept)) {
    send(
      res,
      200,
      toTable(
        t,
        list.items,
        {
          resourceVersion: list.resourceVersion,
          ...(list.continue ? { continue: list.continue } : {}),
        },
        includeObjectOf(q),
      ),
    );
    return;
  }
  send(res, 200, {
    apiVersion: apiVersionOf(t),
    kind: t.listKind,
    metadata: {
      resourceVersion: list.resourceVersion,
      ...(list.continue
        ? {
            continue: list.continue,
            remainingItemCount: list.remainingItemCount,
          }
        : {}),
    },
    items: list.items,
  });
}

async function create(r: ResourceCall) {
  await r.server.api.fault('create', r.t.plural);
  const body = await bodyOf(r);
  const created = r.server.api.create(r.t, r.ns, body, {
    fieldManager: r.fieldManager,
    ...writeOptions(r),
  });
  send(r.res, 201, created, warningHeaders(r));
}

async function deleteCollection({ server, res, t, ns, q }: ResourceCall) {
  await server.api.fault('delete', t.plural);
  const labelSelector = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const items = server.api.list(t, ns, { labelSelector }).items;
  for (const o of items)
    server.api.delete(t, o.metadata.namespace, o.metadata.name, {});
  send(res, 200, {
    apiVersion: apiVersionOf(t),
    kind: t.listKind,
    metadata: { resourceVersion: server.api.resourceVersion },
    items,
  });
}

/** POST of a self-review: answered from the requesting user, never stored. */
async function review(r: ResourceCall) {
  const { server, res, t, user } = r;
  await server.api.fault('create', t.plural);
  const body = ((await bodyOf(r)) ?? {}) as Record<string, any>;
  const base = {
    kind: t.kind,
    apiVersion: apiVersionOf(t),
    metadata: { creationTimestamp: null },
  };
  if (t.plural === 'selfsubjectaccessreviews') {
    const status = accessReview(server.authorizer, user, body.spec);
    send(res, 201, { ...base, spec: body.spec, status });
  } else if (t.plural === 'selfsubjectrulesreviews') {
    send(res, 201, {
      ...base,
      spec: body.spec ?? {},
      status: server.authorizer.rulesReview(user, body.spec?.namespace),
    });
  } else {
    send(res, 201, {
      ...base,
      status: {
        userInfo: {
          username: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups,
        },
      },
    });
  }
}

// ---------------------------------------------------------------- subresources with their own handlers

const SUBRESOURCES: Array<{
  serves(r: ObjectCall): boolean;
  serve(r: ObjectCall): Promise<void>;
}> = [
  {
    serves: r =>
      r.sub === 'proxy' && (r.t.plural === 'pods' || r.t.plural === 'services'),
    serve: r => proxy(r, r.t, r.ns!, r.nameRaw, r.subRest),
  },
  { serves: r => r.sub === 'scale' && !!r.t.scale, serve: scale },
  {
    serves: r => r.sub === 'log' && r.t.plural === 'pods' && r.method === 'GET',
    serve: async r => {
      await r.server.api.fault('get', 'pods/log');
      await logs(r, r.ns!, r.nameRaw, r.q);
    },
  },
];

async function scale(r: ObjectCall) {
  const { server, req, res, method, t, ns, nameRaw: name } = r;
  if (method === 'GET') {
    await server.api.fault('get', `${t.plural}/scale`);
    send(res, 200, scaleOf(t, server.api.get(t, ns, name)));
    return;
  }
  if (method !== 'PUT' && method !== 'PATCH') throw notAllowed();
  await server.api.fault(method === 'PUT' ? 'update' : 'patch', t.plural);
  const ct = req.headers['content-type'] ?? 'application/json';
  const body = parseBody(await server.readBody(req), ct);
  send(
    res,
    200,
    updateScale(
      server.api,
      t,
      ns,
      name,
      method === 'PUT' ? { put: body } : { patch: { contentType: ct, body } },
      { fieldManager: r.fieldManager, dryRun: r.dryRun },
    ),
  );
}

// ---------------------------------------------------------------- objects (and their status)

const OBJECT_VERBS = new Map<string, (r: ObjectCall) => Promise<void>>([
  ['GET', getObject],
  ['PUT', updateObject],
  ['PATCH', patchObject],
  ['DELETE', deleteObject],
]);

const subresourceOf = (r: ObjectCall) =>
  r.sub === 'status' ? ('status' as const) : undefined;

async function getObject(r: ObjectCall) {
  const { server, req, res, t, ns, nameRaw: name, q } = r;
  await server.api.fault('get', t.plural);
  if (wantsTable(req.headers.accept) && !subresourceOf(r))
    send(
      res,
      200,
      toTable(
        t,
        [server.api.get(t, ns, name)],
        { resourceVersion: server.api.resourceVersion },
        includeObjectOf(q),
      ),
    );
  else send(res, 200, server.api.get(t, ns, name));
}

async function updateObject(r: ObjectCall) {
  await r.server.api.fault('update', r.t.plural);
  const body = await bodyOf(r);
  send(
    r.res,
    200,
    r.server.api.update(r.t, r.ns, r.nameRaw, body, {
      fieldManager: r.fieldManager,
      subresource: subresourceOf(r),
      ...writeOptions(r),
    }),
    warningHeaders(r),
  );
}

const PATCH_MEDIA = [
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+json',
];

async function patchObject(r: ObjectCall) {
  const { server, req, res, t, q } = r;
  await server.api.fault('patch', t.plural);
  const ct = req.headers['content-type'] ?? '';
  const media = ct.split(';')[0].trim().toLowerCase();
  if (!PATCH_MEDIA.includes(media))
    throw errors.unsupportedMediaType(media || '(none)');
  const body = parseBody(await server.readBody(req), ct);
  const out = server.api.patch(t, r.ns, r.nameRaw, ct, body, {
    // an apply names its manager itself: no default from the User-Agent
    fieldManager:
      q.get('fieldManager') ??
      (/apply-patch/.test(ct) ? undefined : r.fieldManager),
    force: q.get('force') === 'true',
    subresource: subresourceOf(r),
    ...writeOptions(r),
  });
  send(res, 200, out, warningHeaders(r));
}

async function deleteObject(r: ObjectCall) {
  const { server, res, t, q } = r;
  await server.api.fault('delete', t.plural);
  const opts = ((await bodyOf(r)) ?? {}) as {
    propagationPolicy?: any;
    preconditions?: any;
  };
  const propagationPolicy =
    (q.get('propagationPolicy') as any) ?? opts.propagationPolicy;
  const out = server.api.delete(t, r.ns, r.nameRaw, {
    propagationPolicy,
    preconditions: opts.preconditions,
    dryRun: r.dryRun,
  });
  send(res, out.metadata.deletionTimestamp ? 202 : 200, out);
}

// ---------------------------------------------------------------- dispatch

export async function serveResource(call: Call): Promise<void> {
  const r = resolve(call);
  if (r.t.verbs && r.nameRaw === undefined && r.method === 'POST') {
    await review(r);
    return;
  }
  if (r.t.verbs) throw notAllowed();
  if (r.nameRaw === undefined) {
    const serve = COLLECTION_VERBS.get(r.method);
    if (!serve) throw notAllowed();
    await serve(r);
    return;
  }
  const o = r as ObjectCall;
  const subresource = SUBRESOURCES.find(s => s.serves(o));
  if (subresource) {
    await subresource.serve(o);
    return;
  }
  if (o.sub !== undefined && !(o.sub === 'status' && o.t.status))
    throw notFound();
  const serve = OBJECT_VERBS.get(o.method);
  if (!serve) throw notAllowed();
  await serve(o);
}
