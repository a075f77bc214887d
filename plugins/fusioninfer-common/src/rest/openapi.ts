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

import { z } from 'zod';
import { errorResponseSchema } from './common';
import { fusioninferRoutes, RestRouteSpec } from './routes';

const ERROR_STATUSES: Record<number, string> = {
  400: 'Invalid request (the message names each field and rule)',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found (also what a caller without read permission sees for a service)',
  409: 'Conflict',
  413: 'Request body too large',
  503: 'Cluster unavailable',
};

/** JSON Schema of a zod schema; named schemas (`.meta({ id })`) are hoisted into `components`. */
function converter(components: Record<string, unknown>) {
  return (s: z.ZodType, io: 'input' | 'output') => {
    const json = z.toJSONSchema(s, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      // z.object (strip) is an open object in answers: other fields may appear and are ignored by readers.
      override: ctx => {
        const def = (ctx.zodSchema as any)._zod?.def;
        if (def?.type === 'object' && def.catchall === undefined)
          delete (ctx.jsonSchema as Record<string, unknown>)
            .additionalProperties;
      },
    }) as Record<string, unknown>;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    delete json.$defs;
    const rewrite = (v: unknown) =>
      JSON.parse(
        JSON.stringify(v).replace(/"#\/\$defs\//g, '"#/components/schemas/'),
      );
    // Named schemas have no transforms, so their input and output forms are one.
    for (const [id, def] of Object.entries(defs)) components[id] = rewrite(def);
    return rewrite(json);
  };
}

/**
 * The OpenAPI 3.1 document of `/api/fusioninfer`, generated from the same zod schemas the backend validates with.
 * @public
 */
export function fusioninferOpenApiDocument(
  options: { serverUrl?: string } = {},
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, unknown> = {};
  const toSchema = converter(components);
  for (const [operationId, route] of Object.entries(
    fusioninferRoutes as Record<string, RestRouteSpec>,
  )) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    const addParams = (s: z.ZodType | undefined, where: 'path' | 'query') => {
      if (!s) return;
      const json = toSchema(s, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(json.properties ?? {}))
        parameters.push({
          name,
          in: where,
          required: where === 'path' || !!json.required?.includes(name),
          schema,
        });
    };
    addParams(route.params, 'path');
    addParams(route.query, 'query');
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(route.responses))
      responses[status] = {
        description: status === '202' ? 'Accepted' : 'OK',
        content: { 'application/json': { schema: toSchema(schema, 'output') } },
      };
    for (const [status, description] of Object.entries(ERROR_STATUSES)) {
      if (status === '413' && !route.body) continue;
      responses[status] = {
        description,
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/ErrorResponse' },
          },
        },
      };
    }
    paths[path] = {
      ...(paths[path] ?? {}),
      [route.method]: {
        operationId,
        summary: route.summary,
        description: `Permission: ${route.permission}.${route.body ? ` Body limit: ${route.maxBodyBytes ?? 16 * 1024} bytes.` : ''}`,
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: toSchema(route.body, 'input') },
                },
              },
            }
          : {}),
        responses,
        security: [{ BackstageToken: [] }],
      },
    };
  }
  toSchema(errorResponseSchema, 'output'); // registers components.ErrorResponse
  return {
    openapi: '3.1.0',
    info: {
      title: 'FusionInfer',
      version: '1',
      description:
        'REST API of the FusionInfer backend plugin (`/api/fusioninfer`). Generated from the zod schemas in @fusioninfer/plugin-fusioninfer-common.',
    },
    servers: [{ url: options.serverUrl ?? '/api/fusioninfer' }],
    paths,
    components: {
      schemas: { ...components },
      securitySchemes: {
        BackstageToken: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}
