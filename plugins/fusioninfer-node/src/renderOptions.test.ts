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

import { ConfigReader } from '@backstage/config';
import { readRenderOptions } from './renderOptions';

const read = (epp?: { [key: string]: string | number | boolean }) =>
  readRenderOptions(new ConfigReader({ fusioninfer: epp ? { epp } : {} }));

describe('readRenderOptions', () => {
  it("leaves every option to the renderer's default without fusioninfer.epp", () => {
    expect(read()).toEqual({
      eppImage: undefined,
      pdEppImage: undefined,
      eppMetricsAuth: undefined,
    });
    expect(read()).not.toHaveProperty('kvCacheMetric');
  });

  it('reads the images, the KV-cache metric and the metrics auth switch', () => {
    expect(
      read({
        image: 'registry.example/epp:v1',
        pdImage: 'registry.example/pd-epp:v2',
        kvCacheMetric: 'sglang:kv_usage',
        disableMetricsAuth: true,
      }),
    ).toEqual({
      eppImage: 'registry.example/epp:v1',
      pdEppImage: 'registry.example/pd-epp:v2',
      kvCacheMetric: 'sglang:kv_usage',
      eppMetricsAuth: false,
    });
  });

  it('turns kvCacheMetric "none" into null (no flag) and ignores disableMetricsAuth: false', () => {
    expect(
      read({ kvCacheMetric: 'none', disableMetricsAuth: false }),
    ).toMatchObject({ kvCacheMetric: null, eppMetricsAuth: undefined });
  });

  it('refuses a value of the wrong type, naming the key', () => {
    expect(() => read({ image: 42 })).toThrow(/fusioninfer\.epp\.image/);
  });
});
