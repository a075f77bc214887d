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

import { buildInferenceService } from './build';
import { UPSTREAM_EXAMPLE_PARAMETERS } from './upstreamExamples';
import { loadExamples } from '../__testUtils__/examples';

const examples = loadExamples();
const files = Object.keys(examples).map(n => `${n}.yaml`);

describe('template parameters reproduce every upstream example', () => {
  it('covers every example manifest', () => {
    expect(files).toHaveLength(13);
    expect(Object.keys(UPSTREAM_EXAMPLE_PARAMETERS).sort()).toEqual(files);
  });

  it.each(files)('%s', file => {
    const expected = examples[file.replace(/\.yaml$/, '')];
    const result = buildInferenceService(UPSTREAM_EXAMPLE_PARAMETERS[file]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    // Exactly: same keys, same values, no extra undefined properties.
    expect(JSON.parse(JSON.stringify(result.manifest))).toStrictEqual(expected);
    expect(result.manifest).toStrictEqual(expected);
  });

  it('warns about the upstream one-argument --kv-transfer-config form', () => {
    const r = buildInferenceService(
      UPSTREAM_EXAMPLE_PARAMETERS['router-pd-disaggregation-2-decode.yaml'],
    );
    expect(r.warnings).toContainEqual({
      path: 'parameters.prefill.extraArgs[0]',
      message: expect.stringContaining('contains a space'),
    });
  });
});
