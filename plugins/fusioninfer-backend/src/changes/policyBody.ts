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

import { ApprovalPolicyVerdict } from '@fusioninfer/plugin-fusioninfer-common';
import { ChangeReview } from './ServiceWriter';

/** The policy part of a review as the REST API and approval requests carry it. */
export function policyBody(review: ChangeReview): ApprovalPolicyVerdict {
  const v = review.verdict;
  return {
    allowed: v.allowed,
    denials: v.denials,
    ...(v.project ? { project: v.project } : {}),
    ...(v.owner ? { owner: v.owner } : {}),
    ...(v.quota ? { quota: v.quota } : {}),
    podSecurity: v.podSecurity,
    ...(v.summary.resourceClaims
      ? { resourceClaims: v.summary.resourceClaims }
      : {}),
    ...(review.previousEntityRef
      ? { previousEntityRef: review.previousEntityRef }
      : {}),
  };
}
