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

/*
 * The one client of `/api/fusioninfer`, for the browser and for backends: every method is made from a route of
 * `fusioninferRoutes`, so a route added to the table is a method here without further code. The transport is
 * injected as in `@backstage/catalog-client` (the app's `discoveryApi` and `fetchApi`, or a backend's discovery
 * service and a token per call).
 */

import { ResponseError } from '@backstage/errors';
import type { z } from 'zod';
import type { RoutingMetricsResponse } from '../metrics/types';
import { fusioninferRoutes, FusionInferRouteId, RestRouteSpec } from './routes';

/** Per-call options of {@link FusionInferClient} with the default transport (as `@backstage/catalog-client`). @public */
export interface FusionInferRequestOptions {
  /** Sent as `Authorization: Bearer <token>`; without it the request carries what `fetchApi` adds. */
  token?: string;
}

/** How `createFusionInferClient` reaches the backend. @public */
export interface FusionInferClientOptions {
  /** Finds `/api/fusioninfer` (the app's `discoveryApi`, a backend's `coreServices.discovery`). */
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  /** The app's `fetchApi` (adds the user's Backstage token); default: the global `fetch`. */
  fetchApi?: { fetch: typeof fetch };
}

/**
 * The inputs of one route's method, in this order: its path parameters (the value when there is one, else one object
 * of them), then its JSON body or its query. A query whose fields are all optional may be left out, unless per-call
 * options follow that the caller must pass (`Strict`).
 * @public
 */
export type FusionInferRouteInputs<
  K extends FusionInferRouteId,
  Strict extends boolean = false,
> = [
  ...((typeof fusioninferRoutes)[K] extends {
    params: infer P extends z.ZodType;
  }
    ? [
        params: {
          [N in keyof z.input<P>]: [Exclude<keyof z.input<P>, N>] extends [
            never,
          ]
            ? z.input<P>[N]
            : z.input<P>;
        }[keyof z.input<P>],
      ]
    : []),
  ...((typeof fusioninferRoutes)[K] extends { body: infer B extends z.ZodType }
    ? [body: z.input<B>]
    : []),
  ...((typeof fusioninferRoutes)[K] extends { query: infer Q extends z.ZodType }
    ? Partial<z.input<Q>> extends z.input<Q>
      ? Strict extends true
        ? [query: z.input<Q> | undefined]
        : [query?: z.input<Q>]
      : [query: z.input<Q>]
    : []),
];

/**
 * The arguments of one route's method: its inputs, then the per-call options (optional when every field of
 * `TOptions` is).
 * @public
 */
export type FusionInferRouteArgs<
  K extends FusionInferRouteId,
  TOptions = FusionInferRequestOptions,
> =
  Partial<TOptions> extends TOptions
    ? [...FusionInferRouteInputs<K>, options?: TOptions]
    : [...FusionInferRouteInputs<K, true>, options: TOptions];

/**
 * What one route's method resolves with: the body of any success status the route declares (a mutation held for
 * approval resolves with its `202` body, `outcome: 'approval-required'`). `getMetrics` resolves with
 * `RoutingMetricsResponse`, richer than its schema, which leaves the nested metric documents open (a test keeps
 * the type within the schema).
 * @public
 */
export type FusionInferRouteResponse<K extends FusionInferRouteId> =
  K extends 'getMetrics'
    ? RoutingMetricsResponse
    : z.output<
        (typeof fusioninferRoutes)[K]['responses'][keyof (typeof fusioninferRoutes)[K]['responses']]
      >;

/**
 * The FusionInfer backend (`/api/fusioninfer`): one method per route of `fusioninferRoutes`, named after it, typed
 * with the route's schemas. A non-2xx answer throws `ResponseError` of `@backstage/errors` (`statusCode`, and the
 * backend's error in `body.error`). `TOptions` is what each call takes last: `{ token }` by default; the node
 * package's service takes `{ credentials }`.
 * @public
 */
export type FusionInferClient<TOptions = FusionInferRequestOptions> = {
  [K in FusionInferRouteId]: (
    ...args: FusionInferRouteArgs<K, TOptions>
  ) => Promise<FusionInferRouteResponse<K>>;
};

const PARAM = /:([A-Za-z0-9_]+)/g;

/** The method of one route. */
function routeMethod(
  id: string,
  route: RestRouteSpec,
  deps: FusionInferClientOptions,
  tokenOf: (options: any) => Promise<string | undefined>,
) {
  const names = [...route.path.matchAll(PARAM)].map(m => m[1]);
  const hasInput = route.body !== undefined || route.query !== undefined;
  // Where the per-call options are: after the inputs, even when an optional query before them was left out.
  const optionsAt = (names.length ? 1 : 0) + (hasInput ? 1 : 0);
  return async (...args: unknown[]) => {
    const params = names.length === 1 ? { [names[0]]: args[0] } : args[0];
    const path = route.path.replace(PARAM, (_, name: string) => {
      const value = (params as Record<string, unknown> | undefined)?.[name];
      if (value === undefined || value === null || value === '')
        throw new TypeError(`${id}: path parameter ${name} is missing`);
      return encodeURIComponent(String(value));
    });
    const input = hasInput ? args[names.length ? 1 : 0] : undefined;
    const token = await tokenOf(args[optionsAt]);

    let search = '';
    if (route.query && input) {
      // An empty value is no filter: the backend would read `cluster=` as a cluster named ''.
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(input as Record<string, unknown>))
        if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
      const text = qs.toString();
      search = text ? `?${text}` : '';
    }
    const body = route.body && input !== undefined ? input : undefined;

    const base = await deps.discoveryApi.getBaseUrl('fusioninfer');
    const init: RequestInit = {
      method: route.method.toUpperCase(),
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    const url = `${base}${path}${search}`;
    // Called as methods: an app's fetchApi may rely on `this`; the global fetch is looked up per call (test fakes).
    const res = deps.fetchApi
      ? await deps.fetchApi.fetch(url, init)
      : await fetch(url, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  };
}

/**
 * The client over the app's `fetchApi` and `discoveryApi`; each call may pass `{ token }`.
 * @public
 */
export function createFusionInferClient(
  options: FusionInferClientOptions,
): FusionInferClient;
/**
 * The client whose calls take `TOptions` last, turned into a token by `getToken` (a backend: the caller's
 * credentials, for `auth.getPluginRequestToken`).
 * @public
 */
export function createFusionInferClient<TOptions>(
  options: FusionInferClientOptions & {
    getToken(options: TOptions): Promise<string | undefined>;
  },
): FusionInferClient<TOptions>;
export function createFusionInferClient(
  options: FusionInferClientOptions & {
    getToken?(options: unknown): Promise<string | undefined>;
  },
): FusionInferClient<unknown> {
  const tokenOf =
    options.getToken ??
    (async (o?: FusionInferRequestOptions) => o?.token ?? undefined);
  return Object.fromEntries(
    Object.entries(fusioninferRoutes as Record<string, RestRouteSpec>).map(
      ([id, route]) => [id, routeMethod(id, route, options, tokenOf)],
    ),
  ) as FusionInferClient<unknown>;
}
