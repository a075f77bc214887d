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
    };
  });
}
