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

import { JSONSchemaProps } from './structural';

/** What this suite needs to know of a CustomResourceDefinition. @public */
export interface CrdInfo {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  scope: 'Namespaced' | 'Cluster';
  versions: Array<{
    name: string;
    served: boolean;
    storage: boolean;
    schema?: JSONSchemaProps;
    subresources?: { status?: object; scale?: object };
    additionalPrinterColumns?: unknown[];
  }>;
  shortNames?: string[];
  categories?: string[];
}

const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a CRD document; throws an Error naming what is missing when it is not one. @public */
export function parseCrd(doc: unknown): CrdInfo {
  if (
    !isObj(doc) ||
    doc.kind !== 'CustomResourceDefinition' ||
    !String(doc.apiVersion ?? '').startsWith('apiextensions.k8s.io/')
  ) {
    throw new Error(
      'not a CustomResourceDefinition (expected apiVersion apiextensions.k8s.io/v1, kind CustomResourceDefinition)',
    );
  }
  const spec = doc.spec;
  if (!isObj(spec) || typeof spec.group !== 'string' || !isObj(spec.names))
    throw new Error('CustomResourceDefinition has no spec.group or spec.names');
  const names = spec.names;
  if (typeof names.kind !== 'string' || typeof names.plural !== 'string')
    throw new Error(
      'CustomResourceDefinition spec.names needs kind and plural',
    );
  if (!Array.isArray(spec.versions) || spec.versions.length === 0)
    throw new Error('CustomResourceDefinition has no spec.versions');
  return {
    group: spec.group,
    kind: names.kind,
    plural: names.plural,
    singular:
      typeof names.singular === 'string' && names.singular
        ? names.singular
        : names.kind.toLowerCase(),
    listKind:
      typeof names.listKind === 'string' && names.listKind
        ? names.listKind
        : `${names.kind}List`,
    scope: spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced',
    versions: spec.versions.map((v: any) => ({
      name: String(v.name),
      served: v.served !== false,
      storage: !!v.storage,
      schema: v.schema?.openAPIV3Schema,
      subresources: v.subresources,
      additionalPrinterColumns: v.additionalPrinterColumns,
    })),
    ...(Array.isArray(names.shortNames)
      ? { shortNames: names.shortNames }
      : {}),
    ...(Array.isArray(names.categories)
      ? { categories: names.categories }
      : {}),
  };
}

/** The `openAPIV3Schema` of one version of a CRD document. @public */
export function crdSchemaFor(
  crd: unknown,
  version: string,
): JSONSchemaProps | undefined {
  if (!isObj(crd) || !isObj(crd.spec) || !Array.isArray(crd.spec.versions))
    return undefined;
  const v = crd.spec.versions.find((x: any) => x?.name === version);
  return v?.schema?.openAPIV3Schema;
}
