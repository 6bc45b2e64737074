// ServiceEntries and WorkloadEntries: each checked as Istio validates it (ValidateServiceEntry,
// ValidateWorkloadEntry: hosts, ports, resolution and endpoints together), then built into the
// model: the hosts the mesh knows beyond its services, with the endpoints that serve them.
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { isDnsLabel, isIpAddress, wildcardDomainProblem } from './dns.ts';
import { checkExportTo } from './export-to.ts';
import type { ParsedResource } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import { DEFAULT_NAMESPACE, type MeshModel, type ServiceEntryEndpoint, type ServiceEntryModel, type ServiceModel } from './model.ts';
import type { TrafficPolicy } from './schema/istio.ts';
import { keyAt, valueAt, type Path } from './position.ts';
import { formatRef, type Report } from './report.ts';
import type { Located } from './resources.ts';
import type { ServiceEntryProtocol, ServiceEntrySpec, WorkloadEntrySpec } from './schema/service-entry.ts';

/** How a sidecar carries a ServiceEntry port's traffic: HTTP routes, TLS bytes (by SNI), or opaque TCP. */
export type PortKind = 'http' | 'tls' | 'tcp' | 'udp';

export function portKind(protocol: ServiceEntryProtocol | undefined): PortKind {
  switch (protocol) {
    case 'HTTP':
    case 'HTTP2':
    case 'GRPC':
    case 'GRPC-WEB':
      return 'http';
    case 'HTTPS':
    case 'TLS':
      return 'tls';
    case 'UDP':
      return 'udp';
    default:
      return 'tcp';
  }
}

/** Why `host` is not a fully qualified DNS name without wildcards (Istio's ValidateFQDN), or undefined. */
function fqdnProblem(host: string): string | undefined {
  if (host.includes('*')) return `'${host}' has a wildcard`;
  return wildcardDomainProblem(host);
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Istio's label rules: a qualified name as key (optional DNS prefix), a value of at most 63 characters. */
function labelProblem(key: string, value: string): string | undefined {
  const name = key.includes('/') ? key.slice(key.lastIndexOf('/') + 1) : key;
  if (name === '') return `label key '${key}' is empty`;
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(name)) return `label key '${key}' is not a valid label name`;
  if (value !== '' && !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value)) return `label value '${value}' of ${key} is not a valid label value`;
  return undefined;
}

interface EndpointRules {
  /** The ServiceEntry's port names, when the endpoint belongs to one. */
  portNames?: ReadonlySet<string>;
  /** Whether a DNS name is allowed as the address (DNS resolution, a WorkloadEntry on its own). */
  dnsAddress: boolean;
}

/** An endpoint (a ServiceEntry's, or a WorkloadEntry's spec) as Istio's validateWorkloadEntry checks it. */
function checkEndpoint(source: SourceDocument, path: Path, endpoint: WorkloadEntrySpec, rules: EndpointRules, report: Report): void {
  const address = endpoint.address ?? '';
  if (address === '') {
    if (!endpoint.network) report('error', keyAt(source, path), 'an endpoint needs an address', 'give it address: IP (or a DNS name with resolution DNS)');
    else report('warning', keyAt(source, path), `the endpoint has no address, only network ${endpoint.network}; localmesh has one network, so it gets no traffic`);
  } else if (address.startsWith('unix://')) {
    report('error', valueAt(source, [...path, 'address']), `unix domain socket endpoints (${address}) are not supported by localmesh`, 'give an IP address or a DNS name');
  } else if (!isIpAddress(address)) {
    if (!rules.dnsAddress) {
      report('error', valueAt(source, [...path, 'address']), `endpoint address '${address}' is not a valid IP address`, 'resolution STATIC takes IP addresses; for a DNS name use resolution: DNS');
    } else if (fqdnProblem(address)) {
      report('error', valueAt(source, [...path, 'address']), `endpoint address '${address}' is not a valid FQDN or an IP address`);
    }
  }
  for (const [name, port] of Object.entries(endpoint.ports ?? {})) {
    const at = valueAt(source, [...path, 'ports', name]);
    if (rules.portNames && !rules.portNames.has(name)) {
      report('error', keyAt(source, [...path, 'ports', name]), `endpoint port ${name} is not defined by the service entry`,
        `its ports: ${[...rules.portNames].join(', ') || '(none)'}; endpoint ports are keyed by the ServiceEntry's port names`);
    } else if (!isDnsLabel(name)) report('error', keyAt(source, [...path, 'ports', name]), `invalid port name: ${name}`);
    if (!isPort(port)) report('error', at, `endpoint port ${port} is not a port number (1-65535)`);
  }
  for (const [key, value] of Object.entries(endpoint.labels ?? {})) {
    const problem = labelProblem(key, value);
    if (problem) report('error', keyAt(source, [...path, 'labels', key]), problem);
  }
}

function checkPorts(source: SourceDocument, spec: ServiceEntrySpec, report: Report): void {
  const names = new Map<string, number>();
  const numbers = new Map<number, number>();
  spec.ports?.forEach((port, i) => {
    const path = ['spec', 'ports', i];
    const sameName = names.get(port.name);
    if (sameName !== undefined) {
      report('error', valueAt(source, [...path, 'name']), `service entry port name "${port.name}" already defined`, `at ${formatRef(valueAt(source, ['spec', 'ports', sameName, 'name']))}`);
    } else names.set(port.name, i);
    const sameNumber = numbers.get(port.number);
    if (sameNumber !== undefined) {
      report('error', valueAt(source, [...path, 'number']), `service entry port ${port.number} already defined`, `at ${formatRef(valueAt(source, ['spec', 'ports', sameNumber, 'number']))}`);
    } else numbers.set(port.number, i);
    if (!isDnsLabel(port.name)) report('error', valueAt(source, [...path, 'name']), `invalid port name: '${port.name}'`, 'a DNS label: lowercase letters, digits and -, e.g. http');
    if (port.targetPort !== undefined && port.targetPort !== 0 && !isPort(port.targetPort)) {
      report('error', valueAt(source, [...path, 'targetPort']), `targetPort ${port.targetPort} is not a port number (1-65535)`);
    }
  });
}

function checkHosts(source: SourceDocument, spec: ServiceEntrySpec, report: Report): void {
  spec.hosts.forEach((host, i) => {
    const at = valueAt(source, ['spec', 'hosts', i]);
    if (host === '*') report('error', at, "host '*' is not allowed in a ServiceEntry", 'name the hosts, or a wildcard domain such as *.example.com');
    else {
      const problem = wildcardDomainProblem(host);
      if (problem) report('error', at, problem);
    }
  });
  spec.addresses?.forEach((address, i) => {
    const [ip, bits, extra] = address.split('/');
    const family = isIP(ip ?? '');
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      report('error', valueAt(source, ['spec', 'addresses', i]), `address '${address}' is not an IP address or a CIDR range`);
    }
  });
}

/** Istio's rules on resolution, endpoints and hosts together. */
function checkResolution(source: SourceDocument, spec: ServiceEntrySpec, report: Report): void {
  const resolution = spec.resolution ?? 'NONE';
  const at = spec.resolution ? valueAt(source, ['spec', 'resolution']) : keyAt(source, ['spec']);
  const portNames = new Set((spec.ports ?? []).map((p) => p.name));
  const endpoints = spec.endpoints ?? [];
  if (spec.workloadSelector && spec.endpoints) {
    report('error', keyAt(source, ['spec', 'workloadSelector']), 'only one of workloadSelector or endpoints is allowed in a ServiceEntry');
  }
  if (spec.addresses?.some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC') {
    report('error', at, 'CIDR addresses are allowed only for NONE/STATIC resolution types');
  }
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0) report('error', keyAt(source, ['spec', 'endpoints']), 'no endpoints should be provided for resolution type NONE', 'use resolution: STATIC (IP addresses) or DNS (names)');
      break;
    case 'STATIC':
      endpoints.forEach((e, i) => checkEndpoint(source, ['spec', 'endpoints', i], e, { portNames, dnsAddress: false }, report));
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0 && !spec.workloadSelector) {
        const i = spec.hosts.findIndex((h) => fqdnProblem(h) !== undefined);
        if (i >= 0) {
          report('error', valueAt(source, ['spec', 'hosts', i]),
            `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}: ${fqdnProblem(spec.hosts[i]!)}`,
            'give the entry endpoints to resolve, or use resolution: NONE for a wildcard host');
        }
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        report('error', keyAt(source, ['spec', 'endpoints', 1]), 'there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN', 'use resolution: DNS for several endpoints');
      }
      endpoints.forEach((e, i) => checkEndpoint(source, ['spec', 'endpoints', i], e, { portNames, dnsAddress: true }, report));
      break;
    case 'DYNAMIC_DNS':
      report('error', valueAt(source, ['spec', 'resolution']), 'resolution DYNAMIC_DNS is not supported yet by localmesh', 'use resolution: NONE (the app\'s own DNS) or DNS');
      break;
  }
  // Plain TCP carries no host name, so several hosts on one TCP port cannot be told apart.
  if (resolution !== 'NONE' && spec.hosts.length > 1 && (spec.ports ?? []).some((p) => { const k = portKind(p.protocol); return k !== 'http' && k !== 'tls'; })) {
    report('error', keyAt(source, ['spec', 'hosts']), 'multiple hosts provided with non-HTTP, non-TLS ports', 'give each TCP host its own ServiceEntry, or use resolution: NONE');
  }
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function endpointOf(spec: WorkloadEntrySpec, inherited: Record<string, string> = {}): ServiceEntryEndpoint {
  return {
    address: spec.address ?? '',
    ports: { ...spec.ports },
    labels: { ...inherited, ...spec.labels },
    ...(spec.weight !== undefined && spec.weight > 0 ? { weight: spec.weight } : {}),
  };
}

interface WorkloadEntryItem {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  spec: WorkloadEntrySpec;
}

/** Check every ServiceEntry and WorkloadEntry; the entries of the model, in file order. */
export function buildServiceEntries(
  resources: readonly ParsedResource[],
  services: readonly ServiceModel[],
  report: Report,
): Located<ServiceEntryModel>[] {
  const workloadEntries: WorkloadEntryItem[] = [];
  for (const r of resources) {
    if (r.kind !== 'WorkloadEntry') continue;
    checkEndpoint(r.source, ['spec'], r.value.spec, { dnsAddress: true }, report);
    const { metadata } = r.value;
    // A WorkloadEntry's own labels are metadata.labels and spec.labels together, as Istio selects them.
    workloadEntries.push({ name: metadata.name, namespace: metadata.namespace ?? DEFAULT_NAMESPACE, labels: { ...metadata.labels, ...r.value.spec.labels }, spec: r.value.spec });
  }
  const out: Located<ServiceEntryModel>[] = [];
  const declared = new Map<string, { entry: string; at: ReturnType<typeof valueAt> }>();
  const meshHosts = new Map(services.map((s) => [s.fqdn, s]));
  for (const r of resources) {
    if (r.kind !== 'ServiceEntry') continue;
    const { source } = r;
    const spec = r.value.spec;
    const namespace = r.value.metadata.namespace ?? DEFAULT_NAMESPACE;
    checkHosts(source, spec, report);
    checkPorts(source, spec, report);
    checkResolution(source, spec, report);
    checkExportTo(source, ['spec', 'exportTo'], namespace, spec.exportTo, report);
    // One IP is the address apps resolve the hosts to on Compose (serviceEntryAddresses); ranges and lists are not.
    const single = spec.addresses?.length === 1 && isIP(spec.addresses[0]!) === 4 && (spec.resolution ?? 'NONE') !== 'NONE';
    if (spec.addresses?.length && !single) {
      report('warning', keyAt(source, ['spec', 'addresses']),
        'addresses are not applied by localmesh (only one IPv4 address with resolution STATIC or DNS is): the entry\'s traffic is told apart by name (HTTP Host, TLS SNI, CONNECT authority), not by these addresses');
    }
    spec.ports?.forEach((p, i) => {
      if (portKind(p.protocol) === 'udp') report('warning', valueAt(source, ['spec', 'ports', i, 'protocol']), `port ${p.number} is UDP, which sidecars do not carry (nor do Istio's)`);
    });
    // An endpoint without an address is on another network (warned above): it gets no traffic here.
    let endpoints = (spec.endpoints ?? []).filter((e) => e.address).map((e) => endpointOf(e));
    const selector = spec.workloadSelector?.labels;
    for (const [key, value] of Object.entries(selector ?? {})) {
      const at = keyAt(source, ['spec', 'workloadSelector', 'labels', key]);
      if (key.includes('*') || value.includes('*')) report('error', at, 'a wildcard is not supported in a workloadSelector');
      else {
        const problem = labelProblem(key, value);
        if (problem) report('error', at, problem);
      }
    }
    if (spec.workloadSelector) {
      endpoints = workloadEntries.filter((w) => w.namespace === namespace && w.spec.address && selects(selector ?? {}, w.labels)).map((w) => endpointOf(w.spec, w.labels));
      const pods = services.flatMap((s) => s.versions.filter((v) => s.namespace === namespace && selects(selector ?? {}, v.labels)).map((v) => v.proxy));
      if (pods.length > 0) {
        report('warning', keyAt(source, ['spec', 'workloadSelector']),
          `workloadSelector also selects the mesh's own workloads ${pods.join(', ')}; localmesh adds only WorkloadEntries to a ServiceEntry, not pods`,
          'route to the mesh service by its own name instead');
      }
    }
    const hosts: string[] = [];
    spec.hosts.forEach((host, i) => {
      const at = valueAt(source, ['spec', 'hosts', i]);
      const service = meshHosts.get(host);
      const earlier = declared.get(host);
      if (service) {
        report('warning', at, `host '${host}' is the mesh service ${service.name}; this ServiceEntry is not applied to it`, 'the mesh routes to its own workloads; remove the host from the ServiceEntry');
      } else if (earlier) {
        report('warning', at, `host '${host}' is also declared by ServiceEntry ${earlier.entry}; the first one (${formatRef(earlier.at)}) is applied`);
      } else {
        declared.set(host, { entry: r.value.metadata.name, at });
        hosts.push(host);
      }
    });
    out.push({
      source,
      item: {
        name: r.value.metadata.name,
        namespace,
        source: valueAt(source, []),
        spec,
        hosts,
        ports: spec.ports ?? [],
        resolution: spec.resolution ?? 'NONE',
        location: spec.location ?? 'MESH_EXTERNAL',
        endpoints,
      },
    });
  }
  return out;
}

/** The port an endpoint is reached on for one of its entry's ports. */
export function endpointPort(endpoint: ServiceEntryEndpoint, port: { name: string; number: number; targetPort?: number | undefined }): number {
  return endpoint.ports[port.name] ?? (port.targetPort ? port.targetPort : port.number);
}

/** Istio's range for the addresses its DNS proxy gives ServiceEntry hosts (auto-allocation). */
const VIP_BASE = [240, 240] as const;

/**
 * The address apps resolve each ServiceEntry host to, as Istio's DNS proxy answers with
 * auto-allocated addresses: the entry's own single address if it has one, else 240.240.X.Y in
 * the order hosts are declared. Wildcard hosts and resolution NONE (the app's own DNS decides)
 * get none. Pure: the same model always gives the same addresses.
 */
export function serviceEntryAddresses(entries: readonly ServiceEntryModel[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  let next = 1;
  for (const entry of entries ?? []) {
    if (entry.resolution === 'NONE') continue;
    const own = entry.spec.addresses?.length === 1 && isIP(entry.spec.addresses[0]!) === 4 ? entry.spec.addresses[0] : undefined;
    for (const host of entry.hosts) {
      if (host.includes('*')) continue;
      out.set(host, own ?? `${VIP_BASE[0]}.${VIP_BASE[1]}.${Math.floor(next / 256)}.${next % 256}`);
      if (!own) next++;
    }
  }
  return out;
}

/** The files in the mesh directory that DestinationRules name for Envoy to read (relative `tls.caCertificates`). */
export function meshFilesNamed(model: Pick<MeshModel, 'destinationRules'>): string[] {
  const files = new Set<string>();
  const add = (policy: TrafficPolicy | undefined) => {
    for (const p of [policy, ...(policy?.portLevelSettings ?? [])]) {
      const ca = p?.tls?.caCertificates;
      if (ca && !isAbsolute(ca)) files.add(ca);
    }
  };
  for (const rule of model.destinationRules) {
    add(rule.spec.trafficPolicy);
    for (const subset of rule.spec.subsets ?? []) add(subset.trafficPolicy);
  }
  return [...files].sort();
}
