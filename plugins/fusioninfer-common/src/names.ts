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

/** Names of the children of an InferenceService (spec §3.0; identical to upstream). @public */
export const childNames = {
  podGroup: (svc: string) => svc,
  lws: (svc: string, role: string, index: number) => `${svc}-${role}-${index}`,
  epp: (svc: string) => `${svc}-epp`,
  eppConfig: (svc: string) => `${svc}-epp-config`,
  pool: (svc: string) => `${svc}-pool`,
  route: (svc: string) => `${svc}-httproute`,
  /** Volcano task name (the key in `minTaskMember`). */
  task: (role: string, index: number) => `${role}-${index}`,
  /** Pods created by the LWS controller for group 0: the leader, then workers 1..size-1. */
  leaderPod: (lws: string, group = 0) => `${lws}-${group}`,
  workerPod: (lws: string, worker: number, group = 0) =>
    `${lws}-${group}-${worker}`,
};

/**
 * A DNS-1123 label (RFC 1123): lower-case letters, digits and '-', starting and ending with a letter or digit. For
 * schemas that check a name by pattern (it shows in their JSON schema); the 63-character limit is checked apart.
 * @public
 */
export const DNS1123_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1035 label (what Service names must be): a DNS-1123 label that starts with a letter. Length apart. */
export const DNS1035_LABEL_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Returns problems of a DNS-1123 label (RFC 1123), or an empty list. @public */
export function dns1123LabelProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL_PATTERN.test(value)) {
    out.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')",
    );
  }
  return out;
}

/** Returns problems of a DNS-1035 label (what Service names must be), or an empty list. @public */
export function dns1035LabelProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035_LABEL_PATTERN.test(value)) {
    out.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')",
    );
  }
  return out;
}

/** Returns problems of a DNS-1123 subdomain (most object names), or an empty list. @public */
export function dns1123SubdomainProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    out.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  }
  return out;
}

/** Returns problems of a label value, or an empty list. @public */
export function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return out;
}

/**
 * The kinds of names the REST API and configuration take, each with its Kubernetes (or Backstage) rule:
 * - `cluster`: a configured cluster name, DNS-1123 label (63);
 * - `namespace`: a Kubernetes namespace, DNS-1123 label (63);
 * - `service`: an InferenceService name, DNS-1035 label (63; it names Services);
 * - `role`: a role name, DNS-1123 label (63);
 * - `object`: any other Kubernetes object name, DNS-1123 subdomain (253).
 * @public
 */
export type KubernetesNameKind =
  'cluster' | 'namespace' | 'service' | 'role' | 'object';

/** Problems of `value` as a name of the given kind (empty when valid). @public */
export function nameProblems(
  kind: KubernetesNameKind,
  value: string,
): string[] {
  switch (kind) {
    case 'service':
      return dns1035LabelProblems(value);
    case 'object':
      return dns1123SubdomainProblems(value);
    default:
      return dns1123LabelProblems(value);
  }
}

/** True when `value` is a valid name of the given kind (`nameProblems` is empty). @public */
export function isValidName(kind: KubernetesNameKind, value: unknown): boolean {
  return typeof value === 'string' && nameProblems(kind, value).length === 0;
}

/**
 * Longest LeaderWorkerSet name that works: the LWS controller creates a worker StatefulSet `{lws}-{group}`, and the
 * StatefulSet controller labels its pods `controller-revision-hash: {statefulset}-{10-char hash}`, which must fit the
 * 63-character label-value limit. 63 − 11 = 52 for the StatefulSet, minus `-0` for the group suffix.
 * @public
 */
export const MAX_LWS_NAME_LENGTH = 50;
