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

import { useCallback, useState } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView } from '../common';
import { ServiceView } from './ServiceView';

/** How often the tab refreshes (matches the backend's metrics collection, `fusioninfer.metrics.pollIntervalSeconds`). */
export const REFRESH_MS = 15_000;
/** How often while an action converges. */
export const FAST_REFRESH_MS = 2_000;

/**
 * The Inference tab: every FusionInfer service of the entity (its `fusioninfer.io/service` annotation, and services
 * whose `backstage.io/entity-ref` names it), refreshed in the background.
 * @public
 */
export function InferenceContent() {
  const { entity } = useEntity();
  const api = useApi(fusioninferApiRef);
  const entityRef = stringifyEntityRef(entity);
  const [converging, setConverging] = useState<Record<string, boolean>>({});
  const fast = Object.values(converging).some(Boolean);
  const state = usePolling(
    () => api.getEntityServices(getCompoundEntityRef(entity)),
    [entityRef],
    fast ? FAST_REFRESH_MS : REFRESH_MS,
  );
  const onConverging = useCallback(
    (key: string) => (active: boolean) =>
      setConverging(c => (c[key] === active ? c : { ...c, [key]: active })),
    [],
  );
  const [handlers] = useState(() => new Map<string, (a: boolean) => void>());
  const handlerFor = (key: string) => {
    let h = handlers.get(key);
    if (!h) {
      h = onConverging(key);
      handlers.set(key, h);
    }
    return h;
  };

  if (state.loading && !state.value) return <Progress />;
  if (!state.value && state.error)
    return (
      <ErrorView
        error={state.error}
        action="read the FusionInfer services of this entity"
      />
    );
  const value = state.value!;
  return (
    <Box>
      {state.error && (
        <Box sx={{ mb: 1 }}>
          <ErrorView
            error={state.error}
            action="refresh (showing the last answer)"
          />
        </Box>
      )}
      {value.errors.map((e, i) => (
        <Alert key={i} severity="warning" sx={{ mb: 1 }}>
          {e.cluster ? `Cluster ${e.cluster}: ` : ''}
          {e.message}
        </Alert>
      ))}
      {value.items.length === 0 && (
        <EmptyState
          missing="data"
          title="No InferenceService for this entity"
          description="Annotate the entity with fusioninfer.io/service: <cluster>/<namespace>/<name>, or set backstage.io/entity-ref on the InferenceService to this entity's reference."
        />
      )}
      {value.items.map(item => {
        const key = `${item.cluster}/${item.namespace}/${item.name}`;
        if (!item.found)
          return (
            <Alert key={key} severity="warning" sx={{ mb: 2 }}>
              <AlertTitle>{key}</AlertTitle>
              {item.error
                ? `Could not read this service: ${item.error}`
                : 'This service does not exist (deleted, or the annotation names a service that was never created).'}
            </Alert>
          );
        return (
          <ServiceView
            key={key}
            detail={item.service}
            entityRef={entityRef}
            onConverging={handlerFor(key)}
          />
        );
      })}
    </Box>
  );
}
