// The Kubernetes kinds localmesh reads workloads from: a `Service` (v1) and the `Deployment`s and
// `StatefulSet`s (apps/v1) its selector matches. Objects whose fields localmesh uses are strict
// (a typo such as `contianerPort` is an error that names the field, as `kubectl apply` reports
// it), with every other field of the Kubernetes API accepted and ignored; the objects around them
// (metadata, the pod spec, status as `kubectl get -o yaml` writes it) take any field.
import { z } from 'zod';
import { Metadata, StringMap } from './common.ts';

export const KUBE_CORE_API_VERSION = 'v1';
export const KUBE_APPS_API_VERSION = 'apps/v1';

/** A field of the Kubernetes API localmesh accepts and does not read. */
const ignored = z.unknown().optional();

const IntOrString = z.union([z.number().int(), z.string().min(1)]);

export const KubeServicePort = z.strictObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  /** The container port the Service sends to: a number, or the name of a container port. */
  targetPort: IntOrString.optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  appProtocol: z.string().optional(),
  nodePort: ignored,
});
export type KubeServicePort = z.infer<typeof KubeServicePort>;

export const KubeService = z.looseObject({
  apiVersion: z.literal(KUBE_CORE_API_VERSION),
  kind: z.literal('Service'),
  metadata: Metadata,
  spec: z.looseObject({
    selector: StringMap.optional(),
    ports: z.array(KubeServicePort).optional(),
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
    externalName: z.string().optional(),
  }),
});
export type KubeService = z.infer<typeof KubeService>;

const HTTPGetAction = z.strictObject({
  path: z.string().optional(),
  port: IntOrString,
  host: ignored,
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: ignored,
});

export const Probe = z.strictObject({
  httpGet: HTTPGetAction.optional(),
  tcpSocket: z.strictObject({ port: IntOrString, host: ignored }).optional(),
  exec: ignored,
  grpc: ignored,
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: ignored,
  terminationGracePeriodSeconds: ignored,
});
export type Probe = z.infer<typeof Probe>;

const EnvVar = z.strictObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z.record(z.string(), z.unknown()).optional(),
});

const ContainerPort = z.strictObject({
  containerPort: z.number().int().min(1).max(65535),
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  hostPort: ignored,
  hostIP: ignored,
});

export const Container = z.strictObject({
  name: z.string().min(1),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVar).optional(),
  envFrom: z.array(z.unknown()).optional(),
  ports: z.array(ContainerPort).optional(),
  readinessProbe: Probe.optional(),
  workingDir: ignored,
  resources: ignored,
  resizePolicy: ignored,
  restartPolicy: ignored,
  restartPolicyRules: ignored,
  volumeMounts: ignored,
  volumeDevices: ignored,
  livenessProbe: ignored,
  startupProbe: ignored,
  lifecycle: ignored,
  terminationMessagePath: ignored,
  terminationMessagePolicy: ignored,
  imagePullPolicy: ignored,
  securityContext: ignored,
  stdin: ignored,
  stdinOnce: ignored,
  tty: ignored,
});
export type Container = z.infer<typeof Container>;

const PodTemplate = z.looseObject({
  metadata: z.looseObject({ labels: StringMap.optional() }).optional(),
  spec: z.looseObject({
    containers: z.array(Container).min(1),
    /** The pod's identity: its SPIFFE id names this service account (config/identity.ts). */
    serviceAccountName: z.string().min(1).optional(),
    initContainers: z.array(z.looseObject({ name: z.string() })).optional(),
    volumes: z.array(z.looseObject({ name: z.string() })).optional(),
  }),
});

const WorkloadSpec = z.looseObject({
  replicas: z.number().int().min(0).optional(),
  selector: z.looseObject({ matchLabels: StringMap.optional() }),
  template: PodTemplate,
});

export const Deployment = z.looseObject({
  apiVersion: z.literal(KUBE_APPS_API_VERSION),
  kind: z.literal('Deployment'),
  metadata: Metadata,
  spec: WorkloadSpec,
});

export const StatefulSet = z.looseObject({
  apiVersion: z.literal(KUBE_APPS_API_VERSION),
  kind: z.literal('StatefulSet'),
  metadata: Metadata,
  spec: WorkloadSpec,
});

/** A Deployment or a StatefulSet: what localmesh reads of either is the same. */
export type Workload = z.infer<typeof Deployment> | z.infer<typeof StatefulSet>;
