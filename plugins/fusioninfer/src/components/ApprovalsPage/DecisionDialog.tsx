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

/* Deciding a request: the comment and the buttons, the confirmation dialog, and the state they share. */

import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import { ApprovalRequest } from '@fusioninfer/plugin-fusioninfer-common';
import { errorInfo } from '../common';
import { plural } from '../../lib/plural';

export type DecisionKind = 'approve' | 'reject' | 'cancel' | 'retry';

const CONFIRM_TEXT = {
  approve: { title: 'Approve and apply?', text: '', button: 'Approve' },
  reject: {
    title: 'Reject this request?',
    text: 'Nothing is applied; the requester is notified.',
    button: 'Reject',
  },
  cancel: {
    title: 'Cancel your request?',
    text: 'The request is withdrawn; nothing is applied.',
    button: 'Cancel request',
  },
  retry: {
    title: 'Run the approved change again?',
    text: "The backend applies the stored manifest once more, checking the requester's rights and the policy again.",
    button: 'Run again',
  },
} as const;

/** What deciding needs: the comment typed, the decision being confirmed, whether it runs, and its error. */
export interface Decision {
  comment: string;
  setComment(comment: string): void;
  confirm: DecisionKind | undefined;
  setConfirm(kind: DecisionKind | undefined): void;
  busy: boolean;
  error: string | undefined;
  /** Sends the confirmed decision; on success closes the dialog, clears the comment, then calls `after`. */
  run(): Promise<void>;
}

/**
 * The state of a decision. `send` makes the request (the comment trimmed, '' when none); `after` runs once it
 * succeeded and the dialog closed (reload the request, tell the page).
 */
export function useDecision(
  send: (kind: DecisionKind, comment: string) => Promise<void>,
  after: () => Promise<void>,
): Decision {
  const [comment, setComment] = useState('');
  const [confirm, setConfirm] = useState<DecisionKind>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    if (!confirm) return;
    setBusy(true);
    setError(undefined);
    try {
      await send(confirm, comment.trim());
      setConfirm(undefined);
      setComment('');
      await after();
    } catch (e) {
      setError(errorInfo(e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { comment, setComment, confirm, setConfirm, busy, error, run };
}

/** The comment field (or why the viewer cannot decide) and the Approve, Reject and Cancel buttons of a pending request. */
export function DecisionControls(props: {
  a: ApprovalRequest;
  decision: Decision;
  /** The viewer made the request. */
  own: boolean;
  /** The permission policy lets the viewer decide (fusioninfer.approval.decide). */
  allowed: boolean | undefined;
  /** The permission is still being checked. */
  checking: boolean;
  /** Why the viewer cannot decide, if they cannot. */
  decideBlocked: string | undefined;
  /** The id of the text that says why Approve is disabled or refused. */
  approveDescribedBy: string | undefined;
}) {
  const { a, own, decideBlocked, approveDescribedBy } = props;
  const { comment, setComment, setConfirm } = props.decision;
  return (
    <Box sx={{ mt: 2, display: 'flex', flexDirection: 'column', gap: 1 }}>
      {decideBlocked ? (
        <Alert severity="info" id={`decide-why-${a.id}`}>
          {decideBlocked}
        </Alert>
      ) : (
        <TextField
          label="Comment (optional)"
          value={comment}
          onChange={e => setComment(e.target.value)}
          multiline
          minRows={2}
          inputProps={{ maxLength: 2000 }}
        />
      )}
      <Box sx={{ display: 'flex', gap: 1 }}>
        {(own || props.allowed) && (
          <>
            <Button
              variant="contained"
              color="success"
              disabled={!!decideBlocked || props.checking}
              aria-describedby={approveDescribedBy}
              onClick={() => setConfirm('approve')}
            >
              Approve
            </Button>
            <Button
              variant="outlined"
              color="error"
              disabled={!!decideBlocked || props.checking}
              aria-describedby={
                decideBlocked ? `decide-why-${a.id}` : undefined
              }
              onClick={() => setConfirm('reject')}
            >
              Reject
            </Button>
          </>
        )}
        {own && (
          <Button variant="text" onClick={() => setConfirm('cancel')}>
            Cancel my request
          </Button>
        )}
      </Box>
    </Box>
  );
}

/** Confirms a decision: what it does (or that the policy refuses it), the comment, and the error if it failed. */
export function DecisionDialog(props: {
  a: ApprovalRequest;
  decision: Decision;
  /** The policy refuses the change. */
  refused: boolean;
}) {
  const { a, refused } = props;
  const { comment, confirm, setConfirm, busy, error, run } = props.decision;
  const dialogText = confirm ? CONFIRM_TEXT[confirm] : undefined;
  return (
    <Dialog open={!!confirm} onClose={() => setConfirm(undefined)}>
      <DialogTitle>{dialogText?.title}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {confirm === 'approve' && refused
            ? `The policy refuses this change (${a.policy!.denials.map(d => d.message).join('; ')}): the backend will not apply it, and the execution will fail.`
            : ''}
          {confirm === 'approve' && !refused
            ? `The backend applies exactly this manifest to ${a.cluster}/${a.namespace}: ${a.summary ? `${plural(a.summary.gpus, 'GPU')}, ${plural(a.summary.pods, 'pod')}` : '? GPUs, ? pods'}.`
            : ''}
          {confirm !== 'approve' ? dialogText?.text : ''}
          {comment.trim() && confirm !== 'cancel'
            ? ` Comment: “${comment.trim()}”.`
            : ''}
        </DialogContentText>
        {error && (
          <Alert severity="error" sx={{ mt: 1 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => setConfirm(undefined)}>Back</Button>
        <Button variant="contained" disabled={busy} onClick={run}>
          {dialogText?.button}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
