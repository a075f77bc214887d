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

import { Fragment, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { stringify } from 'yaml';
import type {
  ChildrenResponse,
  DiffResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../../lib/plural';

type Child = NonNullable<DiffResponse['diff']>['children'][number];

const STATE_COLOR: Record<
  Child['state'],
  'success' | 'warning' | 'error' | 'info'
> = {
  'in-sync': 'success',
  drifted: 'warning',
  missing: 'error',
  orphan: 'info',
};

const STATE_HELP: Record<Child['state'], string> = {
  'in-sync': 'live object matches the rendered one',
  drifted: 'live object differs from the rendered one',
  missing: 'rendered but not in the cluster',
  orphan: 'in the cluster, labelled for this service, but no longer rendered',
};

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Copies text; says whether it worked. */
export function CopyButton(props: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <Button
      size="small"
      variant="outlined"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.text);
          setState('copied');
        } catch {
          setState('failed');
        }
      }}
    >
      {{ copied: 'Copied', failed: 'Copy failed: select the text' }[
        state as 'copied' | 'failed'
      ] ?? props.label}
    </Button>
  );
}

/** Rendered children against live ones (in sync / drifted with field paths / missing / orphan) and the rendered YAML. */
export function DriftPanel(props: {
  diff?: DiffResponse;
  children?: ChildrenResponse;
}) {
  const { diff, children } = props;
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const [selected, setSelected] = useState('all');
  const docs = useMemo(
    () =>
      (children?.children ?? []).map(c => ({
        key: `${c.kind}/${c.metadata.name}`,
        yaml: stringify(c),
      })),
    [children],
  );
  const yamlText =
    selected === 'all'
      ? docs.map(d => d.yaml).join('---\n')
      : (docs.find(d => d.key === selected)?.yaml ?? '');
  const validation = diff?.validation ?? children?.validation;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      {validation && !validation.valid && (
        <Alert severity="error">
          The spec is invalid, so nothing is rendered:{' '}
          {validation.errors.map(e => `${e.path}: ${e.message}`).join('; ')}
        </Alert>
      )}
      {validation?.warnings.map((w, i) => (
        <Alert key={i} severity="warning">
          {w.path}: {w.message}
        </Alert>
      ))}
      {diff?.diff && (
        <Box>
          <Box
            sx={{
              display: 'flex',
              gap: 1,
              alignItems: 'center',
              mb: 1,
              flexWrap: 'wrap',
            }}
          >
            <Typography variant="subtitle2" component="h4">
              {diff.diff.inSync
                ? 'Every child is in sync'
                : 'The cluster differs from the rendered spec'}
            </Typography>
            {Object.entries(diff.diff.counts)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => (
                <Chip key={k} size="small" label={`${n} ${k}`} />
              ))}
          </Box>
          <Table size="small" aria-label="Children">
            <TableHead>
              <TableRow>
                <TableCell>Kind</TableCell>
                <TableCell>Name</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Changes</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {diff.diff.children.map(c => {
                const key = `${c.kind}/${c.name}`;
                const isOpen = open[key] ?? false;
                return (
                  <Fragment key={key}>
                    <TableRow>
                      <TableCell>{c.kind}</TableCell>
                      <TableCell>
                        <code>{c.name}</code>
                      </TableCell>
                      <TableCell>
                        <Chip
                          size="small"
                          color={STATE_COLOR[c.state]}
                          label={c.state}
                          title={STATE_HELP[c.state]}
                        />
                      </TableCell>
                      <TableCell>
                        {c.changes.length > 0 ? (
                          <Button
                            size="small"
                            aria-expanded={isOpen}
                            onClick={() =>
                              setOpen(o => ({ ...o, [key]: !isOpen }))
                            }
                          >
                            {isOpen ? 'Hide' : 'Show'}{' '}
                            {plural(c.changes.length, 'field')}
                          </Button>
                        ) : (
                          '—'
                        )}
                      </TableCell>
                    </TableRow>
                    {isOpen && (
                      <TableRow>
                        <TableCell colSpan={4}>
                          <Table size="small" aria-label={`Changes of ${key}`}>
                            <TableHead>
                              <TableRow>
                                <TableCell>Field</TableCell>
                                <TableCell>Rendered</TableCell>
                                <TableCell>Live</TableCell>
                              </TableRow>
                            </TableHead>
                            <TableBody>
                              {c.changes.map(ch => (
                                <TableRow key={ch.path}>
                                  <TableCell>
                                    <code>{ch.path}</code>
                                  </TableCell>
                                  <TableCell>
                                    <code>{show(ch.desired)}</code>
                                  </TableCell>
                                  <TableCell>
                                    <code>{show(ch.live)}</code>
                                  </TableCell>
                                </TableRow>
                              ))}
                            </TableBody>
                          </Table>
                        </TableCell>
                      </TableRow>
                    )}
                  </Fragment>
                );
              })}
            </TableBody>
          </Table>
        </Box>
      )}
      {children && docs.length > 0 && (
        <Box>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mb: 1 }}>
            <Typography variant="subtitle2" component="h4">
              Rendered YAML ({plural(docs.length, 'child', 'children')})
            </Typography>
            <TextField
              select
              size="small"
              label="Child"
              value={selected}
              onChange={e => setSelected(e.target.value)}
              sx={{ minWidth: 240 }}
            >
              <MenuItem value="all">All children</MenuItem>
              {docs.map(d => (
                <MenuItem key={d.key} value={d.key}>
                  {d.key}
                </MenuItem>
              ))}
            </TextField>
            <CopyButton text={yamlText} label="Copy YAML" />
          </Box>
          <Box
            component="pre"
            tabIndex={0}
            aria-label="Rendered YAML"
            sx={{
              maxHeight: 400,
              overflow: 'auto',
              p: 1,
              m: 0,
              bgcolor: 'action.hover',
              fontSize: 12,
            }}
          >
            {yamlText}
          </Box>
        </Box>
      )}
    </Box>
  );
}
