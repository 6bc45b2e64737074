import { apiGet, ApiError, DEFAULT_API } from '../../control/client.ts';
import type { ControlStatus } from '../../control/controller.ts';
import type { ResourceKind } from '../../envoy/snapshot.ts';
import type { ProxyStatus } from '../../xds/types.ts';
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { EXIT, table } from '../output.ts';

export const help = `Usage: mesh proxy-status [DIR] [--api URL]

Shows, for every proxy, whether it is connected and, per xDS type, whether it has the
configuration the control plane serves (like istioctl proxy-status):
  SYNCED    the proxy acknowledged the latest version
  STALE     the latest version was sent and not yet acknowledged
  NOT SENT  the proxy has not been sent this version (e.g. not connected)
  -         the proxy does not use this type: it never asked for it and is served none
            (EDS on the Compose runtime, where Envoy finds endpoints by DNS)
  NACK      the proxy rejected the version; Envoy's message follows the table

Options:
  --dir DIR   the mesh whose control plane to ask, as DIR (default: the current directory)
  --api URL   the control plane's API (default: the one mesh up recorded in DIR, else ${DEFAULT_API})
  -h, --help  show this help`;

/** The xDS names of the resource kinds, in istioctl's column order. */
const COLUMNS: Array<[ResourceKind, string]> = [
  ['clusters', 'CDS'],
  ['listeners', 'LDS'],
  ['endpoints', 'EDS'],
  ['routes', 'RDS'],
];

export async function run(options: { api: string }): Promise<number> {
  let status: ControlStatus;
  let proxies: ProxyStatus[];
  try {
    [status, proxies] = await Promise.all([apiGet<ControlStatus>(options.api, '/status'), apiGet<ProxyStatus[]>(options.api, '/proxies')]);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`mesh proxy-status: ${error.message}`);
    return EXIT.invalid;
  }
  console.log(describeStatus(status));
  if (proxies.length === 0) {
    console.log('No proxies yet.');
    return EXIT.ok;
  }
  const rows = proxies.map((p) => [
    p.id,
    p.connected ? 'yes' : 'no',
    ...COLUMNS.map(([kind]) => (p.types[kind].state === 'NOT USED' ? '-' : p.types[kind].state)),
    latency(p),
  ]);
  console.log(table(['PROXY', 'CONNECTED', ...COLUMNS.map(([, name]) => name), 'LAST ACK'], rows));
  for (const p of proxies) {
    for (const [kind, name] of COLUMNS) {
      const nack = p.types[kind].nack;
      if (nack) console.log(`\n${p.id} rejected ${name} version ${nack.version}: ${nack.message}`);
    }
  }
  return EXIT.ok;
}

function describeStatus(s: ControlStatus): string {
  const serving = s.version ? `Serving version ${s.version} of ${s.dir}` : `Nothing served yet for ${s.dir}`;
  if (s.pending) return `${serving}; the files changed and are being reloaded.`;
  if (s.valid) return `${serving}.`;
  const errors = s.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  return `${serving}; the files as they are now are invalid and were not pushed:\n${errors.join('\n')}`;
}

/** The slowest push-to-ACK time among the proxy's last ACKs. */
function latency(p: ProxyStatus): string {
  const times = COLUMNS.map(([kind]) => p.types[kind].lastAckLatencyMs).filter((ms) => ms !== undefined);
  return times.length ? `${Math.max(...times)} ms` : '-';
}
