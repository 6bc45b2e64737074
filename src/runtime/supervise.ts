// Starting and stopping the process runtime's processes. Each runs in a process group of its own
// (so Ctrl-C in the terminal reaches only `mesh up`, which stops them in order, and a stop reaches
// what an app's command started too), with stdout and stderr appended to its log file.
// node:child_process rather than execa here: a detached run must let `mesh up -d` exit while its
// children go on (ChildProcess.unref); execa splits string commands.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { parseCommandString } from 'execa';
import type { ProcessRecord, Role } from './state.ts';

export interface ProcessSpec {
  name: string;
  role: Role;
  service?: string;
  /** An argument list, or a command line split as Compose splits a string `command`. */
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

/** Linux's start time of a process (field 22 of /proc/PID/stat); undefined elsewhere or when gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function start(spec: ProcessSpec): Started {
  const [file, ...args] = typeof spec.command === 'string' ? parseCommandString(spec.command) : spec.command;
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(file!, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    // A command that cannot start (not found) has no pid; `exited` says why.
    const pid = child.pid ?? -1;
    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`could not start: ${error.message}`));
      child.once('exit', (code, sig) => resolve(`exited with ${sig ?? `code ${code}`}`));
    });
    child.unref();
    const when = pid > 0 ? startTime(pid) : undefined;
    const record: ProcessRecord = {
      name: spec.name,
      role: spec.role,
      ...(spec.service ? { service: spec.service } : {}),
      pid,
      ...(when ? { startTime: when } : {}),
      command: [file!, ...args],
      log: spec.log,
    };
    return { record, exited };
  } finally {
    closeSync(fd);
  }
}

/** Whether the recorded process still runs (and is the same process, where that can be told). */
export function isRunning(record: Pick<ProcessRecord, 'pid' | 'startTime'>): boolean {
  if (record.pid <= 0) return false;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(record.pid)) return false;
  return record.startTime === undefined || startTime(record.pid) === record.startTime;
}

function signal(record: ProcessRecord, name: NodeJS.Signals): void {
  try {
    process.kill(-record.pid, name); // the group: the process and whatever it started
  } catch {
    try {
      process.kill(record.pid, name);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM to each, then SIGKILL to those still running after `graceMs`. Returns the names killed. */
export async function stopAll(records: readonly ProcessRecord[], graceMs = 5000): Promise<string[]> {
  const running = records.filter(isRunning);
  for (const record of running) signal(record, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some(isRunning) && Date.now() < deadline) await sleep(50);
  const stubborn = running.filter(isRunning);
  for (const record of stubborn) signal(record, 'SIGKILL');
  while (stubborn.some(isRunning)) await sleep(20);
  return stubborn.map((r) => r.name);
}
