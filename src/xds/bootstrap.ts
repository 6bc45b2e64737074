// The Envoy bootstrap of a proxy fed by the control plane over ADS: templates/envoy-bootstrap.json
// with this proxy's values filled in. The template holds everything fixed (the xds_cluster with
// HTTP/2 and reconnect backoff, ADS for LDS/CDS, the internal listener extension, the Prometheus
// and health listeners); a `"${NAME}"` string there is replaced by the value of NAME, typed (envoy/fill.ts).
import { readFileSync } from 'node:fs';
import { fillTemplate } from '../envoy/fill.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

export interface AdsBootstrapOptions {
  /** Envoy node id: `SERVICE-VERSION` for a sidecar, `mesh-gateway` for the gateway. */
  proxy: string;
  service?: string;
  version?: string;
  /** Sidecar unless given; a proxy without a service is the gateway. */
  kind?: 'sidecar' | 'gateway';
  /** Where the control plane's xDS server is (a DNS name or an IP). */
  xdsHost: string;
  xdsPort: number;
  /** 0 lets Envoy pick (read it back with `--admin-address-path`); then no stats or health listener. */
  adminPort: number;
  adminAddress?: string;
  /** Prometheus stats listener (Istio: 15090), `/stats/prometheus`; left out when not given. */
  statsPort?: number;
  /** Health listener (Istio: 15021), `/healthz/ready` answers 200 once the proxy is live; left out when not given. */
  healthPort?: number;
  /** Address the stats and health listeners bind to. */
  listenAddress: string;
}

export const BOOTSTRAP_TEMPLATE = new URL('../../templates/envoy-bootstrap.json', import.meta.url);

let template: EnvoyJson | undefined;

export function adsBootstrap(options: AdsBootstrapOptions): EnvoyJson {
  template ??= JSON.parse(readFileSync(BOOTSTRAP_TEMPLATE, 'utf8')) as EnvoyJson;
  const { proxy, service, version, statsPort, healthPort, adminPort } = options;
  if (adminPort === 0 && (statsPort !== undefined || healthPort !== undefined)) {
    throw new Error(`proxy ${proxy}: the stats and health listeners forward to the admin port, which must then be fixed (not 0)`);
  }
  const metadata: EnvoyJson = { proxy_kind: options.kind ?? (service ? 'sidecar' : 'gateway') };
  if (service) metadata.service = service;
  if (version) metadata.version = version;
  const config = fillTemplate(template, {
    PROXY: proxy,
    CLUSTER: service ?? proxy,
    METADATA: metadata,
    ADMIN_ADDRESS: options.adminAddress ?? '127.0.0.1',
    ADMIN_PORT: adminPort,
    XDS_HOST: options.xdsHost,
    XDS_PORT: options.xdsPort,
    LISTEN_ADDRESS: options.listenAddress,
    STATS_PORT: statsPort ?? 0,
    HEALTH_PORT: healthPort ?? 0,
  }, BOOTSTRAP_TEMPLATE.pathname) as EnvoyJson;
  const wanted: Record<string, number | undefined> = { prometheus_stats: statsPort, health: healthPort };
  const statics = config.static_resources as { listeners: EnvoyJson[]; clusters: EnvoyJson[] };
  statics.listeners = statics.listeners.filter((l) => wanted[String(l.name)] !== undefined);
  if (statics.listeners.length === 0) statics.clusters = statics.clusters.filter((c) => c.name !== 'envoy_admin');
  return config;
}
