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

import { constants, promises as fs } from 'fs';
import { Readable } from 'stream';

const CHUNK = 64 * 1024;

const fail = (code: string, message: string) =>
  Object.assign(new Error(message), { code });

/**
 * Reads a regular file, at most `max + 1` bytes (one more than accepted, so that "too large" can be told apart).
 * Opens without blocking (a FIFO with no writer would otherwise hang the open), then refuses anything that is not a
 * regular file — directories (`EISDIR`), devices such as `/dev/zero`, FIFOs and sockets (`ESPECIAL`) — before
 * reading a byte. Symbolic links are followed, so a link to `/dev/zero` is refused too (review L7).
 */
export async function readFileCapped(
  path: string,
  max: number,
): Promise<Buffer> {
  const handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw fail('EISDIR', `${path} is a directory`);
    if (!st.isFile()) {
      let kind = 'special file';
      if (st.isFIFO()) kind = 'FIFO (named pipe)';
      else if (st.isCharacterDevice()) kind = 'character device';
      else if (st.isBlockDevice()) kind = 'block device';
      else if (st.isSocket()) kind = 'socket';
      throw fail('ESPECIAL', `is a ${kind}, not a regular file`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= max) {
      const buf = Buffer.alloc(Math.min(CHUNK, max + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Reads a stream (standard input) up to `max + 1` bytes and stops there. */
export async function readStreamCapped(
  stream: Readable,
  max: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    const take = b.subarray(0, max + 1 - total);
    chunks.push(take);
    total += take.length;
    if (total > max) break; // enough to report "too large" without reading everything
  }
  if (total > max && typeof stream.destroy === 'function') stream.destroy();
  return Buffer.concat(chunks, total);
}
