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

import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  Content,
  ErrorPanel,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import { configApiRef, IdentityApi, useApi } from '@backstage/core-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';

/**
 * The development sign-in identities (auth.providers.<provider> in app-config.yaml, users in examples/entities/org.yaml).
 * `team` sums up the team project of fusioninfer.projects in app-config.yaml: where its services may run and its GPU
 * quota in the dev cluster.
 */
export const DEMO_IDENTITIES = [
  {
    provider: 'guest',
    title: 'Guest',
    user: 'user:default/guest',
    team: 'Team llm-apps · deploys to dev: llm-apps, default, demo · 96 GPUs',
    description:
      'Owns qwen-inference, qwen-multi-node and deepseek-r1-gang, so it may scale and delete them; a change above 8 GPUs waits for an approver, and nothing is applied outside its namespaces or over its quota.',
  },
  {
    provider: 'approver',
    title: 'Approver',
    user: 'user:default/approver',
    team: 'Team ml-platform · approves requests · dev: ml-platform, ml-*, demo · 128 GPUs',
    description:
      'Owns the platform services (its own changes above 16 GPUs need approval) and approves or rejects the requests of others on the Approvals page.',
  },
] as const;

/** localStorage key remembering the chosen identity across reloads (cleared on sign-out). */
export const SIGN_IN_STORAGE_KEY = 'fusioninfer.demoSignIn.provider';

function rememberedProvider(): string | undefined {
  try {
    const value = window.localStorage.getItem(SIGN_IN_STORAGE_KEY);
    return DEMO_IDENTITIES.some(i => i.provider === value)
      ? (value as string)
      : undefined;
  } catch {
    return undefined;
  }
}

function forget() {
  try {
    window.localStorage.removeItem(SIGN_IN_STORAGE_KEY);
  } catch {
    // storage unavailable: nothing remembered
  }
}

/** Signing out forgets the identity, so the next visit offers the choice again. */
function forgettingOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      forget();
      await identity.signOut();
    },
  };
}

/**
 * Sign-in page of the development app: choose one of the demo identities, each a proxy provider of the dev
 * backend (the guest provider and packages/backend/src/demoIdentities.ts).
 */
export function DemoSignInPage(props: SignInPageProps) {
  const configApi = useApi(configApiRef);
  const [provider, setProvider] = useState(rememberedProvider);
  const title = configApi.getOptionalString('app.title') ?? 'Backstage';

  if (provider) {
    return (
      <ProxiedSignInPage
        provider={provider}
        onSignInSuccess={identity =>
          props.onSignInSuccess(forgettingOnSignOut(identity))
        }
        ErrorComponent={({ error }) => (
          <Page themeId="home">
            <Header title={title} subtitle="Development sign-in" />
            <Content>
              <ErrorPanel
                title={`Could not sign in with the ${provider} provider`}
                error={error ?? new Error('unknown error')}
              >
                Is the backend running with NODE_ENV=development and is
                auth.providers.{provider} set in app-config.yaml?
              </ErrorPanel>
              <Button
                color="primary"
                variant="outlined"
                style={{ marginTop: 16 }}
                onClick={() => {
                  forget();
                  setProvider(undefined);
                }}
              >
                Choose another identity
              </Button>
            </Content>
          </Page>
        )}
      />
    );
  }

  return (
    <Page themeId="home">
      <Header title={title} subtitle="Development sign-in: pick an identity" />
      <Content>
        <Grid container spacing={2} component="ul" style={{ padding: 0 }}>
          {DEMO_IDENTITIES.map(identity => (
            <Grid
              item
              key={identity.provider}
              component="li"
              xs={12}
              sm={6}
              md={4}
              style={{ listStyle: 'none' }}
            >
              <InfoCard
                title={identity.title}
                subheader={identity.user}
                variant="fullHeight"
                actions={
                  <Button
                    color="primary"
                    variant="outlined"
                    onClick={() => {
                      try {
                        window.localStorage.setItem(
                          SIGN_IN_STORAGE_KEY,
                          identity.provider,
                        );
                      } catch {
                        // not remembered across reloads
                      }
                      setProvider(identity.provider);
                    }}
                  >
                    Sign in as {identity.title}
                  </Button>
                }
              >
                <Typography variant="subtitle2" component="p" gutterBottom>
                  {identity.team}
                </Typography>
                <Typography variant="body1">{identity.description}</Typography>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
}
