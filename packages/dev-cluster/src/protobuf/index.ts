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
 * Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf): the 4-byte `k8s\0` magic, a
 * runtime.Unknown envelope (typeMeta, raw, contentEncoding, contentType) and the object's message in `raw`, decoded
 * with protobufjs against the definitions in ./definitions and converted to the JSON a Kubernetes API server would
 * have decoded from the same object.
 */

import protobuf from 'protobufjs';
import { ApiError, errors } from '../errors';
import { PROTO_DEFINITIONS, PROTOBUF_KINDS } from './definitions';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

let rootCache: protobuf.Root | undefined;
function root(): protobuf.Root {
  if (rootCache) return rootCache;
  const r = new protobuf.Root();
  for (const text of PROTO_DEFINITIONS)
    protobuf.parse(text, r, { keepCase: true });
  r.resolveAll();
  rootCache = r;
  return r;
}

/** True for a Content-Type (or Accept entry) naming Kubernetes protobuf. */
export const isProtobufMedia = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';')[0].trim().toLowerCase() ===
  PROTOBUF_MEDIA_TYPE;

const unsupported = (what: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml${what ? ` (${what})` : ''}`,
  );

/** Rejects fields the definitions do not know, naming the message and field number (protobufjs would skip them). */
function checkKnownFields(
  type: protobuf.Type,
  bytes: Uint8Array,
  path: string,
): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    if (!field) {
      throw errors.badRequest(
        `the body of the request could not be decoded: field number ${id} of ${type.fullName.replace(/^\./, '')} at ${path || '(root)'} is not supported by the development cluster's protobuf definitions; send the object as JSON (kubectl: -f file)`,
      );
    }
    const sub = field.resolvedType;
    if (wire === 2 && (sub instanceof protobuf.Type || field.map)) {
      const inner = reader.bytes();
      const here = `${path ? `${path}.` : ''}${field.name}`;
      if (field.map) {
        if (field.resolvedType instanceof protobuf.Type) {
          const entry = protobuf.Reader.create(inner);
          while (entry.pos < entry.len) {
            const t = entry.uint32();
            if (t >>> 3 === 2 && (t & 7) === 2)
              checkKnownFields(field.resolvedType, entry.bytes(), here);
            else entry.skipType(t & 7);
          }
        }
      } else checkKnownFields(sub as protobuf.Type, inner, here);
    } else reader.skipType(wire);
  }
}

const num = (v: unknown): number =>
  typeof v === 'number' ? v : Number(String(v));
const has = (m: object, k: string) =>
  Object.prototype.hasOwnProperty.call(m, k);

function isoTime(m: any, micro: boolean): string | undefined {
  const seconds = num(m.seconds ?? 0);
  const nanos = num(m.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** The JSON value of a message (Go's encoding of the same struct: omitempty, pointers, inline structs). */
function messageToJson(type: protobuf.Type, m: any): any {
  switch (type.fullName) {
    case '.k8s.io.apimachinery.pkg.apis.meta.v1.Time':
      return isoTime(m, false);
    case '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime':
      return isoTime(m, true);
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return m.string ?? '';
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return num(m.type ?? 0) === 1 ? (m.strVal ?? '') : num(m.intVal ?? 0);
    case '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': {
      const raw: Uint8Array | undefined = m.Raw;
      try {
        return raw && raw.length
          ? JSON.parse(Buffer.from(raw).toString('utf8'))
          : {};
      } catch {
        return {};
      }
    }
    default:
      break;
  }
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!has(m, field.name)) continue;
    const v = m[field.name];
    const ptr = field.options?.['(ptr)'] === true;
    const sub = field.resolvedType;
    let json: unknown;
    if (field.map) {
      const entries = Object.entries(v ?? {});
      if (entries.length === 0) continue;
      json = Object.fromEntries(
        entries.map(([k, x]) => [k, scalarOrMessage(field, sub, x)]),
      );
    } else if (field.repeated) {
      if (!Array.isArray(v) || v.length === 0) continue;
      json = v.map(x => scalarOrMessage(field, sub, x));
    } else if (sub instanceof protobuf.Type) {
      json = messageToJson(sub, v);
      if (json === undefined) continue;
      if (field.options?.['(inline)'] === true) {
        Object.assign(out, json);
        continue;
      }
    } else {
      json = scalarOrMessage(field, sub, v);
      if (!ptr && (json === '' || json === 0 || json === false)) continue;
    }
    out[field.name] = json;
  }
  return out;
}

function scalarOrMessage(
  field: protobuf.Field,
  sub: protobuf.Type | protobuf.Enum | null,
  v: unknown,
): unknown {
  if (sub instanceof protobuf.Type) return messageToJson(sub, v) ?? null;
  if (field.type === 'bytes')
    return Buffer.from(v as Uint8Array).toString('base64');
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type))
    return num(v);
  return v;
}

/**
 * Decodes a Kubernetes protobuf request body into the JSON object a real API server would have decoded. Custom
 * resources and kinds outside the definitions answer 415, as a real server does for custom resources; every other
 * decoding failure (truncated messages, invalid wire types, nesting too deep) is 400 BadRequest, as kube-apiserver
 * answers, never 500.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, any> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw errors.badRequest(
      'the body of the request could not be decoded: provided data does not have the Kubernetes protobuf prefix "k8s\\x00"',
    );
  const r = root();
  const unknownType = r.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  let kind = '';
  try {
    const envelope: any = unknownType.decode(body.subarray(4));
    const apiVersion: string = envelope.typeMeta?.apiVersion ?? '';
    kind = envelope.typeMeta?.kind ?? '';
    if (envelope.contentEncoding)
      throw unsupported(`content encoding ${envelope.contentEncoding}`);
    const messageName = PROTOBUF_KINDS[`${apiVersion}/${kind}`];
    if (!messageName)
      throw unsupported(
        `${kind || 'an object without kind'}${apiVersion ? ` (${apiVersion})` : ''} is accepted as JSON or YAML only`,
      );
    const type = r.lookupType(messageName);
    const raw: Uint8Array = envelope.raw ?? new Uint8Array();
    checkKnownFields(type, raw, '');
    return { apiVersion, kind, ...messageToJson(type, type.decode(raw)) };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw errors.badRequest(
      `the body of the request could not be decoded: ${kind ? `${kind}: ` : ''}${(e as Error)?.message ?? String(e)}`,
    );
  }
}

/**
 * Whether an Accept header can be answered in JSON. A client asking for protobuf and JSON (kubectl's typed
 * clients: `application/vnd.kubernetes.protobuf, application/json`) gets JSON; one that accepts only protobuf
 * gets 406, as from a server for a kind without protobuf.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept
    .split(',')
    .map(a => a.split(';')[0].trim().toLowerCase())
    .some(
      a =>
        a === '*/*' ||
        a === 'application/*' ||
        a === 'application/json' ||
        a === 'application/yaml' ||
        a.endsWith('+json') ||
        a === 'text/plain' ||
        a === 'text/*' ||
        !a.includes('/'),
    );
}
