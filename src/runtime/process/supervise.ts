// Starting and stopping the process runtime's processes. Each runs in a process group of its own
// (so Ctrl-C in the terminal reaches only `mesh up`, which stops them in order, and a stop reaches
// what an app's command started too), with stdout and stderr appended to its log file.
//
// Each command runs under a small `sh` that waits for it, the group's leader: Envoy asks for
// SIGTERM when its parent dies (PR_SET_PDEATHSIG), so its parent must outlive `mesh up -d`.
// node:child_process rather than execa: a detached run must let `mesh up -d` exit while its
// children go on (ChildProcess.unref).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import type { ProcessRecord, Role } from './state.ts';

export interface ProcessSpec {
  name: string;
  role: Role;
  service?: string;
  /** An argument list, or a command line for the shell (as in a Procfile). */
  command: string[] | string;
  cwd: string;
  env: Record<string, string>;
  log: string;
}

export interface Started {
  record: ProcessRecord;
  /** Settles when the process exits: a sentence saying how. */
  exited: Promise<string>;
}

/** `sh -c KEEPER CMD ARGS…` runs CMD ARGS… in the background and exits with its status. */
const KEEPER = '"$0" "$@" & wait $!';
/** The same for a command line. */
const keeperOf = (line: string) => `( ${line}
) & wait $!`;

/** Fields after the command name in /proc/PID/stat (state is the first); undefined without /proc. */
function stat(pid: number | string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Linux's start time of a process (field 22 of /proc/PID/stat). */
const startTime = (pid: number): string | undefined => stat(pid)?.[19];

export function start(spec: ProcessSpec): Started {
  const command = typeof spec.command === 'string' ? [spec.command] : spec.command;
  const args = typeof spec.command === 'string' ? ['-c', keeperOf(spec.command)] : ['-c', KEEPER, ...command];
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn('/bin/sh', args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`could not start: ${error.message}`));
      child.once('exit', (code, sig) => resolve(code === 127 ? `could not start ${command[0]} (not found)` : `exited with ${sig ?? `code ${code}`}`));
    });
    child.unref();
    const record: ProcessRecord = {
      name: spec.name,
      role: spec.role,
      ...(spec.service ? { service: spec.service } : {}),
      ...identity(child.pid ?? -1),
      command,
      log: spec.log,
    };
    return { record, exited };
  } finally {
    closeSync(fd);
  }
}

/**
 * Process groups with a live (not zombie) member, from /proc; undefined where there is no /proc.
 * Zombies count as gone: where nothing reaps orphans (a container's init), they stay forever.
 */
function liveGroups(): Set<number> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const groups = new Set<number>();
  for (const pid of pids) {
    const fields = stat(pid);
    if (fields && fields[0] !== 'Z') groups.add(Number(fields[2]));
  }
  return groups;
}

/** Whether one process runs (not a zombie) and is the same one, where that can be told. */
export function alive(p: { pid: number; startTime?: string }): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = stat(p.pid);
  return !fields || (fields[0] !== 'Z' && (p.startTime === undefined || fields[19] === p.startTime));
}

/** The recorded processes of which something still runs: the keeper, or its command after it. */
export function stillRunning(records: readonly ProcessRecord[]): ProcessRecord[] {
  const groups = liveGroups();
  return records.filter((record) => {
    if (record.pid <= 0) return false;
    if (!groups) return alive(record);
    // The leader may be gone while its command still runs; when it is there, it must be the same.
    if (!groups.has(record.pid)) return false;
    const leader = startTime(record.pid);
    return leader === undefined || record.startTime === undefined || leader === record.startTime;
  });
}

/** Where the record carries Linux's start time of the process (for `alive`). */
export const identity = (pid: number): { pid: number; startTime?: string } => {
  const when = startTime(pid);
  return when ? { pid, startTime: when } : { pid };
};

function signal(record: ProcessRecord, name: NodeJS.Signals): void {
  try {
    process.kill(-record.pid, name); // the group: the keeper, the command and whatever it started
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM to each group, then SIGKILL to those still running after `graceMs`. Returns the names killed. */
export async function stopAll(records: readonly ProcessRecord[], graceMs = 5000): Promise<string[]> {
  const running = stillRunning(records);
  for (const record of running) signal(record, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (stillRunning(running).length > 0 && Date.now() < deadline) await sleep(50);
  const stubborn = stillRunning(running);
  for (const record of stubborn) signal(record, 'SIGKILL');
  while (stillRunning(stubborn).length > 0) await sleep(20);
  return stubborn.map((r) => r.name);
}
