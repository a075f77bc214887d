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

import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { stringify } from 'yaml';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import type { TemplateParameterSchema } from '@backstage/plugin-scaffolder-react';
import {
  BASE,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import {
  FusionInferPreview,
  fusionInferPreviewValidation,
} from './PreviewField';

// The field in the scaffolder's own Stepper, registered with its validation as the plugin registers it: the step
// goes on to the review only when the field lets it.
const server = setupMsw();

const template: TemplateParameterSchema = {
  title: 'Deploy',
  steps: [
    {
      title: 'Service',
      schema: {
        type: 'object',
        properties: {
          cluster: { type: 'string', title: 'Cluster' },
          namespace: { type: 'string', title: 'Namespace' },
          manifest: { type: 'string', title: 'Manifest' },
          preview: {
            type: 'object',
            title: 'What will be deployed',
            'ui:field': 'FusionInferPreview',
            'ui:options': { manifestField: 'manifest', debounceMs: 0 },
          },
        },
      },
    },
  ],
};

async function renderWizard(namespace: string, check: string, dry: string) {
  server.use(
    http.post(`${BASE}/approvals/check`, () =>
      HttpResponse.json(fixture(check)),
    ),
    http.post(`${BASE}/apply`, () => HttpResponse.json(fixture(dry))),
  );
  const manifest = fixture('approval-pending').manifest;
  manifest.metadata.namespace = namespace;
  manifest.spec.roles[1].replicas = 1;
  await renderWithApis(
    <Stepper
      manifest={template}
      extensions={[
        {
          name: 'FusionInferPreview',
          component: FusionInferPreview as any,
          validation: fusionInferPreviewValidation as any,
        },
      ]}
      initialState={{
        cluster: 'dev',
        namespace,
        manifest: stringify(manifest),
      }}
      onCreate={async () => {}}
    />,
  );
}

describe('FusionInferPreview in the scaffolder wizard', () => {
  it('does not let the wizard go on when the policy refuses the deployment', async () => {
    await renderWizard(
      'ml-platform',
      'approval-check-refused',
      'apply-dry-run-refused',
    );
    expect(
      await screen.findByText('The policy refuses this deployment'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      (
        await screen.findAllByText(
          /The policy refuses this deployment: change what the preview lists/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: 'Create' }),
    ).not.toBeInTheDocument();
  });

  it('goes on to the review when the policy allows it', async () => {
    await renderWizard('demo', 'approval-check-free', 'apply-dry-run-free');
    expect(await screen.findByText('No approval needed')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Review' }));
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Create' }),
      ).toBeInTheDocument(),
    );
  });
});
