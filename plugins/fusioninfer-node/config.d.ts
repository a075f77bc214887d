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

export interface Config {
  fusioninfer?: {
    /**
     * Clusters the FusionInfer plugins manage. Field names follow the Backstage kubernetes plugin's `config`
     * cluster locator.
     */
    clusters?: Array<{
      /** Unique name of the cluster, used in URLs and entity annotations. */
      name: string;
      /** Human-readable title. */
      title?: string;
      /** URL of the Kubernetes API server. Not needed when `kubeconfig` is set. */
      url?: string;
      /** Only `serviceAccount` (a bearer token) is supported, as for server-side Backstage callers. */
      authProvider?: 'serviceAccount';
      /**
       * Bearer token of the service account.
       * @visibility secret
       */
      serviceAccountToken?: string;
      /**
       * Base64-encoded PEM CA bundle of the API server.
       * @visibility secret
       */
      caData?: string;
      /** Path to a PEM CA bundle. */
      caFile?: string;
      /** Skip TLS verification (development only). */
      skipTLSVerify?: boolean;
      /** Path to a kubeconfig file (its current context is used) instead of url/token. */
      kubeconfig?: string;
      /** Context of the kubeconfig to use (default: its current context). */
      kubeconfigContext?: string;
      /**
       * `manage` (default): reconcile InferenceServices (create/update/delete children, write status).
       * `observe`: read only, for clusters where the upstream Go controller already runs.
       */
      mode?: 'manage' | 'observe';
      /** The only namespaces the plugins watch, reconcile, serve and list (default: every namespace). */
      namespaces?: string[];
      /**
       * Who the writes the backend makes for a user (apply of a service and its children, scale and strategy
       * patches, delete; approved requests as their requester) are sent as. `plugin` (default): the plugin's own
       * identity, so only the backend's policy decides. `user`: the user's Kubernetes identity through impersonation
       * (Impersonate-User / Impersonate-Group), so the cluster's RBAC and admission decide as well; the plugin's
       * identity then needs the `impersonate` verb on users and groups. Reads, the reconciler and status writes
       * always use the plugin's identity.
       */
      writeAs?: 'plugin' | 'user';
      /** How a Backstage identity maps to a Kubernetes one with `writeAs: user`. */
      impersonation?: {
        /**
         * Kubernetes user of `user:<namespace>/<name>`, with the placeholders `{{name}}` (required) and
         * `{{namespace}}`; default `{{name}}`.
         */
        userTemplate?: string;
        /**
         * Kubernetes group of each `group:<namespace>/<name>` the user belongs to (its ownership references);
         * default `{{name}}`. `system:authenticated` is always added.
         */
        groupTemplate?: string;
      };
    }>;
  };
}
