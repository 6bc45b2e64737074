// The Kubernetes kinds a mesh directory may hold beside the Istio ones, by what localmesh does
// with them: workloads it reads (a Service and the Deployments or StatefulSets it selects), kinds
// it reads and reports in one warning per file because they do not change who talks to whom on a
// laptop, and kinds that would, which stay errors until localmesh implements them.
import { Deployment, KUBE_APPS_API_VERSION, KUBE_CORE_API_VERSION, KubeService, StatefulSet } from '../schema/kubernetes.ts';

export const KUBE_KINDS = {
  Service: { apiVersions: [KUBE_CORE_API_VERSION], schema: KubeService },
  Deployment: { apiVersions: [KUBE_APPS_API_VERSION], schema: Deployment },
  StatefulSet: { apiVersions: [KUBE_APPS_API_VERSION], schema: StatefulSet },
} as const;

/**
 * Identity, configuration, access control of the Kubernetes API, scaling and scheduling: none of
 * it changes where a request goes or whether it is allowed (env values taken from a ConfigMap or
 * Secret are reported where they are used).
 */
const NOT_TRAFFIC_KINDS: ReadonlySet<string> = new Set([
  'ServiceAccount',
  'ConfigMap',
  'Secret',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'ReferenceGrant',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'VerticalPodAutoscaler',
  'LimitRange',
  'ResourceQuota',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'GatewayClass',
  'CustomResourceDefinition',
]);

/**
 * Kinds a controller makes from another resource (a Deployment's ReplicaSets and their Pods, a
 * Service's EndpointSlices), as `kubectl get all -o yaml` lists them beside what made them.
 */
const MADE_BY_CONTROLLERS: ReadonlySet<string> = new Set(['Pod', 'ReplicaSet', 'Job', 'EndpointSlice']);

/** Whether a document is read and only reported: a kind that does not change traffic, or one a controller made. */
export function changesNoTraffic(kind: string, doc: { metadata?: unknown }): boolean {
  if (NOT_TRAFFIC_KINDS.has(kind)) return true;
  const owners = (doc.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  return MADE_BY_CONTROLLERS.has(kind) && Array.isArray(owners) && owners.length > 0;
}

/**
 * Kubernetes kinds that run workloads or decide who may reach them: ignoring one would make the
 * mesh behave unlike the cluster, so each is an error naming the kind.
 */
export const UNSUPPORTED_KUBE_KINDS: ReadonlySet<string> = new Set([
  'Pod',
  'ReplicaSet',
  'ReplicationController',
  'DaemonSet',
  'Job',
  'CronJob',
  'Endpoints',
  'EndpointSlice',
  'Ingress',
  'NetworkPolicy',
]);
