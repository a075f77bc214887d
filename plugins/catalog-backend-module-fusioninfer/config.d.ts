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

import { HumanDuration } from '@backstage/types';

export interface Config {
  fusioninfer?: {
    /** The catalog entity provider (`@fusioninfer/plugin-catalog-backend-module-fusioninfer`). */
    catalog?: {
      /** Default true (when the module is installed). */
      enabled?: boolean;
      /**
       * Watch the clusters' InferenceServices and update the entities within a second of a change (and as soon as
       * the first list arrives at start-up). Default true; false: only the scheduled refresh lists.
       */
      watch?: boolean;
      /** Seconds between full relists (a safety net while watching). Default 60. */
      refreshSeconds?: number;
      /** The same as a duration (`{ minutes: 2 }`, `2m`, `PT2M`); wins over `refreshSeconds`. */
      refresh?: HumanDuration | string;
      /** Owner of generated entities when a service names none (fusioninfer.io/owner or backstage.io/owner). Default "unknown". */
      defaultOwner?: string;
      /** spec.lifecycle of generated entities. Default "production". */
      lifecycle?: string;
      /** Also generate entities for services that name an entity with backstage.io/entity-ref. Default false. */
      includeLinked?: boolean;
    };
  };
}
