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
    reconciler?: {
      /** Turn the reconciler off (REST API only). Default true. */
      enabled?: boolean;
      /** Seconds between full resyncs (every service re-enqueued). Default 300. */
      resyncSeconds?: number;
      /** The same as a duration (`{ minutes: 5 }`, `5m`, `PT5M`); wins over `resyncSeconds`. */
      resync?: HumanDuration | string;
      /** Parallel reconciles per cluster. Default 4. */
      workers?: number;
      /**
       * Requests about children (applies, deletes, reads of names the informer cache does not hold) in flight at
       * once per cluster, over all workers; a service's children are written in parallel within it. Default 16.
       */
      requestConcurrency?: number;
      /**
       * Namespace of the leader-election Lease in each cluster: a namespace of its own, where no generated Role
       * grants anything (the EPP Roles of services may write Leases in their namespaces). Default "fusioninfer-system".
       */
      leaseNamespace?: string;
      /** Lease duration in seconds. Default 15. */
      leaseDurationSeconds?: number;
      /** The same as a duration; wins over `leaseDurationSeconds`. */
      leaseDuration?: HumanDuration | string;
    };
    /** EPP images and flags of generated routers. */
    epp?: {
      image?: string;
      pdImage?: string;
      /** Metric name for KV-cache utilisation; "none" keeps the upstream default flag-less behaviour. */
      kvCacheMetric?: string;
      /** Add --metrics-endpoint-auth=false so the EPP's /metrics can be scraped. Default false. */
      disableMetricsAuth?: boolean;
    };
    /** Routing metrics collection (scraped through the API server's pod proxy unless `prometheus` is set). */
    metrics?: {
      /** A request within this many seconds of the last collection gets the cached answer. Default 5. */
      minIntervalSeconds?: number;
      /** The same as a duration; wins over `minIntervalSeconds`. */
      minInterval?: HumanDuration | string;
      /** Background collection interval for services viewed in the last `watchMinutes`. Default 15; 0 turns it off. */
      pollIntervalSeconds?: number;
      /** The same as a duration (zero turns it off); wins over `pollIntervalSeconds`. */
      pollInterval?: HumanDuration | string;
      /** Minutes a viewed service keeps being collected in the background. Default 10. */
      watchMinutes?: number;
      /** The same as a duration; wins over `watchMinutes`. */
      watch?: HumanDuration | string;
      /** Points of history kept per service. Default 120. */
      historySize?: number;
    };
    /**
     * The role autoscaler (services with the `fusioninfer.io/autoscaling` annotation). It runs where this backend's
     * reconciler leads a cluster; `advisory` roles are only recommended, `acting` ones scaled through the one writer.
     */
    /**
     * The canary controller (services with the `fusioninfer.io/canary` annotation): steps their traffic weight and
     * checks their gates where this backend's reconciler leads a cluster.
     */
    canary?: {
      /** Default true; false: canaries start (weight 0) but never move on their own; Promote and Roll back still work. */
      enabled?: boolean;
      /** Between evaluations: one metrics window. Default: the metrics poll interval (15 s); at least 1 s. */
      interval?: HumanDuration | string;
    };
    autoscaler?: {
      /** Default true; false: nothing is decided (the Inference tab says so). */
      enabled?: boolean;
      /** Between decisions. Default 15 s; at least 1 s. */
      interval?: HumanDuration | string;
      /** After an approver rejected the autoscaler's approval request for a service, no new one for this long. Default 1 h. */
      rejectionBackoff?: HumanDuration | string;
    };
    /** When a deployment needs a second person's approval, who is told, and how long a request waits. */
    /**
     * Team projects, by name: what the services of an owning group may use. With any project configured, a service
     * whose owner has no project is refused. See the README's "Governance".
     */
    projects?: {
      [name: string]: {
        /** Groups (entity refs) whose services belong to this project. */
        owners: string[];
        /** Where its services may run: exact namespaces or prefixes ending in `*` (never kube-* through a pattern). */
        destinations?: Array<{ cluster: string; namespaces: string[] }>;
        /** Hard GPU quota per cluster name (GPU equivalents). */
        gpuQuota?: { [cluster: string]: number };
        /** The approval thresholds of this project's changes (replace the global ones they set). */
        approvals?: {
          always?: boolean;
          maxGpusWithoutApproval?: number;
          maxPodsWithoutApproval?: number;
          namespaces?: string[];
        };
        /** Pod security of the project's pods (default: fusioninfer.podSecurity). */
        podSecurity?: {
          level?: 'privileged' | 'baseline-gpu' | 'restricted-gpu';
          allowedCapabilities?: string[];
          serviceAccounts?: string[];
          allowedHostPaths?: string[];
          allowedVolumeTypes?: string[];
        };
        /** DRA resourceClaims are held for approval unless true. */
        allowResourceClaims?: boolean;
        /**
         * Monthly GPU budget of the project's services (showback): the team card warns at 80 % and 100 % spent and
         * when the projection passes it; owners are notified once per month at 80 % and at 100 %.
         */
        budget?: {
          /** Per calendar month (UTC). */
          monthly: number;
          /** Must be `fusioninfer.showback.currency`. */
          currency: string;
        };
      };
    };
    /**
     * Showback: GPU cost per service and team. Without prices (and without OpenCost) nothing is recorded and the
     * showback routes answer 503. See the README's "Showback".
     */
    showback?: {
      /** ISO 4217 code of every price, budget and figure. */
      currency: string;
      /** Price of one unit of an accelerator resource per hour, per GPU product (node label) or for any product. */
      prices?: Array<{
        /** e.g. nvidia.com/gpu or nvidia.com/mig-3g.40gb. */
        resource: string;
        /** The node's GPU product (productLabel), e.g. NVIDIA-H100-80GB-HBM3; absent: any product. */
        product?: string;
        perHour: number;
      }>;
      /** Per unit-hour of any accelerator no line prices (absent: such accelerators cost nothing). */
      defaultPricePerHour?: number;
      /** Weight of a generation token against a prompt token when cost is split between them. Default 2.5. */
      generationTokenWeight?: number;
      /** Between two usage samples of every service. Default 60 s; at least 10 s and fusioninfer.metrics.minInterval. */
      interval?: HumanDuration | string;
      /** How long hourly usage is kept. Default 45 days; at least 45 days. */
      retention?: HumanDuration | string;
      /** Node label naming the GPU product. Default nvidia.com/gpu.product. */
      productLabel?: string;
      recorder?: {
        /** Default true; false: this instance samples nothing. */
        enabled?: boolean;
      };
      /** OpenCost's allocation API as the source of costs (the plugin's samples still give tokens and idle share). */
      opencost?: {
        /** e.g. http://opencost.opencost:9003 */
        url: string;
        /** Bearer token, when a proxy in front of OpenCost asks for one. @visibility secret */
        token?: string;
        /** Default 10 s. */
        timeout?: HumanDuration | string;
        /** Clusters OpenCost reports on (default: all). */
        clusters?: string[];
      };
    };
    /** The default pod-security profile (level baseline-gpu unless set). */
    podSecurity?: {
      level?: 'privileged' | 'baseline-gpu' | 'restricted-gpu';
      allowedCapabilities?: string[];
      serviceAccounts?: string[];
      allowedHostPaths?: string[];
      allowedVolumeTypes?: string[];
    };
    /** Namespaces only an exact entry opens, besides kube-* (default [fusioninfer-system]). */
    protectedNamespaces?: string[];
    /** Resource names (or `prefix/*` patterns) counted as accelerators (default: the built-in list). */
    acceleratorResources?: string[];
    /** Pre-flight of deployments (will vLLM start, KV cache, will the gang fit). */
    preflight?: {
      /**
       * Models added to the shipped catalog (an entry with a shipped id replaces it): the Hugging Face id, other names
       * services use for it, the total parameter count (or the checkpoint's bytes), a source URL, and the fields of its
       * config.json (num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads, head_dim, vocab_size,
       * max_position_embeddings, intermediate_size, torch_dtype, MoE and MLA fields, quantization_config).
       */
      models?: Array<{
        id: string;
        aliases?: string[];
        parameters?: number;
        weightsBytes?: number;
        source?: string;
        config: { [key: string]: any };
      }>;
      /** Fetch the config.json (and safetensors index) of models the catalog lacks. Off unless configured. */
      huggingFace?: {
        /** Default true once the block is present. */
        enabled?: boolean;
        /** Default https://huggingface.co (a mirror or an internal proxy works the same). */
        baseUrl?: string;
        /**
         * Token for gated models.
         * @visibility secret
         */
        token?: string;
        /** Per request. Default 5 seconds. */
        timeout?: HumanDuration | string;
        timeoutSeconds?: number;
        /** How long a fetched config is kept (not-found answers a tenth of it). Default 24 hours. */
        cacheTtl?: HumanDuration | string;
        cacheTtlHours?: number;
      };
    };
    approvals?: {
      /** Every deployment needs approval. Default false. */
      always?: boolean;
      /** A service asking for more GPUs than this needs approval. */
      maxGpusWithoutApproval?: number;
      /** A service with more pods than this needs approval. */
      maxPodsWithoutApproval?: number;
      /** Namespaces where every deployment needs approval. */
      namespaces?: string[];
      /** Clusters where every deployment needs approval. */
      clusters?: string[];
      /** Entity refs (users or groups) notified of new requests. */
      approvers?: string[];
      /** Let requesters decide their own requests. Default false (four eyes). */
      allowSelfApproval?: boolean;
      /** Pending requests expire after this many hours. Default 168 (7 days). */
      ttlHours?: number;
      /** The same as a duration (`{ days: 7 }`, `7d`, `P7D`); wins over `ttlHours`. */
      ttl?: HumanDuration | string;
    };
    /** Read routing metrics from Prometheus instead of scraping pods. */
    prometheus?: {
      /** Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090 */
      url: string;
      /**
       * Bearer token sent to Prometheus.
       * @visibility secret
       */
      bearerToken?: string;
      /**
       * Extra request headers (e.g. a tenant header).
       * @visibility secret
       */
      headers?: { [name: string]: string };
      /** Range of rate()/increase(). Default "5m". */
      rateWindow?: string;
      /** History window in minutes. Default 30. */
      historyMinutes?: number;
      /** History resolution in seconds. Default 30. */
      historyStepSeconds?: number;
    };
  };
}
