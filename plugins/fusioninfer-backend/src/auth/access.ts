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

import express from 'express';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  BasicPermission,
  isResourcePermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  entityRefOfService,
  InferenceService,
  modelServiceEntityName,
} from '@fusioninfer/plugin-fusioninfer-common';
import { callerSafeClusterError } from './clusterErrors';

/** Where {@link Access.loadService} reads a service (the views' `ServiceSource` is one). */
export interface ServiceLookup {
  getService(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<InferenceService | undefined>;
}

/**
 * The entity a service belongs to: the one it names (`backstage.io/entity-ref`), else the model-service entity the
 * catalog module generates for it (`component:<entityNamespace>/<name>.<namespace>.<cluster>`).
 */
export function serviceEntityRef(
  isvc: InferenceService,
  cluster: string,
  entityNamespace = 'default',
): string {
  return (
    entityRefOfService(isvc) ??
    `component:${entityNamespace}/${modelServiceEntityName({ cluster, namespace: isvc.metadata.namespace ?? 'default', name: isvc.metadata.name ?? '' })}`
  );
}

/** The permission checks of every route, in one place. */
export class Access {
  constructor(
    private readonly deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      logger: LoggerService;
      entityNamespace?: string;
    },
  ) {}

  credentials(req: express.Request): Promise<BackstageCredentials> {
    return this.deps.httpAuth.credentials(req);
  }

  /** Credentials of a user (a service principal is refused with 401/403 by httpAuth). */
  userCredentials(
    req: express.Request,
  ): Promise<BackstageCredentials<BackstageUserPrincipal>> {
    return this.deps.httpAuth.credentials(req, { allow: ['user'] });
  }

  /** Authorize or throw: `NotAllowedError('not allowed: <permission>')` unless the policy answers ALLOW. */
  async require(
    credentials: BackstageCredentials,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<void> {
    const request: AuthorizePermissionRequest = isResourcePermission(permission)
      ? { permission, resourceRef: resourceRef ?? '' }
      : { permission };
    const [d] = await this.deps.permissions.authorize([request], {
      credentials,
    });
    if (d.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`not allowed: ${permission.name}`);
  }

  /** One decision per resource (same order), for filtering lists. */
  async allowed(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
    resourceRefs: string[],
  ): Promise<boolean[]> {
    if (!resourceRefs.length) return [];
    const ds = await this.deps.permissions.authorize(
      resourceRefs.map(resourceRef => ({ permission, resourceRef })),
      { credentials },
    );
    return ds.map(d => d.result === AuthorizeResult.ALLOW);
  }

  /** Allowed when the policy may allow some resource: ALLOW or CONDITIONAL (filtering happens per item). */
  async requireSome(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
  ) {
    const [d] = await this.deps.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (d.result === AuthorizeResult.DENY)
      throw new NotAllowedError(`not allowed: ${permission.name}`);
    return d;
  }

  /**
   * The entity a service belongs to: the one it names (`backstage.io/entity-ref`), else the model-service entity the
   * catalog module generates for it. Permission rules on catalog entities (owners) therefore apply to the service.
   */
  entityRefOf(isvc: InferenceService, cluster: string): string {
    return serviceEntityRef(isvc, cluster, this.deps.entityNamespace);
  }

  /** `component:<ns>/<name>.<namespace>.<cluster>` (what a service without an entity-ref belongs to). */
  generatedEntityRef(cluster: string, namespace: string, name: string) {
    return `component:${this.deps.entityNamespace ?? 'default'}/${modelServiceEntityName({ cluster, namespace, name })}`;
  }

  /**
   * Maps an error of a cluster to an HTTP error. What the user sent wrong (400/409/422 from the API server) keeps its
   * message; anything else becomes a generic 503 that names only the cluster, with the detail in the log.
   */
  clusterError(e: unknown, cluster: string): Error {
    return callerSafeClusterError(e, cluster, this.deps.logger);
  }

  /**
   * Loads a service for a caller, authorizing before anything about it is told: the permission is checked on the
   * service's entity (or, when it cannot be read, on the entity it would have), so a caller without it gets the same
   * 403 whether or not the service exists or its cluster answers; only an allowed caller learns "not found" or
   * "cluster unavailable" (generic, details in the log).
   */
  async loadService(
    source: ServiceLookup,
    credentials: BackstageCredentials,
    permission: ResourcePermission,
    ref: { cluster: string; namespace: string; name: string },
  ): Promise<{ isvc: InferenceService; entityRef: string }> {
    let isvc: InferenceService | undefined;
    let failure: Error | undefined;
    try {
      isvc = await source.getService(ref.cluster, ref.namespace, ref.name);
    } catch (e) {
      failure = this.clusterError(e, ref.cluster);
    }
    const entityRef = isvc
      ? this.entityRefOf(isvc, ref.cluster)
      : this.generatedEntityRef(ref.cluster, ref.namespace, ref.name);
    await this.require(credentials, permission, entityRef);
    if (failure) throw failure;
    if (!isvc)
      throw new NotFoundError(
        `InferenceService ${ref.cluster}/${ref.namespace}/${ref.name} not found`,
      );
    return { isvc, entityRef };
  }
}
