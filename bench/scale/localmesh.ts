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

export async function startMeshControl(dir: string): Promise<ControlPlane> {
  const child: ChildProcess = spawn(process.execPath, [MESH, 'control', dir, '--xds-port', '0', '--api-port', '0', '--addressing', 'compose'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // One line per event (thousands per edit at N = 1000): read, and kept only until the ready line.
  const address = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let found = false;
    lines.on('line', (line) => {
      const m = found ? null : /xDS on ([\d.]+:\d+)/.exec(line);
      if (m) {
        found = true;
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`mesh control exited before it was ready: ${stderr.trim()}`)));
  });
  return {
    address,
    pid: child.pid!,
    /** SIGTERM, then SIGKILL after 2 s (lookups of the stats scraper may hold its exit up). */
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
