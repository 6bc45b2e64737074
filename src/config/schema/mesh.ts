// The one localmesh-specific kind: what Kubernetes Deployments and Services would declare.
// A mesh directory holds exactly one `Mesh` document beside the Istio resources.
import { z } from 'zod';
import { Duration, Metadata, StringMap } from './common.ts';
import { OutboundTrafficPolicy } from './istio-operator.ts';

export const MESH_API_VERSION = 'localmesh.dev/v1alpha1';

export const PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const ServicePort = z.strictObject({
  port: z.number().int().min(1).max(65535),
  /** http (default), http2 or grpc (HTTP/2 to the app), tcp (opaque bytes). */
  protocol: z.enum(PROTOCOLS).default('http'),
  name: z.string().optional(),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const Healthcheck = z.strictObject({
  /** HTTP path probed on the app's first port; without it, the port is checked for a TCP connect. */
  path: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  interval: Duration.optional(),
  timeout: Duration.optional(),
  retries: z.number().int().min(1).optional(),
});

export const Build = z.union([
  z.string().min(1),
  z.strictObject({ context: z.string().min(1), dockerfile: z.string().optional(), args: StringMap.optional() }),
]);

/** What a watched change does: Compose's `develop.watch` actions, with the same words. */
export const WATCH_ACTIONS = ['restart', 'sync', 'rebuild', 'sync+restart'] as const;
export type WatchAction = (typeof WATCH_ACTIONS)[number];

/**
 * `mesh up --watch`: a change under `paths` restarts, syncs or rebuilds this version only, as a
 * rule of Compose's `develop.watch` does for a service.
 */
export const Watch = z.strictObject({
  /** Files or folders to watch, relative to the mesh directory. */
  paths: z.array(z.string().min(1)).min(1),
  /** Globs of paths to leave out (relative to the mesh directory or anywhere below: `**\/*.test.ts`). */
  ignore: z.array(z.string().min(1)).optional(),
  /** restart (default), sync (copy into the running container), rebuild (build the image, replace the container), sync+restart. */
  action: z.enum(WATCH_ACTIONS).default('restart'),
  /** Compose sync: the folder in the container that the first path is copied to. */
  target: z.string().min(1).optional(),
});
export type Watch = z.infer<typeof Watch>;

export const Version = z.strictObject({
  /** Container image (Compose runtime). */
  image: z.string().min(1).optional(),
  /** Build context passed through to Compose, relative to the mesh directory. */
  build: Build.optional(),
  /** Command line: the app's entry point in the process runtime, the container command in Compose. */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  replicas: z.number().int().min(1).max(50).default(1),
  healthcheck: Healthcheck.optional(),
  /** Pod labels; `version: <name>` is added unless given, so DestinationRule subsets select versions. */
  labels: StringMap.optional(),
  /** What a code change does with `mesh up --watch`. */
  watch: Watch.optional(),
});
export type Version = z.infer<typeof Version>;

export const Service = z.strictObject({
  ports: z.array(ServicePort).min(1),
  versions: z.record(z.string(), Version),
  /** Labels shared by every version (Kubernetes pod labels); `app: <service>` is added. */
  labels: StringMap.optional(),
  /** The service account its workloads run as, in their SPIFFE id (default: the service's name). */
  serviceAccount: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes name (lower case, digits, - and .)').optional(),
  /** The namespace the service is in (default: the Mesh document's `metadata.namespace`, else `default`). */
  namespace: z.string().optional(),
});
export type Service = z.infer<typeof Service>;

export const Settings = z.strictObject({
  /**
   * The user's own Compose files (relative to the mesh directory), merged after the generated
   * stack; by default compose.yaml (or compose.yml, docker-compose.yaml, docker-compose.yml) there.
   */
  compose: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The mesh CA's workload certificates (mTLS): `lifetime` as a duration, default 24h as Istio's. */
  certificates: z.strictObject({ lifetime: Duration.optional() }).optional(),
  images: z
    .strictObject({
      envoy: z.string().min(1).optional(),
      node: z.string().min(1).optional(),
      init: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * Istio's meshConfig.outboundTrafficPolicy: ALLOW_ANY (default) lets a call to a host the mesh
   * does not know go where the app sent it; REGISTRY_ONLY answers it with 502 (TCP: closed).
   */
  outboundTrafficPolicy: OutboundTrafficPolicy.optional(),
  /** Envoy's tracing: the percentage of requests traced (`sampling`, 0–100, default 100: a laptop's load). */
  tracing: z.strictObject({ sampling: z.number().min(0).max(100).optional() }).optional(),
  gateway: z
    .strictObject({
      /** Host address the gateway ports are published on. */
      address: z.string().default('127.0.0.1'),
      /** Host port for each Gateway server port, e.g. `{ "80": 8080 }`; by default the same number. */
      ports: z.record(z.string().regex(/^\d+$/), z.number().int().min(1).max(65535)).optional(),
    })
    .optional(),
});
export type Settings = z.infer<typeof Settings>;

export const MeshSpec = z.strictObject({
  settings: Settings.optional(),
  services: z.record(z.string(), Service),
});

export const Mesh = z.strictObject({
  apiVersion: z.literal(MESH_API_VERSION),
  kind: z.literal('Mesh'),
  metadata: Metadata,
  spec: MeshSpec,
});
export type Mesh = z.infer<typeof Mesh>;
