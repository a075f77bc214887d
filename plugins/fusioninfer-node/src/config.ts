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

import { Config } from '@backstage/config';
import { isValidName } from '@fusioninfer/plugin-fusioninfer-common';

/** One configured cluster. @public */
export interface FusionInferClusterConfig {
  name: string;
  title?: string;
  url?: string;
  authProvider: 'serviceAccount';
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  kubeconfig?: string;
  kubeconfigContext?: string;
  mode: 'manage' | 'observe';
  /**
   * The only namespaces the plugins watch, reconcile, serve and list (absent: every namespace). The reconciler
   * uses namespaced informers, and REST, approvals and the catalog refuse or skip services elsewhere.
   */
  namespaces?: string[];
  /**
   * Who the writes the backend makes for a user (apply, children, scale and strategy patches, delete) are sent as:
   * `plugin` (absent: the default) with the plugin's own identity, or `user` with the user's Kubernetes identity
   * through impersonation ({@link FusionInferClusterConfig.impersonation}), so the cluster's RBAC and admission
   * decide as well. Reads, the reconciler and status writes always use the plugin's identity.
   */
  writeAs?: 'plugin' | 'user';
  /**
   * How a Backstage identity maps to Kubernetes with `writeAs: user`: `userTemplate` (default `{{name}}`) of the
   * user's `user:<namespace>/<name>` and `groupTemplate` (default `{{name}}`) of each `group:<namespace>/<name>` it
   * belongs to; `system:authenticated` is always added.
   */
  impersonation?: { userTemplate?: string; groupTemplate?: string };
}

/** The placeholders of `impersonation.userTemplate` / `groupTemplate`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z]*)\s*\}\}/g;
const DEFAULT_TEMPLATE = '{{name}}';

/** Why an impersonation template is wrong, or undefined when it is fine. */
function templateProblem(template: string): string | undefined {
  const names = [...template.matchAll(PLACEHOLDER)].map(m => m[1]);
  const unknown = names.find(n => n !== 'name' && n !== 'namespace');
  if (unknown !== undefined)
    return `unknown placeholder {{${unknown}}} (use {{name}} and {{namespace}})`;
  if (!names.includes('name'))
    return 'must contain {{name}} (every Backstage user or group needs a Kubernetes name of its own)';
  const literal = template.replace(PLACEHOLDER, '');
  if (/[{}]/.test(literal)) return 'has an unclosed placeholder';
  if (!/^[\x21-\x7e]*$/.test(literal) || literal.includes(','))
    return 'may hold printable ASCII characters only, without blanks or commas';
  if (template.replace(PLACEHOLDER, 'x').startsWith('system:'))
    return 'must not produce "system:" names (Kubernetes reserves them)';
  return undefined;
}

function render(template: string, ref: { namespace: string; name: string }) {
  return template.replace(PLACEHOLDER, (_m, key: string) =>
    key === 'namespace' ? ref.namespace : ref.name,
  );
}

/** `kind:namespace/name` (namespace `default` when absent), kind in lower case; undefined for anything else. */
function parseRef(ref: string) {
  const m = /^([^:/]+):(?:([^:/]+)\/)?([^:/]+)$/.exec(ref.trim());
  return m
    ? { kind: m[1].toLowerCase(), namespace: m[2] ?? 'default', name: m[3] }
    : undefined;
}

/**
 * The Kubernetes identity of a Backstage user on a cluster with `writeAs: user`: the user from `userTemplate` of
 * `userRef` (`user:<namespace>/<name>`), a group from `groupTemplate` for each `group:` reference of
 * `ownershipRefs` (other kinds and duplicates ignored, as are names a template turns into `system:` ones), then
 * `system:authenticated`. Throws when `userRef` is not a user reference.
 */
export function impersonationIdentity(
  cluster: Pick<FusionInferClusterConfig, 'impersonation'>,
  userRef: string,
  ownershipRefs: readonly string[],
): { user: string; groups: string[] } {
  const me = parseRef(userRef);
  if (!me || me.kind !== 'user')
    throw new Error(
      `cannot write as "${userRef}": only a user (user:<namespace>/<name>) has a Kubernetes identity to impersonate`,
    );
  const userTemplate = cluster.impersonation?.userTemplate ?? DEFAULT_TEMPLATE;
  const groupTemplate =
    cluster.impersonation?.groupTemplate ?? DEFAULT_TEMPLATE;
  const groups = new Set<string>();
  for (const r of ownershipRefs) {
    const g = parseRef(r);
    if (g?.kind !== 'group') continue;
    const name = render(groupTemplate, g);
    if (!name.startsWith('system:')) groups.add(name);
  }
  groups.add('system:authenticated');
  return { user: render(userTemplate, me), groups: [...groups] };
}

/**
 * Whether a cluster's `namespaces` setting lets the plugins see or touch `namespace` (true for every namespace
 * when the setting is absent; false for an undefined namespace when it is set).
 * @public
 */
export function isNamespaceAllowed(
  cluster:
    | Pick<FusionInferClusterConfig, 'namespaces'>
    | { config: Pick<FusionInferClusterConfig, 'namespaces'> },
  namespace: string | undefined,
): boolean {
  const list =
    'config' in cluster ? cluster.config.namespaces : cluster.namespaces;
  if (!list) return true;
  return namespace !== undefined && list.includes(namespace);
}

/**
 * Reads `fusioninfer.clusters`; throws an Error naming the offending key when the configuration is wrong.
 * @public
 */
export function readFusionInferClusters(
  config: Config,
): FusionInferClusterConfig[] {
  const list = config.getOptionalConfigArray('fusioninfer.clusters') ?? [];
  const seen = new Set<string>();
  return list.map((c, i) => {
    const where = `fusioninfer.clusters[${i}]`;
    const name = c.getString('name');
    if (!isValidName('cluster', name))
      throw new Error(
        `${where}.name: "${name}" must be a lowercase DNS label (it appears in URLs and annotations)`,
      );
    if (seen.has(name))
      throw new Error(`${where}.name: duplicate cluster name "${name}"`);
    seen.add(name);
    const url = c.getOptionalString('url');
    const kubeconfig = c.getOptionalString('kubeconfig');
    if (!url && !kubeconfig)
      throw new Error(
        `${where}: set url (with serviceAccountToken) or kubeconfig`,
      );
    if (url) {
      try {
        const u = new URL(url);
        if (u.protocol !== 'https:' && u.protocol !== 'http:')
          throw new Error('protocol');
      } catch {
        throw new Error(`${where}.url: "${url}" is not an http(s) URL`);
      }
    }
    const authProvider =
      c.getOptionalString('authProvider') ?? 'serviceAccount';
    if (authProvider !== 'serviceAccount')
      throw new Error(
        `${where}.authProvider: only "serviceAccount" is supported (got "${authProvider}")`,
      );
    const mode = c.getOptionalString('mode') ?? 'manage';
    if (mode !== 'manage' && mode !== 'observe')
      throw new Error(
        `${where}.mode: must be "manage" or "observe" (got "${mode}")`,
      );
    const namespaces = c.getOptionalStringArray('namespaces');
    if (namespaces) {
      if (namespaces.length === 0)
        throw new Error(
          `${where}.namespaces: must list at least one namespace (omit it to watch every namespace)`,
        );
      namespaces.forEach((n, j) => {
        if (!isValidName('namespace', n))
          throw new Error(
            `${where}.namespaces[${j}]: "${n}" is not a valid namespace name (a lowercase DNS label)`,
          );
      });
    }
    const writeAs = c.getOptionalString('writeAs') ?? 'plugin';
    if (writeAs !== 'plugin' && writeAs !== 'user')
      throw new Error(
        `${where}.writeAs: must be "plugin" or "user" (got "${writeAs}")`,
      );
    if (writeAs === 'user' && mode === 'observe')
      throw new Error(
        `${where}.writeAs: "user" needs mode: manage (an observe cluster is never written)`,
      );
    let impersonation: FusionInferClusterConfig['impersonation'];
    if (c.has('impersonation')) {
      const imp = c.getConfig('impersonation');
      const known = ['userTemplate', 'groupTemplate'];
      const extra = imp.keys().find(k => !known.includes(k));
      if (extra)
        throw new Error(
          `${where}.impersonation.${extra}: unknown key (use userTemplate and groupTemplate)`,
        );
      impersonation = {};
      for (const key of known as Array<'userTemplate' | 'groupTemplate'>) {
        const t = imp.getOptionalString(key);
        if (t === undefined) continue;
        const problem = templateProblem(t);
        if (problem)
          throw new Error(`${where}.impersonation.${key}: "${t}" ${problem}`);
        impersonation[key] = t;
      }
    }
    return {
      name,
      title: c.getOptionalString('title'),
      url,
      authProvider: 'serviceAccount',
      serviceAccountToken: c.getOptionalString('serviceAccountToken'),
      caData: c.getOptionalString('caData'),
      caFile: c.getOptionalString('caFile'),
      skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
      kubeconfig,
      kubeconfigContext: c.getOptionalString('kubeconfigContext'),
      mode,
      namespaces: namespaces ? [...new Set(namespaces)] : undefined,
      writeAs,
      ...(impersonation ? { impersonation } : {}),
    };
  });
}
