// Processes of a run that live apart from the command that started them: telling whether one
// still runs (by pid and Linux's start time, so a reused pid does not count), the detached
// `mesh supervise DIR` of a `mesh up -d` (started, stopped), and the restart policy a supervisor
// applies to what crashed (backoff, giving up after repeated crashes). Both runtimes use them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './interrupt.ts';

/** Fields after the command name in /proc/PID/stat (state is the first); undefined without /proc. */
export function procStat(pid: number | string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Linux's start time of a process (field 22 of /proc/PID/stat). */
export const startTime = (pid: number): string | undefined => procStat(pid)?.[19];

/** Whether one process runs (not a zombie) and is the same one, where that can be told. */
export function alive(p: { pid: number; startTime?: string }): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = procStat(p.pid);
  return !fields || (fields[0] !== 'Z' && (p.startTime === undefined || fields[19] === p.startTime));
}

/** Where the record carries Linux's start time of the process (for `alive`). */
export const identity = (pid: number): { pid: number; startTime?: string } => {
  const when = startTime(pid);
  return when ? { pid, startTime: when } : { pid };
};

/** When a crashed process is started again, and when it is given up. */
export const RESTART = {
  /** The first restart's delay, doubled for each crash in a row up to `maxMs`. */
  firstMs: 100,
  maxMs: 5000,
  /** A process that ran this long before it crashed starts again at `firstMs`. */
  resetAfterMs: 10_000,
  /** This many crashes within `withinMs`: no longer restarted. */
  crashes: 5,
  withinMs: 60_000,
};

export interface CrashHistory {
  /** When it crashed (ms), within the last `withinMs`. */
  times: number[];
  /** Crashes in a row, each after a run shorter than `resetAfterMs`. */
  streak: number;
}

/** After a crash at `now` of a process that ran `ranMs`: the delay before it starts again, or give up. Pure. */
export function afterCrash(history: CrashHistory, ranMs: number, now: number, policy = RESTART): { history: CrashHistory; delayMs?: number } {
  const streak = ranMs >= policy.resetAfterMs ? 1 : history.streak + 1;
  const times = [...history.times.filter((t) => now - t < policy.withinMs), now];
  const next = { times, streak };
  if (times.length >= policy.crashes) return { history: next };
  return { history: next, delayMs: Math.min(policy.firstMs * 2 ** (streak - 1), policy.maxMs) };
}

export function startSupervisor(mesh: readonly string[], dir: string, log: string): Promise<string> {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(mesh[0]!, [...mesh.slice(1), 'supervise', dir], { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`could not start: ${error.message}`));
      child.once('exit', (code, sig) => resolve(`exited with ${sig ?? `code ${code}`}`));
    });
  } finally {
    closeSync(fd);
  }
}

/** Asks a detached supervisor to stop (SIGTERM to its group), SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopSupervisor(supervisor: { pid: number; startTime?: string }, graceMs = 5000): Promise<void> {
  const send = (name: NodeJS.Signals) => {
    try {
      process.kill(-supervisor.pid, name);
    } catch {
      // already gone
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(supervisor) && Date.now() < deadline) await sleep(50);
  if (alive(supervisor)) send('SIGKILL');
  while (alive(supervisor)) await sleep(20);
}
