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
 * The `fusioninfer` command line: validate and render InferenceService manifests.
 *
 * @packageDocumentation
 */

import { MAX_INPUT_BYTES, runCli } from './cli';
import { readFileCapped, readStreamCapped } from './read';

export {
  runCli,
  parseManifests,
  parseManifestDocuments,
  USAGE,
  MAX_INPUT_BYTES,
} from './cli';
export type { CliIo, InputAmbiguity } from './cli';
export { readFileCapped, readStreamCapped } from './read';

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw Object.assign(
      new Error(
        'standard input is a terminal; pass -f FILE or pipe a manifest',
      ),
      { code: 'ETTY' },
    );
  }
  return readStreamCapped(process.stdin, MAX_INPUT_BYTES);
}

/** Entry point of the bin script. */
export async function main(
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  // `fusioninfer render … | head`: once the reader has gone, stop quietly (as a program killed by SIGPIPE would)
  // instead of dying with an unhandled EPIPE stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  // eslint-disable-next-line @backstage/no-relative-monorepo-imports
  const version: string = require('../package.json').version;
  const code = await runCli(
    argv,
    {
      readFile: p => readFileCapped(p, MAX_INPUT_BYTES),
      readStdin,
      stdout: t => process.stdout.write(t),
      stderr: t => process.stderr.write(t),
    },
    version,
  );
  process.exitCode = code;
}
