// The Runtime contract: what `mesh up/down/status/logs/doctor`, the dashboard and the commands
// that talk to a running mesh need from whatever runs it (processes, a Compose stack, and next a
// Kubernetes export). Each runtime is a folder of its own (runtime/process/, runtime/compose/)
// whose index.ts makes one Runtime; runtime/registry.ts lists them. Nothing above runtime/
// imports a runtime's folder: only this contract (with Runtimes, the questions asked of all of
// them) and the registry, which only the composition root (cli/main.ts) calls.
import { relative, resolve } from 'node:path';
import type { MeshModel } from '../config/model.ts';
import type { WatchAction } from '../config/schema/mesh.ts';

/** What every runtime records of a run in DIR/.mesh/ (its own state adds what it needs; `runtime` is the tag). */
export interface RunStateBase {
  /** The runtime's name (Runtime.name): the tag of the run state. */
  runtime: string;
  /** The mesh directory, absolute. */
  dir: string;
  startedAt: string;
  /** The control plane's HTTP API. */
  api: string;
  gateways: string[];
}

export interface UpOptions {
  detach: boolean;
  /** The control plane polls the mesh files instead of waiting for file events. */
  poll?: boolean;
  /** Images: pull those missing (the default), always, or never (a runtime without images ignores it). */
  pull?: 'missing' | 'always' | 'never';
  /** Progress and results, one line each. */
  say(line: string): void;
  /** How long start-up may take (each runtime has its default). */
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** `mesh up --watch`: a code change under a version's `watch:` paths restarts (syncs, rebuilds) that version. */
  watchCode?: boolean;
  /**
   * In the foreground, what to show while the mesh runs (the dashboard in a terminal); the mesh
   * is stopped when it returns, or on Ctrl-C. Without it, the runtime shows its logs or exits.
   */
  watch?: () => Promise<void>;
}

/** One version's last inner loop under `mesh up --watch` (runtime/inner-loop.ts records it). */
export interface VersionLoop {
  action: WatchAction;
  /** restarting (or syncing, rebuilding) now; serving the new code; failed (the old one serves). */
  state: 'restarting' | 'serving' | 'failed';
  /** When the first change of the burst was seen (ms since the epoch). */
  savedAt: number;
  files: string[];
  /** From the save until the new code answered its healthcheck. */
  healthyMs?: number;
  /** From the save until the new code took the requests. */
  servingMs?: number;
  /** What failed (the end of the build's or the app's output). */
  problem?: string;
}

/** One thing that runs for the mesh: a container or a process. */
export interface Workload {
  name: string;
  /** running, exited (0), created, …; for processes: running or stopped. */
  state: string;
  health?: string;
  /** Whether it runs now (the dashboard's process column). */
  running: boolean;
  /** How often it was restarted after a crash, for a runtime that counts. */
  restarts?: number;
  /** A sentence on what is wrong with it (e.g. no longer restarted after repeated crashes). */
  problem?: string;
  /** A version's app under `mesh up --watch`: its last inner loop (restarting, or save → serving). */
  loop?: VersionLoop;
}

/** Whether a runtime can run here, and why, in words for `mesh up`'s first line. */
export type Detected = { ok: true; why: string } | { ok: false; why: string; problem: string };

export interface LogOptions {
  /** A service (its apps and sidecars) or one workload's name; all when undefined. */
  filter?: string;
  follow: boolean;
  write(text: string): void;
  signal?: AbortSignal;
}

/** A check of `mesh doctor`. */
export interface Check {
  level: 'ok' | 'warn' | 'fail';
  text: string;
}

export interface Runtime<S extends RunStateBase = RunStateBase> {
  /** `--runtime NAME`, and the tag of its run state. */
  readonly name: string;
  /** How `mesh up` names it: `the Compose runtime`. */
  readonly title: string;
  /** Whether it can run on this machine now. */
  detect(): Promise<Detected>;
  /** `mesh up`: resolves with the exit code once the mesh is up (detached) or was stopped (foreground). */
  up(model: MeshModel, dir: string, options: UpOptions): Promise<number>;
  /** The run `mesh up` recorded in `dir`; undefined when none. */
  state(dir: string): Promise<S | undefined>;
  /** `mesh down`: stops what runs for `dir`; false when this runtime found nothing. Lines for the user. */
  down(dir: string, options: { volumes: boolean; say(line: string): void }): Promise<boolean>;
  /** How the run is made, for `mesh status`: `Compose project canary`, `processes`. */
  where(state: S): string;
  /** What `mesh status --json` adds for this runtime (e.g. the Compose project). */
  facts(state: S): Record<string, string>;
  /** A path the control plane reports (from inside a container, /mesh/…) as the host's. */
  hostPath(state: S, file: string): string;
  /** What runs for the mesh, with its state. */
  workloads(state: S): Promise<Workload[]>;
  /**
   * `mesh logs`: prints the logs (to `write`, or the terminal); undefined when this runtime has
   * none for `dir`. A NAME that names nothing is an Error with a sentence.
   */
  logs(dir: string, options: LogOptions): Promise<number | undefined>;
  /** Where this runtime keeps the logs of a run after it ended, for one that does (`mesh logs` after `mesh down`). */
  keptLogs?(dir: string): string;
  /** The last lines of one workload's log (the dashboard's log pane); undefined when it has none. */
  logTail(dir: string, name: string, lines: number): Promise<string[] | undefined>;
  /** The directories of the meshes this runtime runs on this machine. */
  running(): Promise<string[]>;
  /**
   * The hidden `mesh supervise DIR`, for a runtime whose detached run needs a process of its own
   * to restart what crashes: runs until stopped; resolves with the exit code.
   */
  supervise?(dir: string): Promise<number>;
  /** Whether the run acts on code changes under `watch:` paths (mesh up --watch); undefined when it cannot. */
  codeWatch?(state: S): Promise<boolean | undefined>;
  /** Turns acting on code changes on or off while it runs (the dashboard's w); false when the run cannot. */
  setCodeWatch?(state: S, on: boolean): Promise<boolean>;
  /** `mesh doctor`'s checks, for a runtime that has any. */
  doctor?(dir: string, model: MeshModel | undefined): Promise<Check[]>;
}

/** A mesh that `mesh up` started in a directory, and the runtime that runs it. */
export interface Running {
  runtime: Runtime;
  state: RunStateBase;
}

/** The registered runtimes, and the questions asked of all of them. */
export class Runtimes {
  readonly all: readonly Runtime[];

  constructor(all: readonly Runtime[]) {
    this.all = all;
  }

  names(): string[] {
    return this.all.map((r) => r.name);
  }

  named(name: string): Runtime | undefined {
    return this.all.find((r) => r.name === name);
  }

  /**
   * The runtime `mesh up` uses without --runtime: the first that can run here, with the line that
   * says why (the reason the one before could not, else its own).
   */
  async detect(): Promise<{ runtime: Runtime; why: string }> {
    let before: string | undefined;
    for (const runtime of this.all) {
      const detected = await runtime.detect();
      if (detected.ok) return { runtime, why: `${before ?? detected.why}: using ${runtime.title}.` };
      before ??= detected.why;
    }
    throw new Error(`no runtime can run here (${before ?? 'none is registered'}).`);
  }

  /** The mesh that runs from `dir` (its run state is there), asking each runtime in order. */
  async running(dir: string): Promise<Running | undefined> {
    for (const runtime of this.all) {
      const state = await runtime.state(dir);
      if (state) return { runtime, state };
    }
    return undefined;
  }

  /** The directories of the meshes that run on this machine, whichever runtime. */
  async meshesRunning(): Promise<string[]> {
    const all = await Promise.all(this.all.map((r) => r.running().catch(() => [] as string[])));
    return [...new Set(all.flat())].sort();
  }

  /**
   * The sentence for a command that needs a running mesh in `dir` and found none (`what`: how
   * that showed, by default "no mesh runs in DIR"); with the meshes that do run elsewhere, and how
   * to name one (`example(OTHER)`, e.g. `mesh logs OTHER reviews`).
   */
  async noMeshRuns(dir: string, example: (other: string) => string, what = `no mesh runs in ${dir}`): Promise<string> {
    const others = (await this.meshesRunning().catch(() => [])).filter((d) => d !== resolve(dir));
    if (others.length === 0) return `${what} (mesh up ${dir} starts one)`;
    const shown = others.map((d) => {
      const near = relative('.', d);
      return near && !near.startsWith('..') ? (near.includes('/') ? near : `./${near}`) : d;
    });
    return `${what}; ${others.length === 1 ? 'one runs' : 'meshes run'} in ${shown.join(', ')}: name it first, e.g. ${example(shown[0]!)}`;
  }

  /** Every runtime, the one of `running` (what `running(dir)` found) first. */
  runningFirst(running: Running | undefined): readonly Runtime[] {
    return running ? [running.runtime, ...this.all.filter((r) => r !== running.runtime)] : this.all;
  }

  /** The last lines of a workload's log: from the runtime that runs `dir`, else the first that has a log of it. */
  async logTail(dir: string, name: string, lines: number): Promise<string[]> {
    for (const runtime of this.runningFirst(await this.running(dir).catch(() => undefined))) {
      const tail = await runtime.logTail(dir, name, lines).catch(() => undefined);
      if (tail !== undefined) return tail;
    }
    return [];
  }
}
