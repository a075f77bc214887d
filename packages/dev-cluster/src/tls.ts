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

/*
 * Serving certificates like kind's: a generated certificate authority (ECDSA P-256, 10 years) signs the API server's
 * certificate (localhost, 127.0.0.1, ::1 and the listen host), and the CA goes into the kubeconfig, so kubectl
 * verifies the server and sends its bearer token (it sends tokens only over https). Kept in a directory so
 * kubeconfigs written earlier stay valid across restarts.
 */

import { webcrypto, X509Certificate } from 'crypto';
import fs from 'fs';
import { isIP } from 'net';
import path from 'path';
import * as x509 from '@peculiar/x509';

/** PEM texts of the CA and the serving certificate with its key. */
export interface DevCertificates {
  ca: string;
  cert: string;
  key: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

async function generate(hosts: string[]): Promise<DevCertificates> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const now = new Date(Date.now() - 60_000);
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=fusioninfer-dev-ca',
    notBefore: now,
    notAfter: new Date(now.getTime() + 3650 * DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map(h => ({
          type: (isIP(h) ? 'ip' : 'dns') as x509.GeneralNameType,
          value: h,
        })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    ca: ca.toString('pem'),
    cert: cert.toString('pem'),
    key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

/** Whether saved certificates can serve these hosts for at least another day. */
function usable(c: DevCertificates, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(c.cert);
    const ca = new X509Certificate(c.ca);
    if (!cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) < Date.now() + DAY) return false;
    return hosts.every(h =>
      isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined,
    );
  } catch {
    return false;
  }
}

/**
 * The serving certificates for these hosts: read from `dir` (ca.crt, apiserver.crt, apiserver.key) when present and
 * valid, otherwise generated (and saved there when a directory is given).
 */
export async function devCertificates(
  hosts: string[],
  dir?: string,
): Promise<DevCertificates> {
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts])].filter(
    h => h && h !== '0.0.0.0' && h !== '::',
  );
  const files = dir
    ? {
        ca: path.join(dir, 'ca.crt'),
        cert: path.join(dir, 'apiserver.crt'),
        key: path.join(dir, 'apiserver.key'),
      }
    : undefined;
  if (files && Object.values(files).every(f => fs.existsSync(f))) {
    const saved = {
      ca: fs.readFileSync(files.ca, 'utf8'),
      cert: fs.readFileSync(files.cert, 'utf8'),
      key: fs.readFileSync(files.key, 'utf8'),
    };
    if (usable(saved, all)) return saved;
  }
  const fresh = await generate(all);
  if (files && dir) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(files.ca, fresh.ca);
    fs.writeFileSync(files.cert, fresh.cert);
    fs.writeFileSync(files.key, fresh.key, { mode: 0o600 });
  }
  return fresh;
}
