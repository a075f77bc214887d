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

// GENERATED from crds/fusioninfer.io_inferenceservices.yaml — do not edit by hand.
// A test (crd.test.ts) fails when the two differ; regenerate with `node scripts/gen-crd-ts.js`.

import type { CustomResourceDefinition } from './types';

/**
 * The InferenceService CustomResourceDefinition shipped by this suite (upstream-compatible, extended).
 * @public
 */
export const inferenceServiceCrd: CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    annotations: {
      'fusioninfer.io/source':
        'upstream fusioninfer 0df046e CRD (controller-gen v0.18.0), extended by fusioninfer-backstage',
    },
    name: 'inferenceservices.fusioninfer.io',
    labels: {
      'app.kubernetes.io/part-of': 'fusioninfer',
    },
  },
  spec: {
    group: 'fusioninfer.io',
    names: {
      kind: 'InferenceService',
      listKind: 'InferenceServiceList',
      plural: 'inferenceservices',
      singular: 'inferenceservice',
      categories: ['fusioninfer'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        schema: {
          openAPIV3Schema: {
            description:
              'InferenceService is the Schema for the inferenceservices API',
            properties: {
              apiVersion: {
                description:
                  'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
                type: 'string',
              },
              kind: {
                description:
                  'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
                type: 'string',
              },
              metadata: {
                type: 'object',
              },
              spec: {
                description:
                  'spec defines the desired state of InferenceService',
                properties: {
                  roles: {
                    description:
                      'Roles defines the components of the inference service',
                    items: {
                      description:
                        'Role defines a component in the inference pipeline',
                      properties: {
                        componentType: {
                          description:
                            'ComponentType specifies the type of component',
                          enum: ['router', 'prefiller', 'decoder', 'worker'],
                          type: 'string',
                        },
                        endpointPickerConfig: {
                          description:
                            'EndpointPickerConfig is raw YAML for advanced EndpointPickerConfig customization',
                          type: 'string',
                          maxLength: 262144,
                        },
                        gateway: {
                          description:
                            'Gateway defines the Gateway spec for this router (Gateway API GatewaySpec)\nUse runtime.RawExtension to avoid CRD size limits from Gateway API CEL validations',
                          type: 'object',
                          'x-kubernetes-preserve-unknown-fields': true,
                        },
                        httproute: {
                          description:
                            'HTTPRoute defines the HTTPRoute spec for routing traffic (Gateway API HTTPRouteSpec)\nUse runtime.RawExtension to avoid CRD size limits from Gateway API CEL validations',
                          type: 'object',
                          'x-kubernetes-preserve-unknown-fields': true,
                        },
                        multinode: {
                          description:
                            'Multinode enables multi-node distributed inference',
                          properties: {
                            nodeCount: {
                              description:
                                'NodeCount is the number of distinct nodes to distribute this component across.',
                              format: 'int32',
                              minimum: 1,
                              maximum: 1000,
                              type: 'integer',
                            },
                          },
                          required: ['nodeCount'],
                          type: 'object',
                        },
                        name: {
                          description: 'Name is the identifier for this role',
                          type: 'string',
                          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
                          maxLength: 63,
                        },
                        replicas: {
                          description:
                            'Replicas defines the number of replicas for this component',
                          format: 'int32',
                          type: 'integer',
                          minimum: 0,
                          maximum: 10000,
                        },
                        strategy: {
                          description:
                            'Strategy defines the routing strategy for the router component',
                          enum: [
                            'prefix-cache',
                            'kv-cache-utilization',
                            'queue-size',
                            'lora-affinity',
                            'pd-disaggregation',
                          ],
                          type: 'string',
                        },
                        template: {
                          description:
                            'Template defines the pod spec for this component (corev1.PodTemplateSpec)\nUse runtime.RawExtension to avoid CRD size limits',
                          type: 'object',
                          'x-kubernetes-preserve-unknown-fields': true,
                        },
                      },
                      required: ['componentType', 'name'],
                      type: 'object',
                    },
                    minItems: 1,
                    type: 'array',
                    maxItems: 32,
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    'x-kubernetes-validations': [
                      {
                        rule: "self.filter(r, r.componentType == 'router').size() <= 1",
                        message:
                          'at most one role may have componentType router',
                      },
                      {
                        rule: "!self.exists(r, r.componentType == 'router') || self.exists(r, r.componentType != 'router')",
                        message:
                          'a router needs at least one worker, prefiller or decoder role to route to',
                      },
                      {
                        rule: "!self.exists(r, has(r.strategy) && r.strategy == 'pd-disaggregation' && r.componentType == 'router') || (self.exists(r, r.componentType == 'prefiller') && self.exists(r, r.componentType == 'decoder'))",
                        message:
                          'strategy pd-disaggregation needs a prefiller role and a decoder role',
                      },
                    ],
                  },
                  schedulingStrategy: {
                    description:
                      'SchedulingStrategy applies cluster-wide scheduling policies (e.g., Volcano).',
                    properties: {
                      schedulerName: {
                        description:
                          'SchedulerName specifies the Kubernetes scheduler to use (e.g., "volcano").',
                        type: 'string',
                      },
                    },
                    type: 'object',
                  },
                },
                required: ['roles'],
                type: 'object',
              },
              status: {
                description:
                  'status defines the observed state of InferenceService',
                properties: {
                  components: {
                    additionalProperties: {
                      description:
                        'ComponentStatus captures the aggregated runtime state of a single inference component (role).\nFor example, with replicas=2 and multinode.nodeCount=4:\n  - DesiredReplicas: 2\n  - NodesPerReplica: 4\n  - TotalPods: 8 (2 * 4)\n  - ReadyReplicas: 0/1/2 (a replica is ready only when all its nodes are ready)\n  - ReadyPods: 0-8',
                      properties: {
                        desiredReplicas: {
                          description:
                            'DesiredReplicas is the number of replicas requested (from spec.roles[].replicas).',
                          format: 'int32',
                          type: 'integer',
                        },
                        lastUpdateTime: {
                          description:
                            "LastUpdateTime is the timestamp when this component's status was last updated.",
                          format: 'date-time',
                          type: 'string',
                        },
                        nodesPerReplica: {
                          description:
                            'NodesPerReplica is the number of nodes per replica (from spec.roles[].multinode.nodeCount).\nDefaults to 1 when multinode is not configured.',
                          format: 'int32',
                          type: 'integer',
                        },
                        phase: {
                          description:
                            'Phase indicates the high-level lifecycle stage of this component.\nPossible values: Pending, Deploying, Running, Failed, Unknown.',
                          enum: [
                            'Pending',
                            'Deploying',
                            'Running',
                            'Failed',
                            'Unknown',
                          ],
                          type: 'string',
                        },
                        readyPods: {
                          description:
                            'ReadyPods is the total number of ready pods across all replicas.',
                          format: 'int32',
                          type: 'integer',
                        },
                        readyReplicas: {
                          description:
                            'ReadyReplicas is the number of replicas that are fully ready.\nFor multi-node replicas, a replica is ready only when all its nodes are ready.',
                          format: 'int32',
                          type: 'integer',
                        },
                        totalPods: {
                          description:
                            'TotalPods is the total number of pods desired (= DesiredReplicas * NodesPerReplica).',
                          format: 'int32',
                          type: 'integer',
                        },
                      },
                      required: [
                        'desiredReplicas',
                        'nodesPerReplica',
                        'phase',
                        'readyPods',
                        'readyReplicas',
                        'totalPods',
                      ],
                      type: 'object',
                    },
                    description:
                      "Components summarizes the current state of each declared role/component.\nKey is the component's .spec.roles[].name.",
                    type: 'object',
                  },
                  conditions: {
                    description:
                      "Conditions represent the latest available observations of the service's state.",
                    items: {
                      description:
                        'Condition contains details for one aspect of the current state of this API Resource.',
                      properties: {
                        lastTransitionTime: {
                          description:
                            'lastTransitionTime is the last time the condition transitioned from one status to another.\nThis should be when the underlying condition changed.  If that is not known, then using the time when the API field changed is acceptable.',
                          format: 'date-time',
                          type: 'string',
                        },
                        message: {
                          description:
                            'message is a human readable message indicating details about the transition.\nThis may be an empty string.',
                          maxLength: 32768,
                          type: 'string',
                        },
                        observedGeneration: {
                          description:
                            'observedGeneration represents the .metadata.generation that the condition was set based upon.\nFor instance, if .metadata.generation is currently 12, but the .status.conditions[x].observedGeneration is 9, the condition is out of date\nwith respect to the current state of the instance.',
                          format: 'int64',
                          minimum: 0,
                          type: 'integer',
                        },
                        reason: {
                          description:
                            "reason contains a programmatic identifier indicating the reason for the condition's last transition.\nProducers of specific condition types may define expected values and meanings for this field,\nand whether the values are considered a guaranteed API.\nThe value should be a CamelCase string.\nThis field may not be empty.",
                          maxLength: 1024,
                          minLength: 1,
                          pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
                          type: 'string',
                        },
                        status: {
                          description:
                            'status of the condition, one of True, False, Unknown.',
                          enum: ['True', 'False', 'Unknown'],
                          type: 'string',
                        },
                        type: {
                          description:
                            'type of condition in CamelCase or in foo.example.com/CamelCase.',
                          maxLength: 316,
                          pattern:
                            '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
                          type: 'string',
                        },
                      },
                      required: [
                        'lastTransitionTime',
                        'message',
                        'reason',
                        'status',
                        'type',
                      ],
                      type: 'object',
                    },
                    type: 'array',
                    'x-kubernetes-list-map-keys': ['type'],
                    'x-kubernetes-list-type': 'map',
                  },
                  observedGeneration: {
                    description:
                      'ObservedGeneration is the most recent generation observed by the controller.',
                    format: 'int64',
                    type: 'integer',
                  },
                  replicas: {
                    type: 'integer',
                    format: 'int32',
                    description:
                      'Replicas wanted, summed over all worker, prefiller and decoder roles (FusionInfer for Backstage).',
                  },
                  readyReplicas: {
                    type: 'integer',
                    format: 'int32',
                    description:
                      'Replicas whose every pod is ready, summed over all worker, prefiller and decoder roles (FusionInfer for Backstage).',
                  },
                  phase: {
                    type: 'string',
                    enum: [
                      'Pending',
                      'Deploying',
                      'Running',
                      'Failed',
                      'Unknown',
                    ],
                    description:
                      'Overall phase: the least advanced phase of any component (FusionInfer for Backstage).',
                  },
                },
                type: 'object',
              },
            },
            required: ['spec'],
            type: 'object',
          },
        },
        served: true,
        storage: true,
        subresources: {
          status: {},
        },
        additionalPrinterColumns: [
          {
            name: 'Ready',
            type: 'integer',
            jsonPath: '.status.readyReplicas',
            description: 'Workload replicas whose every pod is ready',
          },
          {
            name: 'Desired',
            type: 'integer',
            jsonPath: '.status.replicas',
            description: 'Workload replicas wanted, summed over roles',
          },
          {
            name: 'Phase',
            type: 'string',
            jsonPath: '.status.phase',
            description: 'Pending, Deploying, Running or Failed',
          },
          {
            name: 'Active',
            type: 'string',
            jsonPath: '.status.conditions[?(@.type=="Active")].status',
            priority: 1,
          },
          {
            name: 'Age',
            type: 'date',
            jsonPath: '.metadata.creationTimestamp',
          },
        ],
      },
    ],
  },
};
