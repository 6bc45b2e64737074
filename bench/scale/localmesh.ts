// The control plane under test in bench/scale: the real `mesh control` process on a mesh
// directory (compose addressing, free ports). Gives its xDS address, its pid (for CPU and peak
// memory from /proc) and the timeline of its event lines. Its stdout goes to a file, not a pipe:
// writes to a pipe block on Linux until the reader drains it, which would tie the control plane's
// pushes to the bench's own busy event loop.
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlCommand, controlEnv } from '../../src/control/node-options.ts';

const MESH = join(import.meta.dirname, '..', '..', 'bin', 'mesh.js');

export interface ControlPlane {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/** When `mesh control` said what, from its event lines: where the time of an edit goes. */
export interface Timeline {
  /** Files changed: first seen by the watcher. */
  changed: number[];
  /** Compiled (load, validate, compile took `ms`), published right after `at`. */
  compiled: Array<{ at: number; ms: number }>;
  /** Each routes push. */
  pushedRoutes: number[];
}

export interface MeshControl extends ControlPlane {
  /** Its event lines so far. */
  timeline(): Promise<Timeline>;
}

/** An event line's clock (HH:MM:SS.mmm, UTC) as epoch ms, today. */
function clockAt(clock: string): number {
  return Date.parse(`${new Date().toISOString().slice(0, 10)}T${clock}Z`);
}

function parse(log: string): Timeline {
  const timeline: Timeline = { changed: [], compiled: [], pushedRoutes: [] };
  for (const line of log.split('\n')) {
    const event = /^(\d\d:\d\d:\d\d\.\d\d\d) (.*)$/.exec(line);
    if (!event) continue;
    const at = clockAt(event[1]!);
    const text = event[2]!;
    if (text.startsWith('Pushed routes ')) timeline.pushedRoutes.push(at);
    else if (text.endsWith(' changed.')) timeline.changed.push(at);
    else {
      const compiled = /^Version \S+ compiled in ([\d.]+) ms/.exec(text);
      if (compiled) timeline.compiled.push({ at, ms: Number(compiled[1]) });
    }
  }
  return timeline;
}

/** Starts `mesh control` on `dir`, its output in `logFile`; resolves once it serves. */
export async function startMeshControl(dir: string, logFile: string): Promise<MeshControl> {
  const out = await open(logFile, 'w');
  const [node, ...args] = controlCommand([process.execPath, MESH, 'control', dir, '--xds-port', '0', '--api-port', '0', '--addressing', 'compose']);
  const child = spawn(node!, args, {
    stdio: ['ignore', out.fd, 'pipe'],
    env: controlEnv(process.env), // as the runtimes start it
  });
  await out.close();
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  let address: string | undefined;
  while (!address) {
    if (exited) throw new Error(`mesh control exited before it was ready: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
    address = /xDS on ([\d.]+:\d+)/.exec(await readFile(logFile, 'utf8'))?.[1];
  }
  return {
    address,
    pid: child.pid!,
    timeline: async () => parse(await readFile(logFile, 'utf8')),
    /** SIGTERM, then SIGKILL after 2 s (lookups of the stats scraper may hold its exit up). */
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(timer);
    },
  };
}
