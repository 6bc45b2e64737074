import { formatDiagnostic } from '../../config/diagnostics.ts';
import type { Runtimes } from '../../runtime/contract.ts';
import { meshStatus, type MeshStatus } from '../../runtime/status.ts';
import { isSynced } from '../../xds/sync.ts';
import { EXIT, table } from '../output.ts';

/** A type's state in a table: `-` for one the proxy does not use. */
const shown = (state: string | undefined) => (state === undefined || state === 'NOT USED' ? '-' : state);

export const help = `Usage: mesh status [DIR] [--json]

What runs for the mesh in DIR (default: the current directory), whichever runtime started it:
each container (Compose runtime) or process with its state and health, each proxy's xDS sync
(SYNCED, STALE, NOT SENT, NACK; - for a type it does not use), the version the control plane serves and the diagnostics of the
files as they are now (an invalid edit is listed here; the last good version keeps serving).
Exits 1 when nothing runs, a container failed, a proxy is not SYNCED or the files are invalid.

Options:
  --json      the same as JSON
  --dir DIR   the mesh directory, as DIR (one or the other)
  -h, --help  show this help`;

/** Whether everything is as it should be: running, healthy, synced, valid. */
export function healthy(status: MeshStatus): boolean {
  const workloadsOk = status.workloads.every(
    (w) => (w.state === 'running' || w.state === 'exited (0)') && (w.health === undefined || w.health === 'healthy'),
  );
  const proxiesOk = status.proxies.every(isSynced);
  return status.runtime !== 'none' && workloadsOk && proxiesOk && !status.apiError && status.config?.valid === true;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** `mesh up --watch`: a version's last loop, e.g. `reviews-v2: restart after a save: serving the new code 0.43 s after it (healthy after 0.30 s)`. */
function loopLine(name: string, loop: NonNullable<MeshStatus['workloads'][number]['loop']>): string {
  const what = `${name}: ${loop.action} after a change of ${loop.files.length === 1 ? loop.files[0] : `${loop.files.length} files`}`;
  if (loop.state === 'restarting') return `${what}: under way`;
  if (loop.state === 'failed') return `${what}: failed, the code before serves: ${loop.problem ?? ''}`;
  const healthy = loop.healthyMs !== undefined && loop.healthyMs !== loop.servingMs ? ` (healthy after ${seconds(loop.healthyMs)})` : '';
  return `${what}: serving the new code ${seconds(loop.servingMs ?? 0)} after the save${healthy}`;
}

function print(status: MeshStatus): void {
  console.log(`Mesh in ${status.dir}: ${status.where}; control plane API ${status.api}`);
  for (const url of status.gateways) console.log(`Gateway: ${url}`);
  console.log('');
  // RESTARTS where the runtime counts them (the process runtime's supervisor).
  const counted = status.workloads.some((w) => w.restarts !== undefined);
  const columns = ['NAME', 'STATE', 'HEALTH', ...(counted ? ['RESTARTS'] : [])];
  console.log(table(columns, status.workloads.map((w) => [w.name, w.state, w.health ?? '-', ...(counted ? [String(w.restarts ?? 0)] : [])])));
  for (const w of status.workloads) if (w.problem) console.log(w.problem);
  for (const w of status.workloads) if (w.loop) console.log(loopLine(w.name, w.loop));
  console.log('');
  if (status.apiError) console.log(`Proxies: unknown, ${status.apiError}.`);
  else {
    const kinds = ['listeners', 'routes', 'clusters', 'endpoints'] as const;
    console.log(table(['PROXY', 'CONNECTED', ...kinds.map((k) => k.toUpperCase())], status.proxies.map((p) => [p.id, p.connected ? 'yes' : 'no', ...kinds.map((k) => shown(p.types[k]))])));
  }
  if (status.config) {
    console.log('');
    console.log(
      status.config.pending
        ? `Config: the files changed and are being reloaded; version ${status.config.version ?? '(none)'} serves until then.`
        : status.config.valid
        ? `Config: valid, serving version ${status.config.version ?? '(none)'}.`
        : `Config: INVALID; still serving the last good version ${status.config.version ?? '(none)'}. Diagnostics:`,
    );
    for (const d of status.config.diagnostics) console.log(`  ${formatDiagnostic(d)}`);
  }
}

export async function run(dir: string, options: { json: boolean }, runtimes: Runtimes): Promise<number> {
  let status: MeshStatus;
  try {
    status = await meshStatus(runtimes, dir);
  } catch (error) {
    console.error(`mesh status: ${(error as Error).message}`);
    return EXIT.invalid;
  }
  if (options.json) console.log(JSON.stringify({ ...status, healthy: healthy(status) }, null, 2));
  else if (status.runtime === 'none') console.log(`Nothing runs for ${dir} (no .mesh/docker.json or .mesh/process/state.json); start it with mesh up ${dir}.`);
  else print(status);
  return healthy(status) ? EXIT.ok : EXIT.invalid;
}
