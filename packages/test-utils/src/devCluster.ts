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

/**
 * One `fusioninfer.clusters[]` entry for a development cluster at `url` (`startDevCluster()`'s `url`): the options of
 * `new ClusterClient(...)` and, as app-config data, of the backend plugin in `startTestBackend`.
 */
export function devClusterConfig(
  url: string,
  overrides: { name?: string; mode?: 'manage' | 'observe' } = {},
) {
  return {
    name: overrides.name ?? 'dev',
    url,
    authProvider: 'serviceAccount' as const,
    serviceAccountToken: 'dev-token',
    skipTLSVerify: true,
    mode: overrides.mode ?? ('manage' as const),
  };
}
