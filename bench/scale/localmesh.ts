// The control plane under test in bench/scale: the real `mesh control` process on a mesh
// directory (compose addressing, free ports). Gives its xDS address and its pid, for CPU and
// peak memory read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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
  timeline: Timeline;
}

/** An event line's clock (HH:MM:SS.mmm, UTC) as epoch ms, today. */
function clockAt(clock: string): number {
  const day = new Date().toISOString().slice(0, 10);
  return Date.parse(`${day}T${clock}Z`);
}

export async function startMeshControl(dir: string): Promise<MeshControl> {
  const child: ChildProcess = spawn(process.execPath, [MESH, 'control', dir, '--xds-port', '0', '--api-port', '0', '--addressing', 'compose'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // One line per event (thousands per edit at N = 1000): the ready line gives the address, the
  // others the timeline.
  const timeline: Timeline = { changed: [], compiled: [], pushedRoutes: [] };
  const address = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const ready = /xDS on ([\d.]+:\d+)/.exec(line);
      if (ready) resolve(ready[1]!);
      const event = /^(\d\d:\d\d:\d\d\.\d\d\d) (.*)$/.exec(line);
      if (!event) return;
      const at = clockAt(event[1]!);
      const text = event[2]!;
      if (text.startsWith('Pushed routes ')) timeline.pushedRoutes.push(at);
      else if (text.endsWith(' changed.')) timeline.changed.push(at);
      else {
        const compiled = /^Version \S+ compiled in ([\d.]+) ms/.exec(text);
        if (compiled) timeline.compiled.push({ at, ms: Number(compiled[1]) });
      }
    });
    void exited.then(() => reject(new Error(`mesh control exited before it was ready: ${stderr.trim()}`)));
  });
  return {
    address,
    pid: child.pid!,
    timeline,
    /** SIGTERM, then SIGKILL after 2 s (lookups of the stats scraper may hold its exit up). */
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
