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
 * Authentication by bearer token and RBAC authorization like kube-apiserver's: Roles, ClusterRoles, RoleBindings
 * and ClusterRoleBindings evaluated for every request (verbs, API groups, resources with subresources such as
 * pods/proxy and inferenceservices/status, resourceNames, non-resource URLs), the real 403 message shape, and the
 * answers of SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview. RBAC applies per identity: the
 * members of system:masters (the default token's user, as kind's admin) are never checked, so `npm start` is open.
 */

import fs from 'fs';
import {
  dns1123LabelProblems,
  dns1123SubdomainProblems,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KObject, KubeApi } from './api';
import { ApiError, errors } from './errors';

/** An identity behind a bearer token. */
export interface DevClusterUser {
  token: string;
  /** User name; a service account is `system:serviceaccount:<namespace>:<name>`. */
  name: string;
  uid?: string;
  groups?: string[];
}

/** The authenticated user of a request. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** What a request asks to do (kube-apiserver's authorizer.Attributes). */
export type RequestAttributes =
  | {
      resourceRequest: true;
      verb: string;
      apiGroup: string;
      resource: string;
      subresource?: string;
      name?: string;
      namespace?: string;
    }
  | { resourceRequest: false; verb: string; path: string };

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const ADMIN: UserInfo = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

/** A service account's user (its groups as the token authenticator sets them). */
export function serviceAccountUser(
  namespace: string,
  name: string,
  token: string,
): DevClusterUser {
  return {
    token,
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}

/**
 * The namespace and name of a ServiceAccount user name (`system:serviceaccount:<namespace>:<name>` with a valid
 * namespace and name, as kube-apiserver's serviceaccount.SplitUsername); undefined for any other user name.
 */
export function splitServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  const prefix = 'system:serviceaccount:';
  if (!username.startsWith(prefix)) return undefined;
  const parts = username.slice(prefix.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts;
  if (
    dns1123LabelProblems(namespace).length > 0 ||
    dns1123SubdomainProblems(name).length > 0
  )
    return undefined;
  return { namespace, name };
}

/** Splits one CSV line (double quotes protect commas). */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/** Reads a kube-apiserver token file (`--token-auth-file`): `token,user,uid,"group1,group2"` per line. */
export function readTokenFile(file: string): DevClusterUser[] {
  const out: DevClusterUser[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const cells = splitCsv(line);
      if (cells.length < 2 || !cells[0] || !cells[1])
        throw new Error(
          `${file}:${i + 1}: a token file line is token,user[,uid[,"group1,group2"]]`,
        );
      out.push({
        token: cells[0],
        name: cells[1],
        uid: cells[2] || undefined,
        groups: cells[3]
          ? cells[3]
              .split(',')
              .map(g => g.trim())
              .filter(Boolean)
          : [],
      });
    });
  return out;
}

const has = (list: string[] | undefined, v: string) =>
  !!list && (list.includes('*') || list.includes(v));

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some(
      u =>
        u === '*' ||
        u === a.path ||
        (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource
    ? `${a.resource}/${a.subresource}`
    : a.resource;
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes('*') ||
    resources.includes(combined) ||
    (a.subresource
      ? resources.includes(`*/${a.subresource}`) ||
        resources.includes(`${a.resource}/*`)
      : false);
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (!!a.name && names.includes(a.name));
}

const subjectMatches = (s: any, user: UserInfo, bindingNs?: string) => {
  if (s.kind === 'User') return s.name === user.username;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount')
    return (
      user.username ===
      `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`
    );
  return false;
};

/** Rules every authenticated user has (system:basic-user, system:discovery, system:public-info-viewer). */
export const BASE_RULES: PolicyRule[] = [
  {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
  },
  {
    verbs: ['create'],
    apiGroups: ['authentication.k8s.io'],
    resources: ['selfsubjectreviews'],
  },
  {
    verbs: ['get'],
    nonResourceURLs: [
      '/api',
      '/api/*',
      '/apis',
      '/apis/*',
      '/healthz',
      '/livez',
      '/readyz',
      '/openapi',
      '/openapi/*',
      '/version',
      '/version/',
    ],
  },
];

export class Authorizer {
  private readonly byToken = new Map<string, DevClusterUser>();

  constructor(
    private readonly api: KubeApi,
    private readonly options: {
      /** Tokens of the admin (system:masters) identity. */
      adminTokens?: string[];
      users?: DevClusterUser[];
    },
  ) {
    for (const u of options.users ?? []) this.byToken.set(u.token, u);
  }

  /** Whether only known tokens are accepted. */
  get closed(): boolean {
    return (
      (this.options.adminTokens?.length ?? 0) > 0 ||
      (this.options.users?.length ?? 0) > 0
    );
  }

  /** The user of a bearer token (401 when tokens are configured and this one is unknown). */
  authenticate(authorization: string | undefined): UserInfo {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    const token = m?.[1].trim();
    const user = token ? this.byToken.get(token) : undefined;
    if (user)
      return {
        username: user.name,
        uid: user.uid,
        groups: [...new Set([...(user.groups ?? []), 'system:authenticated'])],
      };
    if (!this.closed) return ADMIN;
    if (token && this.options.adminTokens?.includes(token)) return ADMIN;
    throw errors.unauthorized();
  }

  private rulesFor(user: UserInfo, namespace: string | undefined) {
    const rbac = (plural: string) =>
      this.api.findType('rbac.authorization.k8s.io', 'v1', plural)!;
    const clusterRole = (name: string): PolicyRule[] =>
      this.api.tryGet(rbac('clusterroles'), undefined, name)?.rules ?? [];
    const out: Array<{ rules: PolicyRule[]; via: string }> = [
      { rules: BASE_RULES, via: 'system:basic-user' },
    ];
    for (const b of this.api.list(rbac('clusterrolebindings'), undefined)
      .items) {
      if (!(b.subjects ?? []).some((s: any) => subjectMatches(s, user)))
        continue;
      if (b.roleRef?.kind === 'ClusterRole')
        out.push({
          rules: clusterRole(b.roleRef.name),
          via: `ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${b.roleRef.name}"`,
        });
    }
    if (namespace) {
      for (const b of this.api.list(rbac('rolebindings'), namespace).items) {
        if (
          !(b.subjects ?? []).some((s: any) =>
            subjectMatches(s, user, namespace),
          )
        )
          continue;
        const rules: PolicyRule[] =
          b.roleRef?.kind === 'ClusterRole'
            ? clusterRole(b.roleRef.name)
            : (this.api.tryGet(rbac('roles'), namespace, b.roleRef?.name ?? '')
                ?.rules ?? []);
        out.push({
          rules,
          via: `RoleBinding "${b.metadata.name}" of ${b.roleRef?.kind} "${b.roleRef?.name}" in namespace "${namespace}"`,
        });
      }
    }
    return out;
  }

  /** Whether the user may do it, and why (the RBAC reason of a SubjectAccessReview). */
  decide(
    user: UserInfo,
    a: RequestAttributes,
  ): { allowed: boolean; reason?: string } {
    if (user.groups.includes('system:masters'))
      return { allowed: true, reason: 'member of system:masters' };
    for (const r of this.rulesFor(
      user,
      a.resourceRequest ? a.namespace : undefined,
    )) {
      if (r.rules.some(rule => ruleAllows(rule, a)))
        return { allowed: true, reason: `RBAC: allowed by ${r.via}` };
    }
    return { allowed: false };
  }

  /** Throws 403 Forbidden with kube-apiserver's message when RBAC denies the request. */
  authorize(user: UserInfo, a: RequestAttributes): void {
    if (this.decide(user, a).allowed) return;
    throw forbidden(user, a);
  }

  /** The rules a user has in a namespace (SelfSubjectRulesReview). */
  rulesReview(user: UserInfo, namespace: string | undefined) {
    if (user.groups.includes('system:masters'))
      return {
        resourceRules: [
          { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
          ...BASE_RULES.filter(r => r.resources).map(r => ({ ...r })),
        ],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    for (const r of this.rulesFor(user, namespace))
      for (const rule of r.rules) {
        if (rule.nonResourceURLs?.length)
          nonResourceRules.push({
            verbs: rule.verbs ?? [],
            nonResourceURLs: rule.nonResourceURLs,
          });
        if (rule.resources?.length)
          resourceRules.push({
            verbs: rule.verbs ?? [],
            apiGroups: rule.apiGroups ?? [],
            resources: rule.resources,
            ...(rule.resourceNames?.length
              ? { resourceNames: rule.resourceNames }
              : {}),
          });
      }
    return { resourceRules, nonResourceRules, incomplete: false };
  }
}

/** kube-apiserver's Forbidden status for a denied request. */
export function forbidden(user: UserInfo, a: RequestAttributes): ApiError {
  if (!a.resourceRequest)
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User "${user.username}" cannot ${a.verb} path "${a.path}"`,
      {},
    );
  const resource = a.subresource
    ? `${a.resource}/${a.subresource}`
    : a.resource;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const scope = a.namespace
    ? `in the namespace "${a.namespace}"`
    : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`,
    {
      ...(a.name ? { name: a.name } : {}),
      group: a.apiGroup,
      kind: a.resource,
    },
  );
}

/** The status of a SelfSubjectAccessReview spec. */
export function accessReview(
  authorizer: Authorizer,
  user: UserInfo,
  spec: any,
): { allowed: boolean; reason?: string } {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if (!ra && !nra)
    throw errors.invalid(
      'SelfSubjectAccessReview',
      'authorization.k8s.io',
      '',
      [
        {
          reason: 'FieldValueRequired',
          field: 'spec.resourceAttributes',
          message:
            'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
        },
      ],
    );
  const attrs: RequestAttributes = ra
    ? {
        resourceRequest: true,
        verb: String(ra.verb ?? ''),
        apiGroup: String(ra.group ?? ''),
        resource: String(ra.resource ?? ''),
        subresource: ra.subresource || undefined,
        name: ra.name || undefined,
        namespace: ra.namespace || undefined,
      }
    : {
        resourceRequest: false,
        verb: String(nra.verb ?? ''),
        path: String(nra.path ?? ''),
      };
  return authorizer.decide(user, attrs);
}

/** Request attributes of an HTTP request to a resource path. */
export function resourceAttributes(
  method: string,
  opts: {
    apiGroup: string;
    resource: string;
    subresource?: string;
    name?: string;
    namespace?: string;
    watch: boolean;
  },
): RequestAttributes {
  const named = opts.name !== undefined;
  let read = named ? 'get' : 'list';
  if (opts.watch) read = 'watch';
  const verbs: Record<string, string> = {
    GET: read,
    HEAD: named ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: named ? 'delete' : 'deletecollection',
  };
  return {
    resourceRequest: true,
    verb: verbs[method] ?? method.toLowerCase(),
    apiGroup: opts.apiGroup,
    resource: opts.resource,
    subresource: opts.subresource,
    name: opts.name,
    namespace: opts.namespace,
  };
}

export type { KObject };
