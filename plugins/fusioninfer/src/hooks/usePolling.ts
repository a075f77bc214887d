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

import {
  DependencyList,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';

export interface PollingState<T> {
  /** The last value received; kept while a refresh runs and when a refresh fails. */
  value?: T;
  /** The error of the last call, if it failed. */
  error?: Error;
  /** True until the first answer (value or error) after the inputs changed. */
  loading: boolean;
  /** True while a call is in flight (also background refreshes). */
  refreshing: boolean;
  /** When the last value arrived (ms since epoch). */
  updatedAt?: number;
  /** Calls now (skipped if a call is in flight). */
  refresh(): Promise<void>;
}

/**
 * Loads `fn()` now and then every `intervalMs` (0 or undefined: once), without blanking what is shown: a background
 * refresh keeps the previous value, and a failed refresh keeps it too (with `error` set). Refreshes pause while the
 * page is hidden. Changing `deps` starts over.
 */
export function usePolling<T>(
  fn: () => Promise<T>,
  deps: DependencyList,
  intervalMs?: number,
): PollingState<T> {
  const [state, setState] = useState<Omit<PollingState<T>, 'refresh'>>({
    loading: true,
    refreshing: false,
  });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const generation = useRef(0);
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const refresh = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    const gen = generation.current;
    setState(s => ({ ...s, refreshing: true }));
    try {
      const value = await fnRef.current();
      if (mounted.current && gen === generation.current)
        setState({
          value,
          error: undefined,
          loading: false,
          refreshing: false,
          updatedAt: Date.now(),
        });
    } catch (e) {
      if (mounted.current && gen === generation.current)
        setState(s => ({
          ...s,
          error: e as Error,
          loading: false,
          refreshing: false,
        }));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    generation.current++;
    inFlight.current = false;
    setState({ loading: true, refreshing: false });
    refresh();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    if (!intervalMs) return undefined;
    const id = setInterval(() => {
      if (typeof document !== 'undefined' && document.hidden) return;
      refresh();
    }, intervalMs);
    return () => clearInterval(id);
  }, [intervalMs, refresh]);

  return { ...state, refresh };
}
