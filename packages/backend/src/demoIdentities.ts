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
 * Extra guest-like sign-in identities for development, demos and the browser tests. The guest provider of Backstage
 * 1.55 signs in exactly one user (`auth.providers.guest.userEntityRef`); the approvals flow needs a second person, so
 * this module registers one more proxy provider per configured id (`approver` by default) that works the same way:
 * development only (NODE_ENV=development, or `dangerouslyAllowOutsideDevelopment: true`), signs in as the catalog
 * user `userEntityRef` (ownership from its groups) and, when the catalog does not know the user, issues a token
 * with `ownershipEntityRefs` instead.
 */

import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { NotAllowedError, InputError } from '@backstage/errors';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
  SignInResolver,
} from '@backstage/plugin-auth-node';

/** Provider ids this module registers; each one is active only when `auth.providers.<id>` is configured. */
export const DEMO_IDENTITY_PROVIDERS = ['approver'] as const;

const isAllowed = (config: Config | undefined) =>
  process.env.NODE_ENV === 'development' ||
  config?.getOptionalBoolean('dangerouslyAllowOutsideDevelopment') === true;

/** Reads and checks `auth.providers.<id>`: `userEntityRef` must be a user entity ref. */
export function readDemoIdentity(providerId: string, config: Config) {
  const path = `auth.providers.${providerId}`;
  const raw =
    config.getOptionalString('userEntityRef') ?? `user:default/${providerId}`;
  let userEntityRef: string;
  try {
    const ref = parseEntityRef(raw, { defaultKind: 'user' });
    if (ref.kind.toLocaleLowerCase('en-US') !== 'user') {
      throw new Error(`kind is ${ref.kind}`);
    }
    userEntityRef = stringifyEntityRef(ref);
  } catch (e) {
    throw new InputError(
      `${path}.userEntityRef must be a user entity reference such as user:default/${providerId}, got '${raw}' (${e})`,
    );
  }
  const ownershipEntityRefs = config.getOptionalStringArray(
    'ownershipEntityRefs',
  ) ?? [userEntityRef];
  return { userEntityRef, ownershipEntityRefs };
}

/** The sign-in resolver: the catalog user when it exists, otherwise a token with the configured claims. */
export function signInAsDemoUser(
  providerId: string,
  config: Config,
): SignInResolver<{}> {
  return async (_info, ctx) => {
    if (!isAllowed(config)) {
      throw new NotAllowedError(
        `The ${providerId} sign-in is for development only; set auth.providers.${providerId}.dangerouslyAllowOutsideDevelopment to use it elsewhere`,
      );
    }
    const { userEntityRef, ownershipEntityRefs } = readDemoIdentity(
      providerId,
      config,
    );
    try {
      return await ctx.signInWithCatalogUser({ entityRef: userEntityRef });
    } catch {
      return ctx.issueToken({
        claims: { sub: userEntityRef, ent: ownershipEntityRefs },
      });
    }
  };
}

const demoAuthenticator = createProxyAuthenticator<boolean, {}, unknown>({
  defaultProfileTransform: async () => ({ profile: {} }),
  initialize: ({ config }) => isAllowed(config),
  async authenticate(_, allowed) {
    if (!allowed) {
      throw new NotAllowedError(
        'This demo sign-in is for development only (NODE_ENV=development or dangerouslyAllowOutsideDevelopment)',
      );
    }
    return { result: {} };
  },
});

/** `auth` module: the demo identity providers (see the file comment). */
export const authModuleDemoIdentities = createBackendModule({
  pluginId: 'auth',
  moduleId: 'fusioninfer-demo-identities',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ providers, config }) {
        for (const providerId of DEMO_IDENTITY_PROVIDERS) {
          const providerConfig = config.getOptionalConfig(
            `auth.providers.${providerId}`,
          );
          if (!providerConfig) continue;
          // Fail at start-up, naming the field, rather than at the first sign-in.
          readDemoIdentity(providerId, providerConfig);
          providers.registerProvider({
            providerId,
            factory: createProxyAuthProviderFactory({
              authenticator: demoAuthenticator,
              signInResolver: signInAsDemoUser(providerId, providerConfig),
            }),
          });
        }
      },
    });
  },
});
