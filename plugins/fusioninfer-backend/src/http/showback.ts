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
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  fusioninferRoutes,
  fusioninferServiceReadPermission,
  resolveShowbackWindow,
} from '@fusioninfer/plugin-fusioninfer-common';
import { Access } from '../auth/access';
import { ServiceSource } from '../views/ServiceSource';
import { Showback, ShowbackResult } from '../showback/Showback';
import { bindRoute } from './validated';

/** Dependencies of the showback routes. */
export interface ShowbackRoutesOptions {
  access: Access;
  source: ServiceSource;
  /** Absent: showback is not configured, and both routes answer 503. */
  showback?: Showback;
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function header(showback: Showback, r: ShowbackResult) {
  return {
    source: r.source,
    costBasis: 'allocation' as const,
    currency: showback.settings.sheet.currency,
    window: { start: iso(r.window.start), end: iso(r.window.end) },
    month: { start: iso(r.month.start), end: iso(r.month.end) },
    generatedAt: iso(Date.now()),
  };
}

/**
 * `GET /showback` and `GET …/services/:name/showback`. Both need `fusioninfer.service.read`: the list filters each
 * service by a decision on its entity (teams sum what the caller may read), the single service is authorized on its
 * entity before anything about it is told (the same 403 whether it exists or not).
 */
export function addShowbackRoutes(
  router: express.Router,
  o: ShowbackRoutesOptions,
) {
  const { access } = o;
  const r = fusioninferRoutes;
  const now = o.now ?? Date.now;
  const configured = () => {
    if (!o.showback)
      throw new ServiceUnavailableError(
        'showback is not configured (fusioninfer.showback: a price sheet or OpenCost)',
      );
    return o.showback;
  };
  const windowOf = (query: { from?: string; to?: string }) => {
    const w = resolveShowbackWindow(query, now());
    if ('error' in w) throw new InputError(w.error);
    return w;
  };

  bindRoute(router, r.getShowback, async ({ req, query }) => {
    const credentials = await access.credentials(req);
    await access.requireSome(credentials, fusioninferServiceReadPermission);
    const showback = configured();
    const result = await showback.compute(windowOf(query), {
      readable: refs =>
        access.allowed(credentials, fusioninferServiceReadPermission, refs),
    });
    const team = query.team?.toLowerCase();
    return {
      status: 200 as const,
      body: {
        ...header(showback, result),
        teams: team
          ? result.teams.filter(t => t.team.toLowerCase() === team)
          : result.teams,
        services: team
          ? result.services.filter(s => s.team?.toLowerCase() === team)
          : result.services,
        errors: result.errors,
      },
    };
  });

  bindRoute(router, r.getServiceShowback, async ({ req, params, query }) => {
    const credentials = await access.credentials(req);
    // The service's entity decides; a deleted service with recorded usage keeps the entity it had.
    let entityRef: string | undefined;
    let failure: Error | undefined;
    try {
      const isvc = await o.source.getService(
        params.cluster,
        params.namespace,
        params.name,
      );
      if (isvc) entityRef = access.entityRefOf(isvc, params.cluster);
    } catch (e) {
      failure = access.clusterError(e, params.cluster);
    }
    const window = o.showback ? windowOf(query) : undefined;
    if (!entityRef && o.showback && window) {
      const recorded = await o.showback.options.store.sums(
        Math.min(window.start, now() - 31 * 24 * 3_600_000),
        now(),
        params,
      );
      entityRef = [...recorded.values()][0]?.entityRef || undefined;
    }
    await access.require(
      credentials,
      fusioninferServiceReadPermission,
      entityRef ??
        access.generatedEntityRef(
          params.cluster,
          params.namespace,
          params.name,
        ),
    );
    const showback = configured();
    const result = await showback.compute(window!, { only: params });
    const service = result.services[0];
    if (!service) {
      if (failure) throw failure;
      throw new NotFoundError(
        `InferenceService ${params.cluster}/${params.namespace}/${params.name} not found, and no usage recorded for it`,
      );
    }
    return {
      status: 200 as const,
      body: {
        ...header(showback, result),
        service,
        errors: result.errors,
      },
    };
  });
}
