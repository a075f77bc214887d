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

import { createApp } from '@backstage/frontend-defaults';
import authPlugin from '@backstage/plugin-auth';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import signalsPlugin from '@backstage/plugin-signals/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import appModuleUserSettings from '@backstage/plugin-app-module-user-settings';
import fusioninferPlugin from '@fusioninfer/plugin-fusioninfer/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

/**
 * Every feature of the development app, listed explicitly (no package discovery) so that the app the browser
 * gets and the app App.test.tsx renders are the same. The user-settings storage waits for pushes on the signals
 * channel: without the signals plugin every page after sign-in fails ("No API factory available for dependency
 * apiRef{plugin.signal.service}").
 */
export const appFeatures = [
  authPlugin,
  catalogPlugin,
  scaffolderPlugin,
  orgPlugin,
  userSettingsPlugin,
  appModuleUserSettings,
  notificationsPlugin,
  signalsPlugin,
  fusioninferPlugin,
  navModule,
  signInModule,
];

export default createApp({ features: appFeatures });
