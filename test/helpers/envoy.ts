// A real Envoy on a static bootstrap, for integration tests. The admin port is chosen by Envoy
// (port 0, read back through --admin-address-path); listener ports are whatever the config says.
// Any failure to start carries the tail of Envoy's log, so the reason is in the test output.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEnvoy } from '../../src/runtime/process/envoy-binary.ts';
import type { EnvoyJson } from '../../src/envoy/snapshot.ts';
import { ENVOY_DRAIN_ARGS as DRAIN_ARGS } from '../../src/envoy/drain.ts';

export interface EnvoyProcess {
  name: string;
  adminUrl: string;
  configPath: string;
  logPath: string;
  /** Every counter and gauge, by full name (e.g. `cluster.X.upstream_rq_pending_overflow`). */
  stats(): Promise<Map<string, number>>;
  /** One stat's value, 0 when Envoy does not report it. */
  stat(name: string): Promise<number>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs `envoy --mode validate` on a config; resolves with Envoy's output, rejects with it when invalid. */
export async function validateConfig(config: EnvoyJson): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'localmesh-envoy-validate-'));
  const configPath = join(dir, 'envoy.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(findEnvoy(), ['--mode', 'validate', '-c', configPath, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`envoy --mode validate rejected ${configPath} (exit ${code}):\n${output}`);
  rmSync(dir, { recursive: true, force: true });
  return output;
}

export interface StartOptions {
  /** Resolve once the admin interface is up, not waiting for LIVE (an ADS proxy without config). */
  adminOnly?: boolean;
}

export async function startEnvoy(name: string, config: EnvoyJson, options: StartOptions = {}): Promise<EnvoyProcess> {
  const envoy = findEnvoy();
  const dir = mkdtempSync(join(tmpdir(), `localmesh-envoy-${name}-`));
  const configPath = join(dir, 'envoy.json');
  const logPath = join(dir, 'envoy.log');
  const adminPath = join(dir, 'admin-address');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(
    envoy,
    [
      '-c', configPath,
      '--concurrency', '1',
      '--use-dynamic-base-id',
      ...DRAIN_ARGS,
      '--log-path', logPath,
      '--log-level', 'warning',
      '--admin-address-path', adminPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    }),
  );

  const logTail = (lines = 40): string => {
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    return (log + stderr).trimEnd().split('\n').slice(-lines).join('\n') || '(nothing logged)';
  };
  const fail = (why: string): Error =>
    new Error(`Envoy "${name}" ${why}.\nconfig: ${configPath}\nlog tail (${logPath}):\n${logTail()}`);

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let adminUrl = '';
  const expected = listenerNames(config);
  for (;;) {
    if (exited) throw fail(exited);
    if (Date.now() > deadline) {
      await stop();
      throw fail(`was not ready within ${START_TIMEOUT_MS} ms (admin ${adminUrl || 'not up'})`);
    }
    if (!adminUrl && existsSync(adminPath)) {
      const address = readFileSync(adminPath, 'utf8').trim();
      if (address) adminUrl = `http://${address}`;
    }
    if (adminUrl && (options.adminOnly || (await isReady(adminUrl, expected)))) break;
    await new Promise((r) => setTimeout(r, 25));
  }

  const stats = async (): Promise<Map<string, number>> => {
    const response = await fetch(`${adminUrl}/stats?format=json`);
    const body = (await response.json()) as { stats: Array<{ name?: string; value?: number }> };
    return new Map(body.stats.filter((s) => s.name !== undefined && s.value !== undefined).map((s) => [s.name!, s.value!]));
  };
  return {
    name,
    adminUrl,
    configPath,
    logPath,
    stats,
    stat: async (stat) => (await stats()).get(stat) ?? 0,
    logTail,
    stop,
  };
}

/** Names of the listeners that bind a socket (internal listeners have no address). */
function listenerNames(config: EnvoyJson): string[] {
  const listeners = ((config.static_resources as EnvoyJson | undefined)?.listeners ?? []) as EnvoyJson[];
  return listeners.filter((l) => (l.address as EnvoyJson | undefined)?.socket_address).map((l) => String(l.name));
}

async function isReady(adminUrl: string, listeners: string[]): Promise<boolean> {
  try {
    const ready = await fetch(`${adminUrl}/ready`);
    if ((await ready.text()).trim() !== 'LIVE') return false;
    const response = await fetch(`${adminUrl}/listeners?format=json`);
    const body = (await response.json()) as { listener_statuses?: Array<{ name: string; local_address?: unknown }> };
    const bound = new Set((body.listener_statuses ?? []).filter((s) => s.local_address).map((s) => s.name));
    return listeners.every((name) => bound.has(name));
  } catch {
    return false;
  }
}
