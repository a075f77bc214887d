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
}

/**
 * Turns every InferenceService of every configured cluster (only the namespaces of `fusioninfer.clusters[].namespaces`
 * when set) into a Component of type `model-service`. One cluster that cannot be listed keeps its last known entities
 * instead of blanking them.
 */
export class FusionInferEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly lastKnown = new Map<string, Entity[]>();

  constructor(private readonly options: FusionInferEntityProviderOptions) {}

  getProviderName(): string {
    return 'fusioninfer-provider';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
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

  /** Lists services in every cluster and replaces the provider's entities. Returns the entities it emitted. */
  async refresh(): Promise<Entity[]> {
    if (!this.connection)
      throw new Error('FusionInferEntityProvider is not connected');
    const all: Entity[] = [];
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
          const entities = items
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
            );
          this.lastKnown.set(client.name, entities);
        } catch (e) {
          this.options.logger.warn(
            `cannot list InferenceServices in cluster ${client.name}; keeping its last known entities`,
            e as Error,
          );
        }
      }),
    );
    for (const c of this.options.clusters.list())
      all.push(...(this.lastKnown.get(c.name) ?? []));
    await this.connection.applyMutation({
      type: 'full',
      entities: all.map(entity => ({
        entity,
        locationKey:
          entity.metadata.annotations!['backstage.io/managed-by-location'],
      })),
    });
    return all;
  }
}
