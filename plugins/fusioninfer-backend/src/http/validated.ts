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
import { z } from 'zod';
import { InputError } from '@backstage/errors';
import { RestRouteSpec } from '@fusioninfer/plugin-fusioninfer-common';
import { parseOrThrow, RouteReply } from '../contract/parse';

/** Default body limit of routes that declare none (every route parses JSON bodies with a limit). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the request with its validated parts. */
export interface RouteContext<R extends RestRouteSpec> {
  req: express.Request;
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
}

/**
 * Under test (Jest sets NODE_ENV=test; the browser tests' backend sets FUSIONINFER_CHECK_RESPONSES=1) every answer is
 * parsed with the schema its route declares for its status, so each test that calls the REST API also checks the
 * contract: a field the handler adds and the contract does not declare (the schemas are strict) fails the request
 * with a 500 naming it.
 */
const CHECK_RESPONSES =
  process.env.NODE_ENV === 'test' ||
  process.env.FUSIONINFER_CHECK_RESPONSES === '1';

function checkResponse(
  spec: RestRouteSpec,
  reply: { status: unknown; body: unknown },
) {
  const schema = (spec.responses as Record<number, z.ZodType | undefined>)[
    reply.status as number
  ];
  if (!schema) return; // an answer without a declared body (204)
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success)
    throw new Error(
      `${spec.method.toUpperCase()} ${spec.path} answered ${String(reply.status)} outside its contract: ${parsed.error.issues
        .slice(0, 5)
        .map(i => `${i.path.join('.') || 'body'}: ${i.message}`)
        .join('; ')}`,
    );
}

/**
 * Binds one route of the contract: JSON body with the route's size limit, then params, query and body validated by
 * the route's schemas (a failure is a 400 naming each field and rule, never a 500), then the handler, whose answer is
 * typed by the route's response schemas.
 */
export function bindRoute<R extends RestRouteSpec>(
  router: express.Router,
  spec: R,
  handler: (ctx: RouteContext<NoInfer<R>>) => Promise<RouteReply<NoInfer<R>>>,
): void {
  const limit = spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const parse = express.json({ limit, strict: true });
  // body-parser's own errors name neither the field nor the rule: say "body" and which rule it broke.
  const json: express.RequestHandler = (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as Error & { type?: string; status?: number };
      if (e.type === 'entity.too.large') {
        e.message = `body: at most ${Math.round(limit / 1024)} KiB is accepted on this route`;
        return next(e);
      }
      if (e.type === 'entity.parse.failed')
        return next(
          new InputError(
            `body: not valid JSON, or not an object or array (${e.message})`,
          ),
        );
      return next(e);
    });
  router[spec.method](
    spec.path,
    json,
    async (req: express.Request, res: express.Response) => {
      const params = spec.params
        ? parseOrThrow(spec.params, { ...req.params })
        : undefined;
      // Express parses `?a=1&a=2` as an array: the string schemas reject it with a 400.
      const query = spec.query
        ? parseOrThrow(spec.query, { ...(req.query as object) })
        : undefined;
      let body: unknown = undefined;
      if (spec.body) {
        if (req.body === undefined || !req.is('application/json'))
          throw new InputError(
            'body: a JSON object is required (Content-Type: application/json)',
          );
        body = parseOrThrow(spec.body, req.body);
      }
      const reply = await handler({
        req,
        params,
        query,
        body,
      } as RouteContext<R>);
      if (CHECK_RESPONSES) checkResponse(spec, reply);
      res.status(reply.status as number).json(reply.body);
    },
  );
}
