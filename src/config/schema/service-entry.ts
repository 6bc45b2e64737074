// Istio's ServiceEntry and WorkloadEntry (networking.istio.io v1, v1beta1, v1alpha3), as users
// write them: hosts outside (or beside) the mesh, their ports, how their endpoints are found.
// Meaning is checked in config/service-entries.ts; the types come from these schemas.
import { z } from 'zod';
import { Metadata, StringMap } from './common.ts';
import { ISTIO_API_VERSIONS } from './istio.ts';

/** Istio's protocol names (protocol.Parse), read ignoring case as Istio does, kept as canonical. */
export const SERVICE_ENTRY_PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'REDIS', 'MYSQL', 'TCP', 'TLS', 'UDP'] as const;
export type ServiceEntryProtocol = (typeof SERVICE_ENTRY_PROTOCOLS)[number];

const Protocol = z.string().transform((p) => p.toUpperCase()).pipe(z.enum(SERVICE_ENTRY_PROTOCOLS));

export const ServiceEntryPort = z.strictObject({
  number: z.number().int().min(1).max(65535),
  /** Empty: Istio sniffs the protocol (here: TCP). */
  protocol: Protocol.optional(),
  /** Istio requires a DNS label here (ValidatePortName). */
  name: z.string(),
  targetPort: z.number().int().optional(),
});
export type ServiceEntryPort = z.infer<typeof ServiceEntryPort>;

/** A WorkloadEntry's spec; also the shape of a ServiceEntry's `endpoints`. */
export const WorkloadEntrySpec = z.strictObject({
  address: z.string().optional(),
  /** Port name (of the ServiceEntry) → the port the endpoint listens on. */
  ports: z.record(z.string(), z.number().int()).optional(),
  labels: StringMap.optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: z.number().int().min(0).max(4294967295).optional(),
  serviceAccount: z.string().optional(),
});
export type WorkloadEntrySpec = z.infer<typeof WorkloadEntrySpec>;

export const RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const ServiceEntrySpec = z.strictObject({
  hosts: z.array(z.string()).min(1),
  addresses: z.array(z.string()).optional(),
  ports: z.array(ServiceEntryPort).optional(),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
  /** Istio's default is NONE. */
  resolution: z.enum(RESOLUTIONS).optional(),
  endpoints: z.array(WorkloadEntrySpec).optional(),
  workloadSelector: z.strictObject({ labels: StringMap.optional() }).optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});
export type ServiceEntrySpec = z.infer<typeof ServiceEntrySpec>;

export const ServiceEntry = z.looseObject({
  apiVersion: z.enum(ISTIO_API_VERSIONS),
  kind: z.literal('ServiceEntry'),
  metadata: Metadata,
  spec: ServiceEntrySpec,
});
export type ServiceEntry = z.infer<typeof ServiceEntry>;

export const WorkloadEntry = z.looseObject({
  apiVersion: z.enum(ISTIO_API_VERSIONS),
  kind: z.literal('WorkloadEntry'),
  metadata: Metadata,
  spec: WorkloadEntrySpec,
});
export type WorkloadEntry = z.infer<typeof WorkloadEntry>;
