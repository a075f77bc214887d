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

import { Config } from '@backstage/config';
import type { RenderOptions } from '@fusioninfer/plugin-fusioninfer-common';

/**
 * The render options of `fusioninfer.epp` (`image`, `pdImage`, `kvCacheMetric`, `disableMetricsAuth`), read in one
 * place so the backend and the scaffolder's render action render routers alike (a preview matches what is applied).
 * @public
 */
export function readRenderOptions(config: Config): RenderOptions {
  const epp = config.getOptionalConfig('fusioninfer.epp');
  const kv = epp?.getOptionalString('kvCacheMetric');
  return {
    eppImage: epp?.getOptionalString('image'),
    pdEppImage: epp?.getOptionalString('pdImage'),
    // "none" keeps upstream's flag-less behaviour (null); absent leaves the renderer's default.
    ...(kv ? { kvCacheMetric: kv === 'none' ? null : kv } : {}),
    eppMetricsAuth: epp?.getOptionalBoolean('disableMetricsAuth')
      ? false
      : undefined,
  };
}
