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

import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import {
  ReviewState,
  Stepper,
  useTemplateSchema,
} from '@backstage/plugin-scaffolder-react/alpha';
import type { TemplateParameterSchema } from '@backstage/plugin-scaffolder-react';
import { UPSTREAM_EXAMPLE_PARAMETERS } from '@fusioninfer/plugin-fusioninfer-common/builder';
// The templates as the catalog serves them (shared form pages resolved); test code only, run by Jest in Node.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { loadTemplate } from '@fusioninfer/test-utils';

// The templates' form as the scaffolder shows it (Backstage 1.55, @backstage/plugin-scaffolder-react 2.1): the step
// labels of the Stepper and the final review table (ReviewState, which reads `ui:backstage.review` of each field).
const TEMPLATES = ['deploy-llm', 'publish-gitops'];

/**
 * What the scaffolder backend serves as the template's parameter schema (one step per parameters page), from the
 * template as the catalog holds it (shared pages of templates/_shared/ resolved).
 */
function manifestOf(template: string): TemplateParameterSchema {
  const doc = loadTemplate(template);
  return {
    title: doc.metadata.title,
    steps: [doc.spec.parameters].flat().map((page: any) => ({
      title: page.title,
      description: page.description,
      schema: page,
    })),
    presentation: doc.spec.presentation,
  } as TemplateParameterSchema;
}

function Review(props: { manifest: TemplateParameterSchema; formState: any }) {
  const { steps } = useTemplateSchema(props.manifest);
  return <ReviewState schemas={steps} formState={props.formState} />;
}

/** The whole form as the Stepper hands it to the review step, the preview field's value included. */
const FORM: Record<string, Record<string, unknown>> = {
  'deploy-llm': { waitUntilReady: true, waitForApproval: false },
  'publish-gitops': {
    repoUrl: 'github.com?owner=acme&repo=deployments',
    directory: 'clusters',
    includeChildren: true,
  },
};
const formStateOf = (template: string) => ({
  ...UPSTREAM_EXAMPLE_PARAMETERS['monolithic-router-qwen.yaml'],
  cluster: 'dev',
  namespace: 'demo',
  owner: 'group:default/ml-platform',
  ...FORM[template],
  preview: { valid: true, approvalRequired: undefined, gpus: 1, pods: 2 },
});

describe.each(TEMPLATES)('the %s template in the scaffolder', template => {
  it('names every step of the stepper differently (no two "Review" steps)', async () => {
    await renderInTestApp(
      <Stepper
        manifest={manifestOf(template)}
        extensions={[]}
        onCreate={async () => {}}
      />,
    );
    const labels = Array.from(
      document.querySelectorAll('.MuiStepLabel-label'),
    ).map(l => l.textContent);
    const pages = [manifestOf(template).steps].flat().map(s => s.title);
    // Every parameters page, then Backstage's own final review step.
    expect(labels.slice(0, pages.length)).toEqual(pages);
    expect(labels).toHaveLength(pages.length + 1);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it("leaves the preview field's internal value out of the final review", async () => {
    const formState = formStateOf(template);
    await renderInTestApp(
      <Review manifest={manifestOf(template)} formState={formState} />,
    );
    const table = screen.getByRole('table');
    expect(table).toHaveTextContent('Service name');
    expect(table).toHaveTextContent(formState.name as string);
    expect(table).toHaveTextContent('Cluster');
    // `Preview > Valid`, `Preview > Approval Required` (empty), `Preview > Gpus`, `Preview > Pods` were rows before.
    expect(table).not.toHaveTextContent(
      /Preview|Valid|Approval Required|Gpus|Pods/,
    );
    expect(table).not.toHaveTextContent(/What will be (deployed|committed)/);
    // No row without a value.
    for (const row of within(table).getAllByRole('row'))
      expect(row.lastElementChild?.textContent).not.toBe('');
  });
});
