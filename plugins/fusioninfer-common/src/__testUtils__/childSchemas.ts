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

import fs from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import { Deployment as K8sDeployment } from 'kubernetes-models/apps/v1';
import {
  ConfigMap as K8sConfigMap,
  Service as K8sService,
  ServiceAccount as K8sServiceAccount,
} from 'kubernetes-models/v1';
import {
  Role as K8sRole,
  RoleBinding as K8sRoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  crdSchemaFor,
  JSONSchemaProps,
  parseCrd,
  pruneStructural,
  validateStructural,
} from '../schema';
import { KubeObject } from '../types';
import { REPO_ROOT } from './examples';

/** Schemas of the custom kinds, from the vendored upstream CRDs, keyed by "apiVersion/kind". */
export function loadCustomSchemas(): Map<string, JSONSchemaProps> {
  const out = new Map<string, JSONSchemaProps>();
  const dir = path.join(REPO_ROOT, 'crds/third-party');
  for (const f of fs.readdirSync(dir).filter(n => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(
      fs.readFileSync(path.join(dir, f), 'utf8'),
    )) {
      const js = doc.toJS();
      if (!js || js.kind !== 'CustomResourceDefinition') continue;
      const info = parseCrd(js);
      for (const v of info.versions) {
        const schema = crdSchemaFor(js, v.name);
        if (schema) out.set(`${info.group}/${v.name}/${info.kind}`, schema);
      }
    }
  }
  return out;
}

const CORE: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': K8sConfigMap,
  'v1/Service': K8sService,
  'v1/ServiceAccount': K8sServiceAccount,
  'apps/v1/Deployment': K8sDeployment,
  'rbac.authorization.k8s.io/v1/Role': K8sRole,
  'rbac.authorization.k8s.io/v1/RoleBinding': K8sRoleBinding,
};

/**
 * Every reason a child would not be accepted unchanged by an API server: schema violations of custom kinds, fields
 * a server would prune, and OpenAPI violations of core kinds. Empty when the child is fine.
 */
export function childProblems(
  child: KubeObject,
  schemas: Map<string, JSONSchemaProps>,
): string[] {
  const key = `${child.apiVersion}/${child.kind}`;
  const where = `${child.kind}/${child.metadata?.name}`;
  const schema = schemas.get(key);
  if (schema) {
    return [
      ...validateStructural(schema, child).map(
        i => `${where} ${i.path}: ${i.message}`,
      ),
      ...pruneStructural(schema, child).pruned.map(
        p => `${where} ${p}: would be pruned`,
      ),
    ];
  }
  const Model = CORE[key];
  if (!Model) return [`${where}: no schema known for ${key}`];
  try {
    new Model(JSON.parse(JSON.stringify(child))).validate();
    return [];
  } catch (e) {
    return [`${where}: ${(e as Error).message}`];
  }
}
