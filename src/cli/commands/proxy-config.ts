import { X509Certificate } from 'node:crypto';
import { apiGet, ApiError, DEFAULT_API } from '../../control/client.ts';
import type { ProxyConfig } from '../../control/api.ts';
import { parseCluster } from '../../config/names.ts';
import { RESOURCE_KINDS, type EnvoyJson, type ResourceKind } from '../../envoy/snapshot.ts';
import { EXIT, table, UsageError } from '../output.ts';

export const help = `Usage: mesh proxy-config [DIR] PROXY [listeners|routes|clusters|endpoints|secrets|runtime] [-o json] [--api URL]

Shows the configuration the control plane serves to one proxy (SERVICE-VERSION, or a gateway:
mesh-gateway, mesh-gateway-egressgateway, …), like istioctl proxy-config: a summary table per resource type, or Envoy's own
JSON with -o json. Without a type, all of them.

Options:
  -o, --output json  print the resources as JSON
  --dir DIR          the mesh whose control plane to ask, as DIR first (default: the current directory)
  --api URL          the control plane's API (default: the one mesh up recorded in DIR, else ${DEFAULT_API})
  -h, --help         show this help`;

export async function run(args: string[], options: { api: string; output?: string }): Promise<number> {
  const [proxy, type, ...extra] = args;
  if (!proxy) throw new UsageError('mesh proxy-config needs the proxy, e.g. mesh proxy-config reviews-v1.');
  if (extra.length > 0) throw new UsageError(`mesh proxy-config takes a proxy and a type, got also ${extra.join(' ')}.`);
  if (type !== undefined && !(RESOURCE_KINDS as string[]).includes(type)) {
    throw new UsageError(`'${type}' is not a resource type; use one of ${RESOURCE_KINDS.join(', ')}.`);
  }
  if (options.output !== undefined && options.output !== 'json') throw new UsageError(`-o takes json, got '${options.output}'.`);
  let config: ProxyConfig;
  try {
    const query = type ? `?type=${type}` : '';
    config = await apiGet<ProxyConfig>(options.api, `/proxies/${encodeURIComponent(proxy)}/config${query}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`mesh proxy-config: ${error.message}`);
    return EXIT.invalid;
  }
  if (options.output === 'json') {
    console.log(JSON.stringify(config, null, 2));
    return EXIT.ok;
  }
  const sections = (Object.keys(config.resources) as ResourceKind[]).map((kind) => {
    const values = (config.resources[kind] ?? []).map((r) => r.value as EnvoyJson);
    const [header, rows] = SUMMARIES[kind](values);
    return `${kind.toUpperCase()} (${values.length})\n${rows.length ? table(header, rows) : '(none)'}`;
  });
  console.log(`${config.proxy}, version ${config.version ?? '(none)'}\n\n${sections.join('\n\n')}`);
  return EXIT.ok;
}

/** A secret: its certificate's SPIFFE id (or the root's subject) and expiry. */
function secretRow(secret: EnvoyJson): string[] {
  const tls = secret.tls_certificate as { certificate_chain?: { inline_string?: string } } | undefined;
  const bundle = secret.validation_context as { trusted_ca?: { inline_string?: string } } | undefined;
  const pem = tls?.certificate_chain?.inline_string ?? bundle?.trusted_ca?.inline_string;
  const cert = pem ? new X509Certificate(pem) : undefined;
  const identity = tls ? (cert?.subjectAltName?.replace(/^URI:/, '') ?? '-') : (cert?.subject.replace(/\n/g, ', ') ?? '-');
  return [String(secret.name), tls ? 'certificate' : bundle ? 'trust bundle' : '-', identity, cert ? new Date(cert.validTo).toISOString() : '-'];
}

type Summary = (values: EnvoyJson[]) => [string[], string[][]];

const SUMMARIES: Record<ResourceKind, Summary> = {
  listeners: (values) => [
    ['NAME', 'ADDRESS', 'MATCH', 'DESTINATION'],
    values.flatMap((l) => {
      const address = socket(l.address) ?? (l.internal_listener ? 'internal' : '-');
      return list(l.filter_chains).map((chain, i) => [
        i === 0 ? String(l.name) : '',
        i === 0 ? address : '',
        chainMatch(chain.filter_chain_match as EnvoyJson | undefined),
        chainDestination(chain),
      ]);
    }),
  ],
  routes: (values) => [
    ['NAME', 'VIRTUAL HOST', 'DOMAINS', 'MATCH', 'DESTINATION'],
    values.flatMap((config) =>
      list(config.virtual_hosts).flatMap((vh) =>
        list(vh.routes).map((r, i) => [
          i === 0 ? String(config.name) : '',
          i === 0 ? String(vh.name) : '',
          i === 0 ? domains(vh.domains) : '',
          routeMatch(r.match as EnvoyJson),
          routeDestination(r),
        ]),
      ),
    ),
  ],
  clusters: (values) => [
    ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'ENDPOINTS'],
    values.map((c) => {
      const istio = parseCluster(String(c.name));
      return [
        istio ? istio.host || '-' : String(c.name),
        istio ? String(istio.port) : '-',
        istio ? istio.subset || '-' : '-',
        istio ? istio.direction : '-',
        String(c.type ?? 'STATIC'),
        c.type === 'EDS' ? 'EDS' : endpoints(c.load_assignment as EnvoyJson | undefined),
      ];
    }),
  ],
  endpoints: (values) => [['ENDPOINTS', 'CLUSTER'], values.map((e) => [endpoints(e), String(e.cluster_name)])],
  // The API serves secrets without private keys (control/api.ts): what they are, not the key.
  secrets: (values) => [['NAME', 'KIND', 'IDENTITY', 'EXPIRES'], values.map(secretRow)],
  runtime: (values) => [['LAYER', 'KEY', 'VALUE'], values.flatMap((r) => Object.entries((r.layer ?? {}) as EnvoyJson).map(([k, v], i) => [i === 0 ? String(r.name) : '', k, typeof v === 'object' ? JSON.stringify(v) : String(v)]))],
};

function list(value: unknown): EnvoyJson[] {
  return Array.isArray(value) ? (value as EnvoyJson[]) : [];
}

/** `host:port`, or `internal NAME` for an internal listener; undefined without an address. */
function socket(address: unknown): string | undefined {
  const a = address as
    | { socket_address?: { address: string; port_value: number }; envoy_internal_address?: { server_listener_name: string } }
    | undefined;
  if (a?.socket_address) return `${a.socket_address.address}:${a.socket_address.port_value}`;
  if (a?.envoy_internal_address) return `internal ${a.envoy_internal_address.server_listener_name}`;
  return undefined;
}

function endpoints(assignment: EnvoyJson | undefined): string {
  const all = list(assignment?.endpoints).flatMap((group) => list(group.lb_endpoints).map((e) => socket((e.endpoint as EnvoyJson).address) ?? '?'));
  return all.join(', ') || '-';
}

function domains(value: unknown): string {
  const all = (value as string[] | undefined) ?? [];
  return all.length > 2 ? `${all[0]} +${all.length - 1} more` : all.join(', ');
}

function chainMatch(match: EnvoyJson | undefined): string {
  if (!match) return 'all';
  const parts = Object.entries(match).map(([key, v]) => `${key.replace(/_/g, ' ')} ${Array.isArray(v) ? v.join(',') : String(v)}`);
  return parts.join('; ') || 'all';
}

function chainDestination(chain: EnvoyJson): string {
  return list(chain.filters)
    .map((filter) => {
      const config = (filter.typed_config ?? {}) as EnvoyJson;
      const rds = config.rds as { route_config_name?: string } | undefined;
      if (rds) return `routes ${rds.route_config_name}`;
      const inline = config.route_config as EnvoyJson | undefined;
      if (inline) return `inline routes ${inline.name ?? ''}`.trim();
      if (typeof config.cluster === 'string') return `cluster ${config.cluster}`;
      const weighted = config.weighted_clusters as EnvoyJson | undefined;
      if (weighted) return weightedClusters(weighted);
      return String(filter.name).replace(/^envoy\.filters\.network\./, '');
    })
    .join(', ');
}

function routeMatch(match: EnvoyJson): string {
  const path =
    match.path !== undefined ? `path ${match.path}` :
    match.safe_regex ? `regex ${(match.safe_regex as EnvoyJson).regex}` :
    match.connect_matcher ? 'CONNECT' :
    `prefix ${match.prefix ?? '/'}`;
  const headers = list(match.headers).map((h) => String(h.name));
  return headers.length ? `${path} + ${headers.join(', ')}` : path;
}

function routeDestination(r: EnvoyJson): string {
  if (r.redirect) return 'redirect';
  if (r.direct_response) return `direct response ${(r.direct_response as EnvoyJson).status}`;
  const action = (r.route ?? {}) as EnvoyJson;
  if (typeof action.cluster === 'string') return action.cluster;
  if (action.weighted_clusters) return weightedClusters(action.weighted_clusters as EnvoyJson);
  return '-';
}

function weightedClusters(weighted: EnvoyJson): string {
  return list(weighted.clusters).map((c) => `${c.name} ${c.weight}`).join(', ');
}
