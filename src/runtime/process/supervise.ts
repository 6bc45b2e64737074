// Starting, stopping and restarting the process runtime's processes. Each runs in a process group of its own
// (so Ctrl-C in the terminal reaches only `mesh up`, which stops them in order, and a stop reaches
// what an app's command started too), with stdout and stderr appended to its log file.
//
// Each command runs under a small `sh` that waits for it, the group's leader: Envoy asks for
// SIGTERM when its parent dies (PR_SET_PDEATHSIG), so its parent must outlive `mesh up -d`.
// node:child_process rather than execa: a detached run must let `mesh up -d` exit while its
// children go on (ChildProcess.unref).
//
// A crashed process is started again by a Supervisor, with backoff, and given up after repeated
// crashes: in `mesh up`'s own process in the foreground, in `mesh supervise DIR` (a process of
// its own that outlives `mesh up -d`, stopped by `mesh down`) for a detached run.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { afterCrash, alive, identity, procStat, RESTART, startTime, type CrashHistory } from '../detached.ts';
import { sleep } from '../interrupt.ts';
import type { ProcessRecord, Role } from './state.ts';

export { afterCrash, alive, identity, RESTART, startSupervisor, stopSupervisor, type CrashHistory } from '../detached.ts';

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
    const fields = procStat(pid);
    if (fields && fields[0] !== 'Z') groups.add(Number(fields[2]));
  }
  return groups;
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

function signal(record: ProcessRecord, name: NodeJS.Signals): void {
  try {
    process.kill(-record.pid, name); // the group: the keeper, the command and whatever it started
  } catch {
    // already gone
  }
}

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

// ---- restarting what crashed ----

export interface SuperviseOptions {
  /** The mesh directory as the user named it, for the sentence after repeated crashes. */
  meshDir: string;
  /** One line per crash, restart and give-up. */
  say(line: string): void;
  /** The records changed (a restart, a give-up): to be written to state.json. */
  changed(records: ProcessRecord[]): Promise<void>;
  pollMs?: number;
  policy?: typeof RESTART;
}

/**
 * Watches the recorded processes (by pid and start time, so it works on processes another
 * `mesh up` started) and starts each that died again from its spec, with backoff; gives one up
 * after repeated crashes, with a sentence in its record.
 */
export class Supervisor {
  private readonly records: Map<string, ProcessRecord>;
  private readonly since = new Map<string, number>();
  private readonly history = new Map<string, CrashHistory>();
  private readonly how = new Map<string, Promise<string>>();
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  private readonly startSpecs: Map<string, ProcessSpec>;
  private poll: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly options: SuperviseOptions;

  /** `started`: the processes this process started itself, whose exit it can tell. */
  constructor(specs: readonly ProcessSpec[], records: readonly ProcessRecord[], options: SuperviseOptions, started: readonly Started[] = []) {
    this.options = options;
    this.startSpecs = new Map(specs.map((s) => [s.name, s]));
    this.records = new Map(records.map((r) => [r.name, r]));
    const now = Date.now();
    for (const r of records) this.since.set(r.name, now);
    for (const s of started) this.how.set(s.record.name, s.exited);
  }

  /** The records as they are now (new pids after restarts). */
  current(): ProcessRecord[] {
    return [...this.records.values()];
  }

  /** How each process is started, as specs.json holds them. */
  specs(): ProcessSpec[] {
    return [...this.startSpecs.values()];
  }

  /** How a process is started (undefined for one it does not know). */
  spec(name: string): ProcessSpec | undefined {
    return this.startSpecs.get(name);
  }

  /**
   * Watches `started` (started from `spec`) in place of the process of that name, which is left
   * to its caller to stop: a restart without a gap (the new one runs before the old one stops).
   */
  replace(started: Started, spec: ProcessSpec): void {
    const name = spec.name;
    const before = this.records.get(name);
    this.startSpecs.set(name, spec);
    this.how.set(name, started.exited);
    this.since.set(name, Date.now());
    this.history.delete(name);
    clearTimeout(this.waiting.get(name));
    this.waiting.delete(name);
    this.update({ ...started.record, ...(before?.restarts ? { restarts: before.restarts } : {}) });
  }

  /** Watches a process started while running (a version added to the mesh). */
  add(started: Started, spec: ProcessSpec): void {
    this.records.delete(spec.name);
    this.replace(started, spec);
  }

  /** Stops watching a process (to be stopped by the caller: a version removed from the mesh); its record. */
  remove(name: string): ProcessRecord | undefined {
    const record = this.records.get(name);
    this.records.delete(name);
    this.startSpecs.delete(name);
    this.how.delete(name);
    clearTimeout(this.waiting.get(name));
    this.waiting.delete(name);
    if (record) this.update(undefined);
    return record;
  }

  start(): this {
    this.poll = setInterval(() => void this.check(), this.options.pollMs ?? 100);
    return this;
  }

  /** Stops watching; resolves once the last change is written (nothing is started after it). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    await this.writes;
  }

  private async check(): Promise<void> {
    for (const record of this.records.values()) {
      if (this.stopped || record.gaveUp || this.waiting.has(record.name) || alive(record)) continue;
      signal(record, 'SIGKILL'); // what its command started and left behind (it may hold a port)
      const spec = this.startSpecs.get(record.name);
      if (!spec) continue;
      const how = await Promise.race([this.how.get(record.name) ?? Promise.resolve('is gone'), sleep(20).then(() => 'is gone')]);
      if (this.stopped) return;
      const now = Date.now();
      const ranMs = now - (this.since.get(record.name) ?? now);
      const { history, delayMs } = afterCrash(this.history.get(record.name) ?? { times: [], streak: 0 }, ranMs, now, this.options.policy);
      this.history.set(record.name, history);
      if (delayMs === undefined) {
        const { meshDir } = this.options;
        const sentence =
          `${record.name} crashed ${history.times.length} times within a minute (last: ${how}) and is no longer restarted; ` +
          `see its log ${record.log}, then run mesh down ${meshDir} and mesh up ${meshDir}.`;
        this.options.say(sentence);
        this.update({ ...record, gaveUp: sentence });
        continue;
      }
      this.options.say(`${record.name} ${how}; restarting it in ${delayMs} ms (restart ${(record.restarts ?? 0) + 1}).`);
      this.waiting.set(record.name, setTimeout(() => {
        this.waiting.delete(record.name);
        if (this.stopped) return;
        const restarted = start(spec);
        this.how.set(record.name, restarted.exited);
        this.since.set(record.name, Date.now());
        this.update({ ...restarted.record, restarts: (record.restarts ?? 0) + 1 });
      }, delayMs));
    }
  }

  /** Records a record (none: one was removed) and has the records written. */
  private update(record: ProcessRecord | undefined): void {
    if (record) this.records.set(record.name, record);
    const records = this.current();
    this.writes = this.writes.then(() => this.options.changed(records)).catch((error: Error) => this.options.say(`state.json not written: ${error.message}`));
  }
}

