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

import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { FUSIONINFER_NAMESPACE_RESOURCE_TYPE } from '@fusioninfer/plugin-fusioninfer-common';
import { z } from 'zod';

/** A place services are created in (resource ref `<cluster>/<namespace>`). @public */
export interface FusionInferNamespaceResource {
  cluster: string;
  namespace: string;
}

/** Parses a `<cluster>/<namespace>` resource ref (undefined when it is not one). */
export function parseNamespaceRef(
  ref: string,
): FusionInferNamespaceResource | undefined {
  const m = /^([^/]+)\/([^/]+)$/.exec(ref);
  return m ? { cluster: m[1], namespace: m[2] } : undefined;
}

/** The `fusioninfer-namespace` permission resource (creation of services). @public */
export const namespacePermissionResourceRef = createPermissionResourceRef<
  FusionInferNamespaceResource,
  never
>().with({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_NAMESPACE_RESOURCE_TYPE,
});

const isInCluster = createPermissionRule({
  name: 'IS_IN_CLUSTER',
  description: 'Allow creating services in the given clusters',
  resourceRef: namespacePermissionResourceRef,
  paramsSchema: z.object({
    clusters: z
      .array(z.string())
      .describe('Cluster names (fusioninfer.clusters[].name)'),
  }),
  apply: (
    r: FusionInferNamespaceResource,
    { clusters }: { clusters: string[] },
  ) => clusters.includes(r.cluster),
  toQuery: () => {
    throw new Error(
      'fusioninfer-namespace conditions are applied per resource',
    );
  },
});

const isInNamespace = createPermissionRule({
  name: 'IS_IN_NAMESPACE',
  description:
    'Allow creating services in the given Kubernetes namespaces (exact names, or a prefix ending in *)',
  resourceRef: namespacePermissionResourceRef,
  paramsSchema: z.object({
    namespaces: z
      .array(z.string())
      .describe('Namespaces or prefixes ending in *'),
  }),
  apply: (
    r: FusionInferNamespaceResource,
    { namespaces }: { namespaces: string[] },
  ) =>
    namespaces.some(n =>
      n.endsWith('*')
        ? r.namespace.startsWith(n.slice(0, -1))
        : n === r.namespace,
    ),
  toQuery: () => {
    throw new Error(
      'fusioninfer-namespace conditions are applied per resource',
    );
  },
});

/** Rules of the `fusioninfer-namespace` resource. @public */
export const namespacePermissionRules = { isInCluster, isInNamespace };

const exported = createConditionExports({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_NAMESPACE_RESOURCE_TYPE,
  rules: namespacePermissionRules,
});

/** Conditions for policies: `fusioninferNamespaceConditions.isInNamespace({ namespaces: ['team-a-*'] })`. @public */
export const fusioninferNamespaceConditions = exported.conditions;
/** Builds a conditional decision on where services may be created (`fusioninfer.service.create`). @public */
export const createFusionInferNamespaceConditionalDecision =
  exported.createConditionalDecision;
