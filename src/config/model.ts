// The validated mesh: what `validate` returns and `compile` consumes. Istio resources keep
// their spec exactly as written (typed by the schemas); references are resolved here once.
import type { ServicePort, Settings, Version } from './schema/mesh.ts';
import type { DestinationRuleSpec, Gateway, VirtualServiceSpec } from './schema/istio.ts';
import type { CanarySpec } from './schema/canary.ts';
import type { PeerAuthenticationSpec } from './schema/security.ts';
import { gatewayProxies } from './gateway-proxies.ts';
import type { Resolution, ServiceEntryPort, ServiceEntrySpec } from './schema/service-entry.ts';
import type { AuthorizationPolicySpec, RequestAuthenticationSpec } from './schema/authorization.ts';
import { GATEWAY_PROXY } from './names.ts';

export const CLUSTER_DOMAIN = 'svc.cluster.local';
export const DEFAULT_NAMESPACE = 'default';

/** Where a resource or field was written, for diagnostics and for editing the file in place. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

export interface VersionModel {
  name: string;
  /** Envoy node id and the base of container names: `SERVICE-VERSION`. */
  proxy: string;
  /** Labels after defaults: `app: SERVICE`, `version: VERSION`, then the user's. */
  labels: Record<string, string>;
  replicas: number;
  spec: Version;
  /**
   * `spec.command` replaces the image's entrypoint, not only its default arguments: a Kubernetes
   * container's `command` (its `args` alone keep the entrypoint, as a Mesh version's command does).
   */
  replacesEntrypoint?: true;
  /** The pod template's `serviceAccountName` (Kubernetes manifests); else the service's name (identity.ts). */
  serviceAccount?: string;
}

/** A service port; `targetPort` where the app listens when that is another port (a Kubernetes Service's). */
export interface ServicePortModel extends ServicePort {
  targetPort?: number;
}

export interface ServiceModel {
  name: string;
  namespace: string;
  /** `NAME.NAMESPACE.svc.cluster.local`, the host used in cluster names. */
  fqdn: string;
  ports: ServicePortModel[];
  /** Sorted by name. */
  versions: VersionModel[];
  source: SourceRef;
}

interface IstioResource<Spec> {
  name: string;
  namespace: string;
  source: SourceRef;
  spec: Spec;
}

export interface VirtualServiceModel extends IstioResource<VirtualServiceSpec> {
  /** The mesh services named in `hosts` (fqdn), in order; external hosts (gateway-only) are not here. */
  services: string[];
  /** `gateways` resolved: 'mesh' for the sidecars, else the `NAMESPACE/NAME` key of a Gateway. */
  gateways: string[];
  /**
   * Translated from a Gateway API HTTPRoute (gateway-api/routes.ts): `spec.http[i]` comes from its
   * `spec.rules[rules[i]]` (a rule with several matches is one route per match, sorted as the
   * Gateway API orders them) and `route[j]` from that rule's `backendRefs[j]`; paths match with
   * the Gateway API's semantics (a PathPrefix matches whole path segments), as Istio applies them.
   */
  from?: { kind: 'HTTPRoute'; rules: number[] };
}

export interface DestinationRuleModel extends IstioResource<DestinationRuleSpec> {
  /** fqdn of the service this rule is for. */
  service: string;
}

export interface GatewayModel extends IstioResource<Gateway['spec']> {
  /** `NAMESPACE/NAME`, how VirtualServices refer to it after resolution. */
  key: string;
}

/**
 * A Kubernetes Service that selects some of the workloads of another one (`reviews-v1`, selector
 * `{app: reviews, version: v1}`, beside `reviews`): Istio's way to name a version as a backend of
 * a Gateway API route. Its workloads run once, as versions of the other service; a route to it
 * goes to the subset of that service named after it, with its selector as the subset's labels.
 */
export interface VersionServiceModel {
  name: string;
  namespace: string;
  fqdn: string;
  /** The fqdn of the service whose versions it selects. */
  service: string;
  /** Its selector: the labels of the versions it selects. */
  labels: Record<string, string>;
  ports: ServicePortModel[];
  source: SourceRef;
}

/** A PeerAuthentication: in the root namespace without a selector it is mesh-wide (config/mtls.ts). */
export type PeerAuthenticationModel = IstioResource<PeerAuthenticationSpec>;

/** An AuthorizationPolicy: in the root namespace without a selector it applies mesh-wide (config/authorization.ts). */
export interface AuthorizationPolicyModel extends IstioResource<AuthorizationPolicySpec> {
  /** Annotated `istio.io/dry-run: "true"`: evaluated and counted, never enforced. */
  dryRun?: true;
}

/** A RequestAuthentication: which JWTs the selected workloads validate (compile/jwt.ts). */
export type RequestAuthenticationModel = IstioResource<RequestAuthenticationSpec>;

/** A Canary document: the plan of `mesh canary DIR NAME`; it changes no traffic, so compile never reads it. */
export interface CanaryModel extends IstioResource<CanarySpec> {
  /** fqdn of the service whose traffic it moves. */
  service: string;
}

/** Where a ServiceEntry host's instances are: an endpoint of its own or a WorkloadEntry it selects. */
export interface ServiceEntryEndpoint {
  /** An IP address (STATIC) or a DNS name (DNS, DNS_ROUND_ROBIN). */
  address: string;
  /** ServiceEntry port name → the port this endpoint listens on (else the port's targetPort, else its number). */
  ports: Record<string, number>;
  labels: Record<string, string>;
  weight?: number;
}

/**
 * A ServiceEntry: hosts the mesh knows that no workload of it serves (or that run beside it).
 * Its hosts are taken as written, as Istio takes them; VirtualServices and DestinationRules may
 * name them as they name services.
 */
export interface ServiceEntryModel extends IstioResource<ServiceEntrySpec> {
  /** The hosts this entry declares; a host declared by an earlier entry or a mesh service is left out. */
  hosts: string[];
  ports: ServiceEntryPort[];
  /** Istio's default: NONE. */
  resolution: Resolution;
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  /** `spec.endpoints`, or the WorkloadEntries its `workloadSelector` selects (in its namespace). */
  endpoints: ServiceEntryEndpoint[];
}

export interface MeshModel {
  name: string;
  namespace: string;
  settings: Settings;
  /** Sorted by fqdn. */
  services: ServiceModel[];
  /** In file order (file name, then position), which is also Istio's precedence for merges. */
  virtualServices: VirtualServiceModel[];
  destinationRules: DestinationRuleModel[];
  gateways: GatewayModel[];
  /** Services that name versions of another (Gateway API backends); none when absent. */
  versionServices?: VersionServiceModel[];
  /** PeerAuthentications, in file order; none (absent) keeps every sidecar in plain text. */
  peerAuthentications?: PeerAuthenticationModel[];
  /** AuthorizationPolicies, in file order; none (absent) allows every call. */
  authorizationPolicies?: AuthorizationPolicyModel[];
  /** RequestAuthentications, in file order; none (absent) validates no JWT. */
  requestAuthentications?: RequestAuthenticationModel[];
  /** The Canary documents, by file order (absent in models built by hand). */
  canaries?: CanaryModel[];
  /** ServiceEntries, in file order; none (absent) when the files have none. */
  serviceEntries?: ServiceEntryModel[];
  /**
   * The mesh directory as given (resolved by the loader's caller): files a resource names, such
   * as a DestinationRule's `tls.caCertificates`, are read relative to it.
   */
  dir?: string;
}

export function fqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.${CLUSTER_DOMAIN}`;
}

/**
 * Resolve a host as Istio does (pilot/pkg/model ResolveShortnameToFQDN): a single-label name is
 * relative to the namespace of the resource that names it; any other host is taken as written.
 */
export function resolveHost(
  services: readonly ServiceModel[],
  host: string,
  namespace: string,
): ServiceModel | undefined {
  let byFqdn = SERVICE_INDEX.get(services);
  if (!byFqdn) SERVICE_INDEX.set(services, (byFqdn = new Map(services.map((s) => [s.fqdn, s]))));
  return byFqdn.get(hostFqdn(host, namespace));
}

/** Services by fqdn for each services list (lists are not changed once built). */
const SERVICE_INDEX = new WeakMap<readonly ServiceModel[], Map<string, ServiceModel>>();

/**
 * The fully qualified name a host stands for: `NAME.NAMESPACE.svc.cluster.local` for a single
 * label; a host with a dot (`httpbin.org`, `reviews.default`), `*` and an IP address as written.
 */
export function hostFqdn(host: string, namespace: string): string {
  if (host === '*' || host.includes('.') || host.includes(':')) return host;
  return fqdn(host, namespace);
}

/** The ServiceEntry declaring a host (as written, or as the host a short name stands for), and that host. */
export function findServiceEntry(
  entries: readonly ServiceEntryModel[] | undefined,
  host: string,
  namespace: string,
): { entry: ServiceEntryModel; host: string } | undefined {
  const full = hostFqdn(host, namespace);
  for (const entry of entries ?? []) {
    const found = entry.hosts.find((h) => h === host || h === full);
    if (found) return { entry, host: found };
  }
  return undefined;
}

export function findService(model: MeshModel, fqdnName: string): ServiceModel | undefined {
  return model.services.find((s) => s.fqdn === fqdnName);
}

/** The ids of every proxy in the mesh: one sidecar per service version, and the gateway proxies. */
export function proxyIds(model: MeshModel): string[] {
  return [...model.services.flatMap((s) => s.versions.map((v) => v.proxy)), ...gatewayProxies(model.gateways).map((g) => g.proxy)];
}

/** A gateway server port published on the host. */
export interface GatewayHostPort {
  proxy: string;
  serverPort: number;
  hostPort: number;
  /** The protocol of the first server on the port, which decides how the port is served. */
  protocol: string;
}

/** A published gateway port in a sentence (`the gateway's port 80`), and how to move it when its host port is taken. */
export function gatewayPortText({ proxy, serverPort }: GatewayHostPort): { whose: string; remedy: string } {
  return proxy === GATEWAY_PROXY
    ? { whose: `the gateway's port ${serverPort}`, remedy: `publish the gateway elsewhere with settings.gateway.ports: { "${serverPort}": OTHER } in the Mesh` }
    : { whose: `${proxy}'s port ${serverPort}`, remedy: `give that server of its Gateway another port number (${proxy} publishes each port on its own number)` };
}

/** How a user reaches a published gateway port: `https://` for HTTPS, `tls://` for TLS, else `http://`. */
export function gatewayUrl(host: string, { protocol, hostPort }: GatewayHostPort): string {
  const scheme = protocol === 'HTTPS' ? 'https' : protocol === 'TLS' ? 'tls' : 'http';
  return `${scheme}://${host}:${hostPort}/`;
}

/**
 * The gateway ports published on the host: the ingress gateway's (`settings.gateway.ports`, else
 * the same number), then each other gateway proxy's on its own number where no gateway publishes
 * that number already (else unpublished: reached inside the mesh only). Egress gateways publish none.
 */
export function gatewayHostPorts(model: MeshModel): GatewayHostPort[] {
  const published = model.settings.gateway?.ports ?? {};
  const out: GatewayHostPort[] = [];
  const taken = new Set<number>();
  const byKey = new Map(model.gateways.map((g) => [g.key, g]));
  for (const { proxy, gateways, published: onHost } of gatewayProxies(model.gateways)) {
    if (!onHost) continue;
    const ports = new Map<number, string>();
    for (const key of gateways) {
      for (const server of byKey.get(key)!.spec.servers) if (!ports.has(server.port.number)) ports.set(server.port.number, server.port.protocol);
    }
    for (const [serverPort, protocol] of ports) {
      const hostPort = proxy === GATEWAY_PROXY ? (published[String(serverPort)] ?? serverPort) : serverPort;
      if (proxy !== GATEWAY_PROXY && taken.has(hostPort)) continue;
      taken.add(hostPort);
      out.push({ proxy, serverPort, hostPort, protocol });
    }
  }
  return out;
}
