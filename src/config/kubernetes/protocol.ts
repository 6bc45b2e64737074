// A Service port's protocol as Istio selects it (pkg/config/kube ConvertProtocol): UDP is not
// proxied; `appProtocol` if set (with Kubernetes' own `kubernetes.io/h2c`, `ws`, `wss`), else the
// port name, each read up to its first '-' and case-insensitively. What Istio cannot name it
// sniffs; localmesh has no sniffing, so such a port is served as HTTP (and reported), except the
// well-known ports Istio never sniffs, which are TCP.
import type { Protocol } from '../schema/mesh.ts';
import type { KubeServicePort } from '../schema/kubernetes.ts';

/** SMTP, DNS, MySQL, MongoDB: Istio treats these as TCP when the port names no protocol. */
const WELL_KNOWN_TCP = new Set([25, 53, 3306, 27017]);

/** Istio's protocols (protocol.Parse) in localmesh's terms: HTTP/2 to the app, HTTP/1.1, or opaque bytes. */
const BY_NAME: Record<string, Protocol> = {
  http: 'http',
  http_proxy: 'http',
  http2: 'http2',
  grpc: 'grpc',
  'grpc-web': 'grpc',
  tcp: 'tcp',
  https: 'tcp',
  tls: 'tcp',
  mongo: 'tcp',
  redis: 'tcp',
  mysql: 'tcp',
};

const APP_PROTOCOLS: Record<string, Protocol> = {
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'tcp',
};

export type PortProtocol =
  | { protocol: Protocol; detected: false }
  /** Istio would sniff the protocol: localmesh serves HTTP. */
  | { protocol: Protocol; detected: true }
  | { protocol: 'udp' };

export function portProtocol(port: KubeServicePort): PortProtocol {
  if (port.protocol === 'UDP') return { protocol: 'udp' };
  const given = port.appProtocol ?? port.name ?? '';
  const standard = port.appProtocol === undefined ? undefined : APP_PROTOCOLS[port.appProtocol];
  if (standard) return { protocol: standard, detected: false };
  const lower = given.toLowerCase();
  const prefix = lower.startsWith('grpc-web') ? 'grpc-web' : lower.split('-')[0]!;
  const named = Object.hasOwn(BY_NAME, prefix) ? BY_NAME[prefix] : undefined;
  if (named) return { protocol: named, detected: false };
  if (WELL_KNOWN_TCP.has(port.port)) return { protocol: 'tcp', detected: false };
  return { protocol: 'http', detected: true };
}
