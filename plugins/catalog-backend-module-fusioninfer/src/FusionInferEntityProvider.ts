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
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  entityRefOfService,
  InferenceService,
  modelServiceEntity,
  ModelServiceEntityOptions,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CacheInformer,
  ClusterClient,
  FusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';

/** Options of {@link FusionInferEntityProvider}. */
export interface FusionInferEntityProviderOptions extends ModelServiceEntityOptions {
  clusters: FusionInferClusters;
  logger: LoggerService;
  /** Runs refresh() on a schedule; without it, call refresh() yourself. */
  taskRunner?: SchedulerServiceTaskRunner;
  /**
   * Services that name an entity with `backstage.io/entity-ref` get no generated entity (the named entity shows
   * them) unless this is true. Default false.
   */
  includeLinked?: boolean;
  /**
   * Watch the services (list+watch per cluster, or per namespace when `fusioninfer.clusters[].namespaces` is set)
   * and emit the entities as soon as the first list arrives and within `debounceMs` of every change. Default true;
   * false: only the scheduled refresh() lists.
   */
  watch?: boolean;
  /** Changes closer together than this are emitted together. Default 250 ms. */
  debounceMs?: number;
}

/**
 * Turns every InferenceService of every configured cluster (only the namespaces of `fusioninfer.clusters[].namespaces`
 * when set) into a Component of type `model-service`. Watches the clusters so that a new service has its entity
 * within a second of being created (the catalog then processes it); the scheduled refresh is a safety net that
 * relists. One cluster that cannot be listed keeps its last known entities instead of blanking them.
 */
export class FusionInferEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly lastKnown = new Map<string, Entity[]>();
  private readonly informers = new Map<
    string,
    CacheInformer<InferenceService>[]
  >();
  private lastEmitted?: string;
  private timer?: ReturnType<typeof setTimeout>;
  private emitting: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: FusionInferEntityProviderOptions) {}

  getProviderName(): string {
    return 'fusioninfer-provider';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    if (this.options.watch ?? true) this.startWatching();
    await this.options.taskRunner?.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        try {
          await this.refresh();
        } catch (e) {
          this.options.logger.warn(
            'FusionInfer entity refresh failed',
            e as Error,
          );
        }
      },
    });
  }

  /** Stops the watches (backend shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = [...this.informers.values()].flat();
    this.informers.clear();
    await Promise.all(all.map(i => i.stop()));
  }

  private startWatching() {
    for (const client of this.options.clusters.list()) {
      const namespaces = client.config.namespaces;
      const informers = (namespaces ?? [undefined]).map(ns =>
        client.informer<InferenceService>(KINDS.InferenceService, ns),
      );
      this.informers.set(client.name, informers);
      for (const informer of informers) {
        for (const event of ['add', 'update', 'delete'] as const)
          informer.on(event, () => this.schedule());
        informer
          .start()
          .then(() => this.schedule(0))
          .catch(e =>
            this.options.logger.warn(
              `cannot watch InferenceServices in cluster ${client.name} (retrying; the scheduled refresh lists meanwhile)`,
              e as Error,
            ),
          );
      }
    }
  }

  /** Emits from the watch caches after `delay` ms; changes meanwhile are emitted together. */
  private schedule(delay = this.options.debounceMs ?? 250) {
    if (this.stopped || !this.connection) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitting = this.emitting
        .then(() => this.emitFromWatches())
        .catch(e =>
          this.options.logger.warn(
            'FusionInfer entity update failed',
            e as Error,
          ),
        );
    }, delay);
  }

  private async emitFromWatches() {
    for (const client of this.options.clusters.list()) {
      const informers = this.informers.get(client.name);
      if (!informers?.length || !informers.every(i => i.synced)) continue;
      this.lastKnown.set(
        client.name,
        this.entitiesOf(
          client,
          informers.flatMap(i => i.list()),
        ),
      );
    }
    await this.emit();
  }

  private entitiesOf(client: ClusterClient, items: InferenceService[]) {
    return items
      .filter(i => client.allowsNamespace(i.metadata.namespace))
      .filter(i => this.options.includeLinked || !entityRefOfService(i))
      .map(
        i =>
          modelServiceEntity(
            i,
            client.name,
            `${this.getProviderName()}:${client.name}`,
            this.options,
          ) as unknown as Entity,
      )
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** Applies the known entities as one full mutation, unless they are exactly what was applied last. */
  private async emit(force = false): Promise<Entity[]> {
    if (!this.connection)
      throw new Error('FusionInferEntityProvider is not connected');
    const all: Entity[] = [];
    for (const c of this.options.clusters.list())
      all.push(...(this.lastKnown.get(c.name) ?? []));
    const key = JSON.stringify(all);
    if (!force && key === this.lastEmitted) return all;
    await this.connection.applyMutation({
      type: 'full',
      entities: all.map(entity => ({
        entity,
        locationKey:
          entity.metadata.annotations!['backstage.io/managed-by-location'],
      })),
    });
    this.lastEmitted = key;
    return all;
  }

  /** Lists services in every cluster and replaces the provider's entities. Returns the entities it emitted. */
  async refresh(): Promise<Entity[]> {
    if (!this.connection)
      throw new Error('FusionInferEntityProvider is not connected');
    await Promise.all(
      this.options.clusters.list().map(async client => {
        try {
          // With fusioninfer.clusters[].namespaces set, only those namespaces are listed (an identity limited to
          // them may not list cluster-wide) and nothing elsewhere becomes an entity.
          const namespaces = client.config.namespaces;
          const items = namespaces
            ? (
                await Promise.all(
                  namespaces.map(ns =>
                    client.list<InferenceService>(KINDS.InferenceService, ns),
                  ),
                )
              ).flat()
            : await client.list<InferenceService>(KINDS.InferenceService);
          this.lastKnown.set(client.name, this.entitiesOf(client, items));
        } catch (e) {
          this.options.logger.warn(
            `cannot list InferenceServices in cluster ${client.name}; keeping its last known entities`,
            e as Error,
          );
        }
      }),
    );
    // The scheduled refresh always writes: it repairs whatever the catalog lost.
    return this.emit(true);
  }
}
