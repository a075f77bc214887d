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

import { createHash } from 'crypto';
import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ApprovalPolicy,
  canonicalJson,
  entityRefOfService,
  evaluateChange,
  FIELD_MANAGER,
  fusioninferServiceCreatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceUpdatePermission,
  InferenceService,
  KubeObject,
  normalizeEntityRef,
  OWNER_ANNOTATIONS,
  PolicyVerdict,
  projectOfOwner,
  readAutoscalingPolicies,
  renderInferenceService,
  RenderOptions,
  applyCanaryCommand,
  CANARY_STATUS_ANNOTATION,
  CanaryCommand,
  readCanaryStatus,
  serializeCanaryStatus,
  workloadRevision,
  ROLLOUT_ANNOTATION,
  summarizeInferenceService,
  TeamProject,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Entity } from '@backstage/catalog-model';
import {
  ClusterApiError,
  ClusterClient,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { Access } from '../auth/access';
import { ServiceSource } from '../views/ServiceSource';
import { GovernanceConfig } from './config';

/**
 * The requester the autoscaler files approval requests as. No user entity ref or service principal subject (always
 * `user:…`, `plugin:…` or `external:…`) can be this, so a stored request names the autoscaler unambiguously.
 */
export const AUTOSCALER_REQUESTER = 'autoscaler';

/**
 * Who asks for a change: a user with credentials (REST, scaffolder, actions), a stored requester (approvals), or the
 * autoscaler. The autoscaler has no rights of its own: it may only set the replicas of roles whose autoscaling the
 * service's owners put on the live service (annotation `fusioninfer.io/autoscaling`, mode `acting`), within that
 * policy's bounds — see {@link ServiceWriter.review}.
 */
export type Caller =
  | { kind: 'credentials'; credentials: BackstageCredentials; user: string }
  | { kind: 'requester'; user: string }
  | { kind: 'autoscaler'; user: typeof AUTOSCALER_REQUESTER };

/** The caller an approval request executes as: its requester, or the autoscaler for the autoscaler's requests. */
export function requesterCaller(requestedBy: string): Caller {
  return requestedBy === AUTOSCALER_REQUESTER
    ? { kind: 'autoscaler', user: AUTOSCALER_REQUESTER }
    : { kind: 'requester', user: requestedBy };
}

/** The kinds of change that write one annotation of the live service and nothing else. */
const ANNOTATION_ONLY: Partial<Record<ChangeRequest['kind'], string>> = {
  rollout: ROLLOUT_ANNOTATION,
  canary: CANARY_STATUS_ANNOTATION,
};

/** One change to one service. */
export interface ChangeRequest {
  cluster: string;
  namespace: string;
  name: string;
  /**
   * `delete`, or a new spec: the whole manifest (apply) or the live one edited (scale, strategy; rollout: only the
   * annotation `fusioninfer.io/rollout`, which Pause and Resume set; canary: only `fusioninfer.io/canary-status`,
   * which Promote, Roll back, Pause and Resume of a canary set).
   */
  kind: 'apply' | 'scale' | 'strategy' | 'rollout' | 'canary' | 'delete';
  manifest?: InferenceService;
  /**
   * Canary: the command and who gave it. The state written is computed from the live service when the change is
   * written, so a command approved later applies to the canary as it is then, never a state recorded at request time.
   */
  canaryCommand?: { action: CanaryCommand; by: string };
  /**
   * Scale, strategy and rollout: the resourceVersion the edit was computed from; the patch applies only onto it
   * (default: the version the review read).
   */
  resourceVersion?: string;
}

/** What the policy and the rights say about a change (the dry run's answer). */
export interface ChangeReview {
  action: 'create' | 'update' | 'scale' | 'delete';
  live?: InferenceService;
  next?: InferenceService;
  /** The entity the service belongs to after the change (the live one's for delete). */
  entityRef: string;
  /** The entity the live service belongs to, when the change moves it to another. */
  previousEntityRef?: string;
  owner?: string;
  project?: TeamProject;
  verdict: PolicyVerdict;
}

/** SHA-256 of a manifest's canonical JSON: what an approval approves. */
export function manifestSha256(manifest: unknown): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

/** Errors worth retrying: the API server busy or away (5xx, 429) or no answer at all. */
export function isTransient(e: unknown): boolean {
  if (e instanceof ClusterApiError)
    return e.code === undefined || e.code === 429 || e.code >= 500;
  const code = (e as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    /^E(CONN|TIMEDOUT|AI_AGAIN|PIPE)|^ECONNRESET|^ENOTFOUND/.test(code)
  );
}

/**
 * The one writer of InferenceServices. Every change — REST apply/scale/strategy/delete, approval execution, the
 * scaffolder actions and the registered actions — goes through {@link ServiceWriter.review} and
 * {@link ServiceWriter.write}: the caller is authorized on the live service's entity and on the entity the manifest
 * names, the one policy of common (`evaluateChange`: project, pod security, quota, approval threshold) decides, the
 * action comes from what exists (never from the request), the live UID is the precondition of every write, and no
 * object the service does not control is ever adopted (the reconciler's rule).
 */
export class ServiceWriter {
  constructor(
    private readonly o: {
      access: Access;
      source: ServiceSource;
      governance: GovernanceConfig;
      approvals?: ApprovalPolicy;
      logger: LoggerService;
      render?: RenderOptions;
      catalog?: CatalogService;
      /** Own credentials of the plugin, for catalog reads (owners, memberships). */
      serviceCredentials?: () => Promise<BackstageCredentials>;
      /** The ownership refs (user and groups) of a caller with credentials. */
      ownershipOf?: (credentials: BackstageCredentials) => Promise<string[]>;
      /** Owner of services that name none (`fusioninfer.catalog.defaultOwner`). */
      defaultOwner?: string;
      /**
       * The GPU quotas in force of a project (the configured `gpuQuota` with what an approver raised replacing it;
       * absent: the configured ones).
       */
      effectiveQuota?: (
        project: TeamProject,
      ) => Promise<Record<string, number> | undefined>;
    },
  ) {}

  /**
   * Who asked for each review, for {@link ServiceWriter.write} on a cluster with `writeAs: user` (a WeakMap: the
   * caller's credentials live no longer than the review, and never travel with it).
   */
  private readonly callers = new WeakMap<ChangeReview, Caller>();

  get tenancy(): boolean {
    return this.o.governance.projects.length > 0;
  }

  private async catalogEntity(ref: string) {
    if (!this.o.catalog || !this.o.serviceCredentials) return undefined;
    try {
      return await this.o.catalog.getEntityByRef(ref, {
        credentials: await this.o.serviceCredentials(),
      });
    } catch (e) {
      this.o.logger.warn(`cannot read ${ref} from the catalog`, e as Error);
      return undefined;
    }
  }

  /** Several catalog entities in one call (absent ones map to undefined); empty without a catalog. */
  private async catalogEntities(
    refs: string[],
  ): Promise<Map<string, Entity | undefined>> {
    const out = new Map<string, Entity | undefined>();
    const unique = [...new Set(refs)];
    if (!unique.length || !this.o.catalog || !this.o.serviceCredentials)
      return out;
    try {
      const { items } = await this.o.catalog.getEntitiesByRefs(
        { entityRefs: unique },
        { credentials: await this.o.serviceCredentials() },
      );
      unique.forEach((ref, i) => out.set(ref, items[i] ?? undefined));
    } catch (e) {
      this.o.logger.warn(
        `cannot read ${unique.length} entities from the catalog`,
        e as Error,
      );
    }
    return out;
  }

  /**
   * The group that owns a service: the owner of the entity it names (`backstage.io/entity-ref`), else its
   * `fusioninfer.io/owner`/`backstage.io/owner` annotation or label, else the catalog's default owner.
   */
  async ownerOf(
    isvc: InferenceService,
    /** Entities already read (by ref), e.g. by {@link ServiceWriter.projectUsage} for many services at once. */
    known?: Map<string, Entity | undefined>,
  ): Promise<string | undefined> {
    const named = entityRefOfService(isvc);
    if (named) {
      const e = known?.has(named)
        ? known.get(named)
        : await this.catalogEntity(named);
      const owner = (e?.spec as { owner?: unknown } | undefined)?.owner;
      return normalizeEntityRef(owner, 'group');
    }
    const meta = isvc.metadata ?? {};
    for (const k of OWNER_ANNOTATIONS) {
      const v = meta.annotations?.[k] ?? meta.labels?.[k];
      if (v) return normalizeEntityRef(v, 'group');
    }
    return this.o.defaultOwner
      ? normalizeEntityRef(this.o.defaultOwner, 'group')
      : undefined;
  }

  /** The owning groups of several services ({@link ServiceWriter.ownerOf}), with one catalog call for all. */
  async ownersOf(
    services: InferenceService[],
  ): Promise<Array<string | undefined>> {
    const known = await this.catalogEntities(
      services.map(s => entityRefOfService(s)).filter((r): r is string => !!r),
    );
    return Promise.all(services.map(s => this.ownerOf(s, known)));
  }

  /** The user and the groups it is a member of, from the catalog (a stored requester has no credentials). */
  private async ownershipOfUser(user: string): Promise<string[]> {
    const e = await this.catalogEntity(user);
    const groups = (e?.relations ?? [])
      .filter(r => r.type === 'memberOf')
      .map(r => r.targetRef);
    return [user, ...groups];
  }

  /**
   * A stored requester (an approval executing later) is checked again where Backstage allows it: the permission
   * policy can only be asked with a caller's credentials, so with team projects the requester must still be a member
   * (catalog `memberOf`) of the owner group of the service as it is and as it would be. Removed from the team since
   * filing means nothing is applied.
   */
  private async requireStillMember(
    caller: Caller,
    owners: Array<string | undefined>,
  ): Promise<void> {
    if (caller.kind !== 'requester' || !this.tenancy) return;
    const mine = await this.ownership(caller);
    if (!mine) return;
    for (const o of new Set(owners.filter((x): x is string => !!x)))
      if (!mine.includes(o))
        throw new NotAllowedError(
          `not allowed: ${caller.user}, who requested this change, is no longer a member of ${o}, the service's owner; nothing applied`,
        );
  }

  private async ownership(caller: Caller): Promise<string[] | undefined> {
    if (caller.kind === 'autoscaler') return undefined;
    if (caller.kind === 'credentials')
      return this.o.ownershipOf
        ? this.o.ownershipOf(caller.credentials)
        : undefined;
    return this.o.catalog ? this.ownershipOfUser(caller.user) : undefined;
  }

  /**
   * GPUs the services of each team project hold in a cluster now, by project name: what a project's quota is checked
   * against (every accelerator counted, as the policy counts them). Services whose owner has no project count for
   * none; `except` (the service being changed) is left out; `only` limits the sums to one project.
   */
  async projectUsage(
    cluster: string,
    options: {
      except?: { namespace: string; name: string };
      only?: string;
    } = {},
  ): Promise<Map<string, number>> {
    const { except, only } = options;
    const usage = new Map<string, number>();
    const services = await this.o.source.listServices(cluster);
    // One catalog call for the entities the services name, not one per service.
    const known = await this.catalogEntities(
      services.map(s => entityRefOfService(s)).filter((r): r is string => !!r),
    );
    for (const s of services) {
      if (
        except &&
        s.metadata.namespace === except.namespace &&
        s.metadata.name === except.name
      )
        continue;
      const owner = await this.ownerOf(s, known);
      const project = projectOfOwner(this.o.governance.projects, owner);
      if (!project || (only !== undefined && project.name !== only)) continue;
      const { gpus } = summarizeInferenceService(s, {
        ...(this.o.governance.acceleratorResources
          ? {
              acceleratorResources: [...this.o.governance.acceleratorResources],
            }
          : {}),
      }).totals;
      usage.set(project.name, (usage.get(project.name) ?? 0) + gpus);
    }
    return usage;
  }

  /** GPUs the project's services other than `except` hold in a cluster. */
  private async projectGpus(
    project: TeamProject,
    cluster: string,
    except: { namespace: string; name: string },
  ): Promise<number> {
    const usage = await this.projectUsage(cluster, {
      except,
      only: project.name,
    });
    return usage.get(project.name) ?? 0;
  }

  /** The project with the quotas in force (raised by an approver, else configured): what the policy checks. */
  private async withEffectiveQuota(
    project: TeamProject | undefined,
  ): Promise<TeamProject | undefined> {
    if (!project || !this.o.effectiveQuota) return project;
    const gpuQuota = await this.o.effectiveQuota(project);
    const { gpuQuota: _configured, ...rest } = project;
    return gpuQuota ? { ...rest, gpuQuota } : rest;
  }

  /**
   * GPUs the team project of a service may still add in its cluster: the quota in force minus what the project's
   * other services and this one hold now (negative: over quota already). Undefined when the service's project has no
   * quota there (or there are no projects). What the autoscaler caps its scale-ups with; the policy stays the judge.
   */
  async quotaLeft(
    cluster: string,
    isvc: InferenceService,
  ): Promise<number | undefined> {
    const project = await this.withEffectiveQuota(
      projectOfOwner(this.o.governance.projects, await this.ownerOf(isvc)),
    );
    const limit = project?.gpuQuota?.[cluster];
    if (!project || limit === undefined) return undefined;
    const others = await this.projectGpus(project, cluster, {
      namespace: isvc.metadata.namespace!,
      name: isvc.metadata.name!,
    });
    const own = summarizeInferenceService(isvc, {
      ...(this.o.governance.acceleratorResources
        ? { acceleratorResources: [...this.o.governance.acceleratorResources] }
        : {}),
    }).totals.gpus;
    return limit - others - own;
  }

  /** Throws NotAllowedError unless the caller has the permission (credentials) — requesters were checked when filing. */
  private async require(
    caller: Caller,
    permission: Parameters<Access['require']>[1],
    ref: string,
  ) {
    if (caller.kind === 'credentials')
      await this.o.access.require(caller.credentials, permission, ref);
  }

  /**
   * Authorizes and evaluates a change without writing anything. The caller needs: `service.create` on
   * `<cluster>/<namespace>` for a new service; `service.update` (`.delete`) on the entity the live service belongs
   * to; `service.update` on the entity the manifest names when that is another one; and, with team projects, to be a
   * member of the owner group a new or re-owned service names.
   */
  async review(caller: Caller, change: ChangeRequest): Promise<ChangeReview> {
    const review = await this.reviewChange(caller, change);
    this.callers.set(review, caller);
    return review;
  }

  private async reviewChange(
    caller: Caller,
    change: ChangeRequest,
  ): Promise<ChangeReview> {
    const { access, source } = this.o;
    const { cluster, namespace, name } = change;
    const client = source.client(cluster);
    if (!client.allowsNamespace(namespace))
      throw new InputError(
        `namespace: "${namespace}" is not managed in cluster ${cluster} (fusioninfer.clusters[].namespaces)`,
      );
    // Read from the API server, not a cache: the UID and the field managers of this very moment are the precondition.
    const live = await client.get<InferenceService>(
      KINDS.InferenceService,
      namespace,
      name,
    );
    const liveEntity = live ? access.entityRefOf(live, cluster) : undefined;
    if (caller.kind === 'autoscaler')
      assertAutoscalerMayChange(
        `${cluster}/${namespace}/${name}`,
        change,
        live,
      );
    if (change.kind === 'delete') {
      const entityRef =
        liveEntity ?? access.generatedEntityRef(cluster, namespace, name);
      await this.require(caller, fusioninferServiceDeletePermission, entityRef);
      if (live)
        await this.requireStillMember(caller, [await this.ownerOf(live)]);
      return {
        action: 'delete',
        live,
        entityRef,
        verdict: evaluateChange({ action: 'delete', cluster, namespace }),
      };
    }
    const next = change.manifest!;
    if (!live)
      await this.require(
        caller,
        fusioninferServiceCreatePermission,
        `${cluster}/${namespace}`,
      );
    else
      await this.require(
        caller,
        fusioninferServiceUpdatePermission,
        liveEntity!,
      );
    const entityRef = access.entityRefOf(next, cluster);
    // An entity the manifest names is one the caller must be allowed to manage services of (never just trusted).
    const named = entityRefOfService(next);
    if (named && named !== liveEntity)
      await this.require(caller, fusioninferServiceUpdatePermission, named);
    const owner = await this.ownerOf(next);
    const liveOwner = live ? await this.ownerOf(live) : undefined;
    if (this.tenancy && owner && (!live || owner !== liveOwner)) {
      const mine = await this.ownership(caller);
      if (mine && !mine.includes(owner))
        throw new NotAllowedError(
          `not allowed: ${caller.user} is not a member of ${owner}, the owner the service names; name a group you belong to`,
        );
    }
    await this.requireStillMember(caller, [owner, liveOwner]);
    const project = await this.withEffectiveQuota(
      projectOfOwner(this.o.governance.projects, owner),
    );
    let action: ChangeReview['action'] = 'create';
    if (live) action = change.kind === 'scale' ? 'scale' : 'update';
    const verdict = evaluateChange({
      action,
      cluster,
      namespace,
      next,
      previous: live,
      projects: this.o.governance.projects,
      project,
      owner,
      projectGpusInUse:
        project?.gpuQuota?.[cluster] !== undefined
          ? await this.projectGpus(project, cluster, { namespace, name })
          : undefined,
      approvals: this.o.approvals,
      podSecurity: this.o.governance.podSecurity,
      protectedNamespaces: this.o.governance.protectedNamespaces,
      explicitNamespaces: source.client(cluster).config.namespaces ?? [],
      acceleratorResources: this.o.governance.acceleratorResources,
    });
    // Rolling a canary back or pausing it returns towards what was approved and frees GPUs (the canary's replicas):
    // like a shrink-only change it is never held for a second person — a rollback that waits is no rollback.
    // Promote (the stable replicas take the new revision) and Resume (the canary's replicas again) are held as any
    // change the policy holds.
    if (
      change.kind === 'canary' &&
      (change.canaryCommand?.action === 'rollback' ||
        change.canaryCommand?.action === 'pause') &&
      verdict.allowed
    ) {
      verdict.approvalRequired = false;
      verdict.reasons = [];
    }
    return {
      action,
      live,
      next,
      entityRef,
      ...(liveEntity && liveEntity !== entityRef
        ? { previousEntityRef: liveEntity }
        : {}),
      ...(owner ? { owner } : {}),
      ...(project ? { project } : {}),
      verdict,
    };
  }

  /** Throws the policy's refusal (403, every finding named) when the review refuses the change. */
  static assertAllowed(review: ChangeReview) {
    if (!review.verdict.allowed)
      throw new NotAllowedError(
        `refused by policy: ${review.verdict.denials.map(d => `${d.field}: ${d.message} [${d.rule}]`).join('; ')}`,
      );
  }

  /**
   * Writes a reviewed, allowed change: delete with the live UID as precondition; scale/strategy (the roles) and
   * rollout (the rollout annotation alone) as a merge patch on the version read; apply (server-side, this suite's field manager) with the live UID as precondition and, with
   * `children`, the rendered children — each only when absent or controlled by this service (never adopted).
   * `expectUid` (an approval's stored UID; null: the service must not exist) guards against a service replaced since
   * the review. On a cluster with `writeAs: user` every write is sent as the caller of the review (`caller` overrides
   * it) through impersonation — its user and groups mapped by `fusioninfer.clusters[].impersonation`, a requester's
   * groups read from the catalog — so the cluster's RBAC and admission decide as well; their refusal is a 403 naming
   * the Kubernetes user. Reads (the review's, the children's controllers) stay with the plugin's identity.
   */
  async write(
    review: ChangeReview,
    change: ChangeRequest,
    options: {
      children?: boolean;
      update?: boolean;
      expectUid?: string | null;
      /** Who the writes are made for (default: the caller of the review). */
      caller?: Caller;
    } = {},
  ): Promise<{
    created: boolean;
    uid?: string;
    generation?: number;
    roles?: Array<{ name: string; replicas?: number }>;
    children?: Array<{ apiVersion: string; kind: string; name: string }>;
    deleted?: boolean;
  }> {
    ServiceWriter.assertAllowed(review);
    const { cluster, namespace, name } = change;
    const client = this.o.source.client(cluster);
    const ref = `${cluster}/${namespace}/${name}`;
    const liveUid = review.live?.metadata.uid;
    if (
      options.expectUid !== undefined &&
      (options.expectUid ?? undefined) !== liveUid
    )
      throw new ConflictError(
        options.expectUid
          ? `InferenceService ${ref} is not the one the request was made for (UID ${options.expectUid}, now ${liveUid ?? 'absent'}); nothing applied`
          : `InferenceService ${ref} was created since the request; nothing applied, make a new request`,
      );
    const writer = await this.writerFor(client, review, options.caller);
    return this.writeWith(client, writer, review, change, options);
  }

  /**
   * The client the writes of a change go through: the cluster's own, or with `writeAs: user` the cluster acting as
   * the caller's Kubernetes identity. Without a user to act as, nothing is written.
   */
  private async writerFor(
    client: ClusterClient,
    review: ChangeReview,
    given?: Caller,
  ): Promise<ClusterClient> {
    if (client.config.writeAs !== 'user') return client;
    const caller = given ?? this.callers.get(review);
    // The autoscaler is a controller, like the reconciler: it writes with the plugin's identity (which needs `patch`
    // on inferenceservices for it), and only what the owners' policy on the live service allows (review).
    if (caller?.kind === 'autoscaler') return client;
    const refuse = (why: string) =>
      new NotAllowedError(
        `cluster ${client.name} applies changes as the user who makes them (writeAs: user), ${why}; nothing applied`,
      );
    if (!caller) throw refuse('and this change names no user');
    if (!/^user:/i.test(caller.user))
      throw refuse(`and ${caller.user} is not a user`);
    const ownership = (await this.ownership(caller)) ?? [caller.user];
    try {
      return client.as(client.identityOf(caller.user, ownership));
    } catch (e) {
      throw refuse(
        `and ${caller.user} has no Kubernetes identity: ${(e as Error).message}`,
      );
    }
  }

  private async writeWith(
    client: ClusterClient,
    writer: ClusterClient,
    review: ChangeReview,
    change: ChangeRequest,
    options: { children?: boolean; update?: boolean },
  ): Promise<Awaited<ReturnType<ServiceWriter['write']>>> {
    const { cluster, namespace, name } = change;
    const ref = `${cluster}/${namespace}/${name}`;
    const liveUid = review.live?.metadata.uid;
    if (review.action === 'delete') {
      if (!review.live) return { created: false, deleted: false };
      const deleted = await written(
        writer,
        writer.delete(KINDS.InferenceService, namespace, name, {
          uid: liveUid,
        }),
      );
      return { created: false, deleted };
    }
    const next = review.next!;
    const onlyAnnotation = ANNOTATION_ONLY[change.kind];
    if (onlyAnnotation) {
      let value = next.metadata.annotations?.[onlyAnnotation];
      if (change.kind === 'canary' && change.canaryCommand && review.live) {
        const r = applyCanaryCommand(
          readCanaryStatus(review.live),
          workloadRevision(review.live),
          change.canaryCommand.action,
          change.canaryCommand.by,
          Date.now(),
        );
        if ('error' in r)
          throw new ConflictError(`${change.canaryCommand.action}: ${r.error}`);
        value = serializeCanaryStatus(r.status);
      }
      const updated = await written(
        writer,
        writer.mergePatch<InferenceService>(
          KINDS.InferenceService,
          namespace,
          name,
          {
            metadata: {
              uid: liveUid,
              resourceVersion:
                change.resourceVersion ?? review.live!.metadata.resourceVersion,
              // Only this annotation: the spec and every other annotation stay as they are live.
              annotations: { [onlyAnnotation]: value ?? null },
            },
          },
        ),
      );
      return {
        created: false,
        uid: updated.metadata.uid,
        generation: updated.metadata.generation,
      };
    }
    if (change.kind === 'scale' || change.kind === 'strategy') {
      const updated = await written(
        writer,
        writer.mergePatch<InferenceService>(
          KINDS.InferenceService,
          namespace,
          name,
          {
            metadata: {
              uid: liveUid,
              resourceVersion:
                change.resourceVersion ?? review.live!.metadata.resourceVersion,
            },
            spec: { roles: next.spec.roles },
          },
        ),
      );
      return {
        created: false,
        uid: updated.metadata.uid,
        generation: updated.metadata.generation,
        roles: updated.spec.roles.map(r => ({
          name: r.name,
          replicas: r.replicas,
        })),
      };
    }
    const live = review.live;
    if (live && !options.update) {
      if (review.previousEntityRef)
        throw new ConflictError(
          `InferenceService ${ref} exists and belongs to ${review.previousEntityRef}, not ${review.entityRef}; set update: true to take it over`,
        );
      const others = foreignManagers(live);
      if (others.length)
        throw new ConflictError(
          `InferenceService ${ref} exists and its spec is managed by ${others.join(', ')}; set update: true to take it over`,
        );
    }
    const body = live
      ? { ...next, metadata: { ...next.metadata, uid: liveUid } }
      : next;
    const applied = await written(
      writer,
      writer.apply<InferenceService>(body, {
        fieldManager: FIELD_MANAGER,
        force: true,
      }),
    );
    const out: Awaited<ReturnType<ServiceWriter['write']>> = {
      created: !live,
      uid: applied.metadata.uid,
    };
    if (options.children)
      out.children = await this.applyChildren(client, writer, applied);
    return out;
  }

  /** Applies the rendered children through `writer`; `client` (the plugin's identity) reads who controls them. */
  private async applyChildren(
    client: ClusterClient,
    writer: ClusterClient,
    applied: InferenceService,
  ) {
    const ns = applied.metadata.namespace!;
    const { children } = renderInferenceService(applied, {
      ...(this.o.render ?? {}),
      namespace: ns,
      ownerUid: applied.metadata.uid,
    });
    const out: Array<{ apiVersion: string; kind: string; name: string }> = [];
    for (const child of children) {
      const kind = Object.values(KINDS).find(
        k => k.kind === child.kind && k.apiVersion === child.apiVersion,
      );
      const existing = kind
        ? await client.get<KubeObject>(kind, ns, child.metadata.name!)
        : undefined;
      const controller = existing?.metadata.ownerReferences?.find(
        r => r.controller,
      );
      // Never adopt (as the reconciler): an object that exists is written only when this service controls it.
      if (existing && controller?.uid !== applied.metadata.uid)
        throw new ConflictError(
          `${child.kind} ${ns}/${child.metadata.name} exists and is ${controller ? `controlled by ${controller.kind} ${controller.name}` : 'not controlled by this service'}; not adopted, nothing more applied`,
        );
      await written(
        writer,
        writer.apply(
          existing
            ? {
                ...child,
                metadata: { ...child.metadata, uid: existing.metadata.uid },
              }
            : child,
          { fieldManager: FIELD_MANAGER, force: true },
        ),
      );
      out.push({
        apiVersion: child.apiVersion,
        kind: child.kind,
        name: child.metadata.name!,
      });
    }
    return out;
  }
}

/**
 * What the autoscaler may change, checked on the live service at every review — also when an approval request it
 * filed executes later, in place of the membership re-check of a person: only the replicas of workload roles whose
 * policy (the live annotation, put there by the service's owners) is `acting`, within that policy's min/max (0 only
 * with scale to zero), and nothing else of the service — no other field, no annotation, no child (a scale is a patch
 * of the InferenceService's `spec.roles`). Owners who removed the policy, switched it to advisory or narrowed the
 * bounds since stop it at once.
 */
export function assertAutoscalerMayChange(
  ref: string,
  change: ChangeRequest,
  live: InferenceService | undefined,
): void {
  const refuse = (why: string) =>
    new NotAllowedError(`not allowed: the autoscaler ${why}; nothing applied`);
  if (change.kind !== 'scale' || !change.manifest)
    throw refuse('only changes the replicas of roles');
  if (!live) throw refuse(`cannot scale ${ref}: it does not exist`);
  if (
    change.resourceVersion !== undefined &&
    change.resourceVersion !== live.metadata.resourceVersion
  )
    throw new ConflictError(
      `InferenceService ${ref} changed since the autoscaler decided; it decides again`,
    );
  const next = change.manifest;
  const { policies, issues } = readAutoscalingPolicies(live);
  if (issues.length)
    throw refuse(
      `acts on no policy of ${ref} with problems (${issues[0].path}: ${issues[0].message})`,
    );
  const liveRoles = live.spec.roles ?? [];
  const nextRoles = next.spec?.roles ?? [];
  // Everything but the replicas of the roles must be what is live (metadata as the scale operation carries it).
  const comparable = (
    i: InferenceService,
    replicasOf: (name: string, r: number | undefined) => number | undefined,
  ) =>
    canonicalJson({
      apiVersion: i.apiVersion,
      kind: i.kind,
      name: i.metadata.name,
      namespace: i.metadata.namespace,
      labels: i.metadata.labels ?? {},
      annotations: i.metadata.annotations ?? {},
      spec: {
        ...i.spec,
        roles: (i.spec?.roles ?? []).map(r => ({
          ...r,
          replicas: replicasOf(r.name, r.replicas),
        })),
      },
    });
  const liveReplicas = new Map(liveRoles.map(r => [r.name, r.replicas]));
  // The owners' policy on the live service first: what it says now decides, whatever the request was made under.
  for (const r of nextRoles) {
    const before = liveReplicas.get(r.name) ?? 1;
    const after = r.replicas ?? 1;
    if (after === before) continue;
    const p = policies[r.name];
    if (!p)
      throw refuse(
        `may not scale role ${r.name} of ${ref}: its owners gave it no autoscaling policy`,
      );
    if (p.mode !== 'acting')
      throw refuse(
        `may not scale role ${r.name} of ${ref}: its autoscaling is advisory`,
      );
    const zero = after === 0 && p.scaleToZeroAfterIdleMinutes !== undefined;
    if (!zero && (after < p.minReplicas || after > p.maxReplicas))
      throw refuse(
        `may not set role ${r.name} of ${ref} to ${after} replicas: its policy allows ${p.minReplicas} to ${p.maxReplicas}${p.scaleToZeroAfterIdleMinutes !== undefined ? ' (or 0 when idle)' : ''}`,
      );
  }
  // Then: everything but those replicas is what is live.
  if (
    nextRoles.length !== liveRoles.length ||
    comparable(next, n => liveReplicas.get(n)) !==
      comparable(live, (_n, r) => r)
  )
    throw refuse(
      `changes only replicas, and this changes more of ${ref} (or it changed since the autoscaler decided; it decides again)`,
    );
}

/**
 * A write through `writer`, whose refusal by the cluster when made as a user (`writeAs: user`: its RBAC or admission
 * said no) becomes a 403 that names the Kubernetes user; the plugin's own identity lacking `impersonate` stays a
 * cluster error (the operator's to fix), as does everything else.
 */
async function written<T>(
  writer: ClusterClient,
  write: Promise<T>,
): Promise<T> {
  try {
    return await write;
  } catch (e) {
    throw refusedFor(writer, e);
  }
}

function refusedFor(writer: ClusterClient, e: unknown): unknown {
  const identity = writer.impersonating;
  if (
    !identity ||
    !(e instanceof ClusterApiError) ||
    e.code !== 403 ||
    writer.readOnly ||
    /cannot impersonate/i.test(e.message)
  )
    return e;
  return new NotAllowedError(
    `refused by cluster ${writer.name} for Kubernetes user "${identity.user}" (groups ${identity.groups.join(', ')}; writeAs: user): ${e.message}`,
  );
}

/** Managers other than this plugin that own fields of the live object's spec. */
export function foreignManagers(live: KubeObject): string[] {
  const entries = ((live.metadata as any).managedFields ?? []) as Array<{
    manager?: string;
    subresource?: string;
    fieldsV1?: Record<string, unknown>;
  }>;
  return [
    ...new Set(
      entries
        .filter(
          e =>
            e.manager &&
            e.manager !== FIELD_MANAGER &&
            e.subresource !== 'status' &&
            e.fieldsV1 &&
            Object.keys(e.fieldsV1).some(k => k === 'f:spec'),
        )
        .map(e => e.manager!),
    ),
  ];
}
