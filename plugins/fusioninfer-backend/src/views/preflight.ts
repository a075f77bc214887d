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
 * Pre-flight for the REST answers (dry run, approval check, approval page, the tab): the models a manifest names,
 * resolved from the shipped catalog, `fusioninfer.preflight.models`, and — when allowed — a Hugging Face endpoint
 * (config.json and the safetensors index, cached), then common's pure `preflight` against the cluster's snapshot.
 */

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterSnapshot,
  ModelCatalog,
  modelConfigOf,
  ModelEntry,
  preflight,
  PreflightReport,
  readEngineArgs,
  shippedModelCatalog,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ServiceSource } from './ServiceSource';

/** `fusioninfer.preflight`, read. */
export interface PreflightSettings {
  /** Added to the shipped catalog; an entry with a shipped id replaces it. */
  models: ModelEntry[];
  /** Fetch unknown models' config.json from a Hugging Face endpoint (absent: never). */
  huggingFace?: {
    baseUrl: string;
    token?: string;
    timeoutMs: number;
    cacheTtlMs: number;
  };
}

/** Largest config.json / index accepted from the endpoint. */
const MAX_FETCH_BYTES = 1024 * 1024;
/** Models fetched for one manifest at most (the rest stay unknown). */
const MAX_FETCHES_PER_CHECK = 8;
/** Models remembered (fetched or not found). */
const MAX_CACHED = 1000;
/** A Hugging Face repository id: `org/name`, no path tricks. */
const HF_ID =
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Reads a response body up to `max` bytes; undefined when larger. */
async function cappedText(
  res: Response,
  max: number,
): Promise<string | undefined> {
  const reader = res.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves model names to catalog entries; one per backend. */
export class ModelResolver {
  private readonly base: ModelEntry[];
  private readonly cache = new Map<
    string,
    { entry?: ModelEntry; until: number }
  >();

  constructor(
    private readonly settings: PreflightSettings,
    private readonly logger?: LoggerService,
    private readonly fetchImpl: Fetch = (url, init) => fetch(url, init),
  ) {
    this.base = [...shippedModelCatalog(), ...settings.models];
  }

  /** The catalog for a manifest: shipped and configured models, plus the fetched ones it names. */
  async catalogFor(manifest: unknown): Promise<ModelCatalog> {
    const known = new ModelCatalog(this.base);
    const hf = this.settings.huggingFace;
    if (!hf) return known;
    const missing = [...modelNames(manifest)].filter(
      n => !known.find(n) && HF_ID.test(n),
    );
    const fetched: ModelEntry[] = [];
    for (const id of missing.slice(0, MAX_FETCHES_PER_CHECK)) {
      const e = await this.fetchModel(id, hf);
      if (e) fetched.push(e);
    }
    return fetched.length
      ? new ModelCatalog([...this.base, ...fetched])
      : known;
  }

  private async fetchModel(
    id: string,
    hf: NonNullable<PreflightSettings['huggingFace']>,
  ): Promise<ModelEntry | undefined> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.entry;
    const get = async (file: string) => {
      const res = await this.fetchImpl(
        `${hf.baseUrl.replace(/\/+$/, '')}/${id}/resolve/main/${file}`,
        {
          headers: hf.token ? { authorization: `Bearer ${hf.token}` } : {},
          signal: AbortSignal.timeout(hf.timeoutMs),
          redirect: 'follow',
        },
      );
      if (!res.ok) {
        await res.body?.cancel();
        return undefined;
      }
      const text = await cappedText(res, MAX_FETCH_BYTES);
      return text === undefined ? undefined : JSON.parse(text);
    };
    let entry: ModelEntry | undefined;
    try {
      const config = modelConfigOf(await get('config.json'));
      if (config.num_hidden_layers || config.text_config) {
        let weightsBytes: number | undefined;
        try {
          const index = await get('model.safetensors.index.json');
          const total = Number(index?.metadata?.total_size);
          if (Number.isFinite(total) && total > 0) weightsBytes = total;
        } catch {
          // A single-file checkpoint has no index; the parameter count comes from the architecture.
        }
        entry = {
          id,
          config,
          source: `${hf.baseUrl.replace(/\/+$/, '')}/${id}`,
          ...(weightsBytes ? { weightsBytes } : {}),
        };
      }
    } catch (e) {
      this.logger?.info(
        `pre-flight: cannot read the config of ${id} from ${hf.baseUrl}: ${(e as Error).message}`,
      );
    }
    if (this.cache.size >= MAX_CACHED)
      this.cache.delete(this.cache.keys().next().value!);
    // Not found or unreadable: asked again after a tenth of the time.
    this.cache.set(id, {
      entry,
      until: now + (entry ? hf.cacheTtlMs : hf.cacheTtlMs / 10),
    });
    return entry;
  }
}

/** The model names of a manifest's role containers. */
export function modelNames(manifest: unknown): Set<string> {
  const out = new Set<string>();
  const roles = (manifest as any)?.spec?.roles;
  if (!Array.isArray(roles)) return out;
  for (const role of roles.slice(0, 1000)) {
    const containers = role?.template?.spec?.containers;
    if (!Array.isArray(containers)) continue;
    for (const c of containers.slice(0, 100)) {
      const m = readEngineArgs(c).model;
      if (m) out.add(m);
    }
  }
  return out;
}

/** The pre-flight of a manifest on a cluster's snapshot (undefined snapshot: the gang part says unknown). */
export async function preflightReport(
  resolver: ModelResolver,
  manifest: unknown,
  snapshot: ClusterSnapshot | undefined,
): Promise<PreflightReport> {
  return preflight(manifest, snapshot, await resolver.catalogFor(manifest));
}

/** The pre-flight of a manifest on a cluster now; `service`'s own pods count as free (an update replaces them). */
export type PreflightOf = (
  cluster: string,
  manifest: unknown,
  service?: { namespace: string; name: string },
) => Promise<PreflightReport>;

/** Binds a resolver to the clusters' snapshots (see {@link ServiceSource.snapshot}). */
export function createPreflightOf(
  resolver: ModelResolver,
  source: Pick<ServiceSource, 'snapshot'>,
): PreflightOf {
  return (cluster, manifest, service) =>
    preflightReport(resolver, manifest, source.snapshot?.(cluster, service));
}
