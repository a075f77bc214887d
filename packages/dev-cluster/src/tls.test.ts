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

import { X509Certificate } from 'crypto';
import fs from 'fs';
import https from 'https';
import os from 'os';
import path from 'path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startDevCluster } from './cluster';

const get = (url: string, ca?: string) =>
  new Promise<number>((resolve, reject) => {
    https
      .get(url, { ca, headers: { Authorization: 'Bearer dev-token' } }, res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });

describe('HTTPS like kind', () => {
  it('serves TLS signed by a generated CA that the kubeconfig trusts, and keeps the CA across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-tls-'));
    const dev = await startDevCluster({ simulate: false, tls: { dir } });
    let firstCa: string;
    try {
      expect(dev.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const text = dev.kubeconfig();
      expect(text).toContain('certificate-authority-data: ');
      expect(text).not.toContain('insecure-skip-tls-verify');
      const kc = new KubeConfig();
      kc.loadFromString(text);
      expect(kc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
      const names = (
        await kc.makeApiClient(CoreV1Api).listNamespace()
      ).items.map(n => n.metadata?.name);
      expect(names).toContain('default');
      // an untrusting client is refused; the CA from the kubeconfig verifies the server
      await expect(get(`${dev.url}/version`)).rejects.toThrow(
        /self[- ]signed|unable to verify|local issuer/,
      );
      expect(await get(`${dev.url}/version`, dev.ca)).toBe(200);
      const cert = new X509Certificate(
        fs.readFileSync(path.join(dir, 'apiserver.crt')),
      );
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.verify(new X509Certificate(dev.ca!).publicKey)).toBe(true);
      expect(fs.statSync(path.join(dir, 'apiserver.key')).mode & 0o077).toBe(0);
      firstCa = dev.ca!;
    } finally {
      await dev.close();
    }
    const again = await startDevCluster({ simulate: false, tls: { dir } });
    try {
      expect(again.ca).toBe(firstCa);
    } finally {
      await again.close();
    }
  });

  it('keeps plain http for in-process use unless asked', async () => {
    const dev = await startDevCluster({ simulate: false });
    try {
      expect(dev.url).toMatch(/^http:\/\//);
      expect(dev.ca).toBeUndefined();
    } finally {
      await dev.close();
    }
  });
});
