#!/usr/bin/env node
/*
 * Regenerates plugins/fusioninfer-common/src/crd/inferenceServiceCrd.ts from crds/fusioninfer.io_inferenceservices.yaml.
 * Run after editing the CRD: `node scripts/gen-crd-ts.js`.
 */
const fs = require('fs');
const path = require('path');
const { parseAllDocuments } = require('yaml');

const root = path.resolve(__dirname, '..');
const yamlPath = path.join(root, 'crds/fusioninfer.io_inferenceservices.yaml');
const outPath = path.join(
  root,
  'plugins/fusioninfer-common/src/crd/inferenceServiceCrd.ts',
);
const crd = parseAllDocuments(fs.readFileSync(yamlPath, 'utf8'))
  .map(d => d.toJS())
  .find(Boolean);
const header = fs
  .readFileSync(
    path.join(root, 'plugins/fusioninfer-common/src/constants.ts'),
    'utf8',
  )
  .split('*/')[0];
fs.writeFileSync(
  outPath,
  `${header}*/

// GENERATED from crds/fusioninfer.io_inferenceservices.yaml — do not edit by hand.
// A test (crd.test.ts) fails when the two differ; regenerate with \`node scripts/gen-crd-ts.js\`.

import type { CustomResourceDefinition } from './types';

/**
 * The InferenceService CustomResourceDefinition shipped by this suite (upstream-compatible, extended).
 * @public
 */
export const inferenceServiceCrd: CustomResourceDefinition = ${JSON.stringify(crd, null, 2)};
`,
);
console.log(`wrote ${path.relative(root, outPath)}`);
