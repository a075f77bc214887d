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

import { plural } from '../plural';
import { PreflightReport } from './preflight';

const n = (x: number) => x.toLocaleString('en-US');

/**
 * The pre-flight answer as text — the CLI prints it and the scaffolder logs it: per role the engine, the GPU budget,
 * the verdict with vLLM's error and the fix, the findings, then the placement.
 * @public
 */
export function formatPreflight(r: PreflightReport, name?: string): string {
  const word: Record<PreflightReport['verdict'], string> = {
    'does-not-start': 'DOES NOT START',
    starts: 'starts',
    unknown: 'unknown',
  };
  const lines: string[] = [`${name ? `${name}: ` : ''}${word[r.verdict]}`];
  for (const role of r.roles) {
    const e = role.engine;
    lines.push(
      `  ${role.role} (${role.componentType ?? 'role'}, ${plural(role.gpusPerReplica, 'GPU')} per replica): ${e.engine === 'vllm' ? `vLLM ${e.model ?? '(no model)'}, TP ${e.tensorParallelSize} × PP ${e.pipelineParallelSize}${e.maxModelLen ? `, max-model-len ${n(e.maxModelLen)}` : ''}, gpu-memory-utilization ${e.gpuMemoryUtilization}${e.kvCacheDtype !== 'auto' ? `, kv-cache-dtype ${e.kvCacheDtype}` : ''}` : 'not vLLM'}`,
    );
    const m = role.memory;
    if (m) {
      lines.push(
        `    GPU ${m.gpu.product ?? 'given'} ${m.gpu.totalGiB} GiB: vLLM may use ${m.requestedGiB} GiB = weights ${m.weightsGiB} + activations ${m.activationGiB} + non-torch ${m.nonTorchGiB}${m.cudaGraphGiB ? ` + CUDA graphs ${m.cudaGraphGiB}` : ''} + KV cache ${m.kvCacheGiB}`,
        `    KV cache ${n(m.kvCacheTokens)} tokens (${n(m.kvBytesPerToken)} bytes per token per GPU); ${m.maxConcurrency} requests of ${n(m.maxModelLen)} tokens at once`,
      );
    }
    lines.push(
      `    ${role.verdict === 'does-not-start' ? 'does not start' : role.verdict}${role.error ? `: ${role.error}` : ''}`,
    );
    if (role.fix) lines.push(`    fix: ${role.fix}`);
    for (const f of role.findings)
      lines.push(`    ${f.severity}: ${f.message}`);
  }
  lines.push(`  placement: ${r.gang.message}`);
  return `${lines.join('\n')}\n`;
}
