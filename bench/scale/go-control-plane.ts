// go-control-plane as the control plane under test in bench/scale: bench/go-control-plane built
// once into a scratch directory, started on a free port, fed export files (export.ts) on stdin.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ControlPlane } from './localmesh.ts';

const SOURCE = join(import.meta.dirname, '..', 'go-control-plane');

/** Builds the Go program into `dir`; returns the binary's path. */
export function buildGoControlPlane(dir: string): string {
  const binary = join(dir, 'go-control-plane');
  try {
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: SOURCE, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    throw new Error(
      `could not build bench/go-control-plane (${(error as Error).message.split('\n')[0]}); it needs Go on PATH and the Go ` +
        'module proxy; --no-go measures localmesh alone',
    );
  }
  return binary;
}

export interface GoControlPlane extends ControlPlane {
  /** Hands it an export file; resolves once every proxy's snapshot is set. */
  load(path: string): Promise<void>;
}

export async function startGoControlPlane(binary: string): Promise<GoControlPlane> {
  const child = spawn(binary, ['--port', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () =>
    Promise.race([
      new Promise<string>((resolve) => waiting.push(resolve)),
      exited.then(() => Promise.reject(new Error(`go-control-plane exited: ${stderr.trim()}`))),
    ]);
  const ready = await next();
  const port = /^listening (\d+)$/.exec(ready)?.[1];
  if (!port) throw new Error(`go-control-plane said '${ready}'`);
  return {
    address: `127.0.0.1:${port}`,
    pid: child.pid!,
    load: async (path) => {
      const done = next();
      child.stdin.write(`${path}\n`);
      const line = await done;
      if (!line.startsWith('set ')) throw new Error(`go-control-plane said '${line}'`);
    },
    stop: async () => {
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
