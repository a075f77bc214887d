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
import type { PreflightReport } from '../preflight';

const text = z.string().max(4096);
const count = z.number().finite().min(0);
const verdict = z.enum(['starts', 'does-not-start', 'unknown']);

/** One role's pre-flight (see `preflight` in common). @public */
export const rolePreflightSchema = z
  .strictObject({
    role: text,
    componentType: text.optional(),
    verdict,
    error: text.optional(),
    fix: text.optional(),
    engine: z.strictObject({
      engine: z.enum(['vllm', 'unknown']),
      model: text.optional(),
      tensorParallelSize: count,
      pipelineParallelSize: count,
      maxModelLen: count.optional(),
      gpuMemoryUtilization: count,
      kvCacheDtype: text,
      dtype: text,
      quantization: text.optional(),
      enforceEager: z.boolean(),
      maxNumSeqs: count.optional(),
      maxNumBatchedTokens: count.optional(),
    }),
    model: z.strictObject({ id: text, source: text.optional() }).optional(),
    gpusPerReplica: count,
    memory: z
      .strictObject({
        gpu: z.strictObject({
          product: text.optional(),
          totalGiB: count,
          source: text,
        }),
        requestedGiB: count,
        weightsGiB: count,
        weightsFrom: z.enum(['checkpoint', 'parameters', 'architecture']),
        activationGiB: count,
        nonTorchGiB: count,
        cudaGraphGiB: count,
        kvCacheGiB: count,
        kvBytesPerToken: count,
        kvCacheTokens: count,
        maxModelLen: count,
        maxConcurrency: count,
      })
      .optional(),
    findings: z
      .array(
        z.strictObject({
          severity: z.enum(['error', 'warning', 'info']),
          message: text,
        }),
      )
      .max(200),
  })
  .meta({ id: 'RolePreflight' });

/**
 * The pre-flight of a deployment: per role whether vLLM starts and how much KV cache it gets, and whether the pods
 * (the gang together) fit the cluster now. @public
 */
export const preflightReportSchema = z
  .strictObject({
    verdict,
    summary: text,
    roles: z.array(rolePreflightSchema).max(1000),
    gang: z.strictObject({
      fits: z.boolean().optional(),
      message: text,
      placed: count,
      pods: count,
      minMember: count.optional(),
      blocking: text.optional(),
    }),
  })
  .meta({ id: 'PreflightReport' });

// The schema and the type of common's preflight() must stay one shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameShape: Same<
  z.infer<typeof preflightReportSchema>,
  PreflightReport
> = true;
void sameShape;
