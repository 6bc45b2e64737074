// The control plane's core: mesh files → validate → compile → every proxy's snapshot in the
// xDS cache. An invalid mesh is never published: the last good version keeps serving and the
// diagnostics are kept for /status. A change after a quiet time reloads at once (`burstMs` later,
// which gathers the few events of one save: an atomic save is a rename, often seen twice); changes
// that follow within `debounceMs` of the one before are a burst (a git checkout, a generator
// writing many files) and are coalesced: one reload once the burst has been quiet for `debounceMs`.
// What serves must be the files as they are on disk once they are quiet, and a watcher's events
// cannot promise that (chokidar drops a 'change' within 50 ms of the one before; a read can race
// a write): after every reload the files are read back `settleMs` later and reloaded while they
// differ from what was loaded, and, while quiet, every `recheckMs`. Until the read-back matches,
// the status says a reload is pending. No file content and no loader bug stops the controller:
// an exception while loading is a diagnostic and the last good version keeps serving.
import { createHash } from 'node:crypto';
import { loadMeshFromSources, ParseCache, type SourceFile, type ValidationResult } from '../config/index.ts';
import { readMeshDir } from '../config/load.ts';
import { settled } from './settled.ts';
import { hasErrors, type Diagnostic } from '../config/diagnostics.ts';
import { CompileMemo, compileMesh, type CompiledMesh, type ProxySnapshot } from '../compile/index.ts';
import { withRuntime } from '../compile/runtime.ts';
import type { AddressingMode } from './addressing-mode.ts';
import type { ControllerEvent } from './events.ts';
import type { WorkloadSecrets } from './secrets.ts';
import { CredentialError } from './credentials.ts';

/** What the controller needs of the xDS snapshot cache (src/xds/cache.ts). */
export interface SnapshotSink {
  /** Checks every snapshot, then publishes them all; throws when one is inconsistent. */
  setSnapshots(snapshots: readonly ProxySnapshot[]): void;
  clearSnapshot(proxy: string): void;
}

export interface ControllerOptions {
  dir: string;
  addressing: AddressingMode;
  cache: SnapshotSink;
  onEvent(event: ControllerEvent): void;
  /** Quiet time that ends a burst of file changes. */
  debounceMs?: number;
  /** After a quiet time, how long a change waits for the other events of the same save. */
  burstMs?: number;
  /**
   * After each reload the files are read again this much later, and reloaded if they differ from
   * what was loaded: a watcher can miss the last save of a burst (chokidar drops a 'change' that
   * follows another within 50 ms) and a read can race a write. More than chokidar's 50 ms.
   */
  settleMs?: number;
  /**
   * A read is taken once a second read this much later agrees with it: a save in place truncates
   * the file, then writes it, and a read in between sees it empty or half written. Not waited for
   * when the files' stats show them complete (settled.ts).
   */
  stableMs?: number;
  /** While quiet, the files are read again this often and reloaded if they differ (0: never). */
  recheckMs?: number;
  /** Fills in the SDS secrets snapshots name (mTLS); without it a snapshot naming one is refused. */
  secrets?: Pick<WorkloadSecrets, 'fill'>;
  /** The mesh files; reads `dir` unless given (tests). Files without a stat are always read twice. */
  read?: (dir: string) => Promise<SourceFile[]>;
}

export interface ControlStatus {
  dir: string;
  /** The version serving: `COUNTER-HASH` (hash of the mesh files); absent before the first good load. */
  version?: string;
  /** When that version was published (ms since epoch). */
  publishedAt?: number;
  /** When a mesh file last changed (or the first load, ms since epoch). */
  lastChangeAt?: number;
  /** Whether the files as last loaded are valid; when not, `version` is the last good one. */
  valid: boolean;
  /**
   * The files changed since they were last loaded, or are being read again to confirm they did
   * not: `valid` and `version` may be about to change. False once the files on disk were read
   * back and are the ones loaded. Absent from a control plane older than this field.
   */
  pending?: boolean;
  /** The diagnostics of the files as last loaded (errors first). */
  diagnostics: Diagnostic[];
  /** The proxies of the version serving. */
  proxies: string[];
}

export interface Controller {
  /** Reads, validates, compiles and publishes now; `files` changed at `changedAt`. */
  reload(files?: string[], changedAt?: number): Promise<void>;
  /** A file changed: reload once the burst is over. */
  changed(file: string): void;
  /** Compiles the files loaded last again and publishes them, changed or not (the addressing changed). */
  refresh(): Promise<void>;
  /**
   * Someone watches requests (tap, traces) or stopped: publishes the runtime of that state
   * (compile/runtime.ts) with the version serving, nothing compiled again; resolves once published.
   */
  setWatched(watched: boolean): Promise<void>;
  /** Resolves when no reload is pending or running and the files read back are the ones loaded. */
  idle(): Promise<void>;
  status(): ControlStatus;
  /** The snapshot serving for a proxy. */
  snapshot(proxy: string): ProxySnapshot | undefined;
  /** Cancels a pending reload and stops re-reading the files. */
  close(): void;
}

/** The files as read, with their hash, or why they could not be read. */
interface ReadFiles {
  hash: string;
  files: SourceFile[];
  error?: string;
}

/** Chokidar's throttle of a file's 'change' events (50 ms, no trailing event), and a margin. */
const WATCHER_THROTTLE_MS = 60;

export function createController(options: ControllerOptions): Controller {
  const { dir, addressing, cache, onEvent, debounceMs = 30, burstMs = 3, settleMs = 100, stableMs = 15, recheckMs = 1000, read = (at) => readMeshDir(at, { stat: true }) } = options;
  let serving: { version: string; hash: string; compiled: CompiledMesh; publishedAt: number; sampling?: number } | undefined;
  /** Whether someone watches requests: the proxies log and trace every one (compile/runtime.ts). */
  let watched = false;
  const snapshotsById = new WeakMap<CompiledMesh, Map<string, ProxySnapshot>>();
  let counter = 0;
  let state: Pick<ControlStatus, 'valid' | 'diagnostics' | 'lastChangeAt'> = { valid: false, diagnostics: [] };
  /** The files the state above comes from. */
  let loaded: ReadFiles | undefined;
  /** The files on disk may differ from `loaded` (a change seen, not yet confirmed loaded). */
  let unsettled = false;

  // Changes waiting for the burst to end, and the one reload allowed to run at a time.
  const pending = new Set<string>();
  let firstChangeAt = 0;
  /** When the last change was seen: one within `debounceMs` of it belongs to the same burst. */
  let lastChangeAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let settleTimer: NodeJS.Timeout | undefined;
  let recheckTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  /** Tasks waiting for the one running (see serialized). */
  let queued = 0;
  /** Of those, the reloads of changes (see reload). */
  let reloadsWaiting = 0;
  let closed = false;

  /** The files of the last read known complete, with their stats: what settled() compares with. */
  let taken: readonly SourceFile[] = [];

  /**
   * The files at once when their stats show them complete (settled.ts), else once two reads
   * `stableMs` apart agree. A file caught mid-save (empty, or half written) may well be a valid
   * mesh — one without the routes of that file — and must never be served. A directory rewritten
   * without pause gives up agreeing after a few tries and takes the last read (not as complete:
   * `taken` stays the read before); the read-back after the reload sees what follows.
   */
  async function readFiles(abandon?: () => boolean): Promise<ReadFiles> {
    const take = (files: ReadFiles) => {
      if (!abandon?.()) taken = files.files;
      return files;
    };
    let last = await readOnce();
    if (last.error === undefined && settled(last.files, taken)) return take(last);
    for (let tries = 0; tries < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, stableMs));
      if (abandon?.()) return last;
      const again = await readOnce();
      if (again.hash === last.hash) return take(again);
      last = again;
    }
    return last;
  }

  /** Called when a change is reported: the read-back under way gives way to that change's reload (recheck). */
  let giveWay: (() => void) | undefined;

  async function readOnce(): Promise<ReadFiles> {
    try {
      const files = await read(dir);
      return { hash: filesHash(files), files };
    } catch (error) {
      const message = (error as Error).message;
      return { hash: `unreadable: ${message}`, files: [], error: message };
    }
  }

  /** A reload parses only the files that changed, and compiles only what they changed (compile/memo.ts). */
  const parseCache = new ParseCache();
  const compileMemo = new CompileMemo();

  function validate(files: SourceFile[]): ValidationResult {
    try {
      return loadMeshFromSources(files, dir, undefined, {}, parseCache);
    } catch (error) {
      // A loader bug: no file content may take the control plane down. Name the file it came from.
      const culprit = files.find((file) => {
        try {
          loadMeshFromSources([file], dir);
          return false;
        } catch {
          return true;
        }
      });
      const message = `localmesh failed to read ${culprit ? 'this file' : 'the mesh files'}: ${(error as Error).message}`;
      const hint = 'This is a bug in localmesh, not necessarily in the file: the last good version keeps serving. Please report it with the file.';
      return { diagnostics: [{ file: culprit?.path ?? dir, line: 0, col: 0, severity: 'error', message, hint }] };
    }
  }

  async function load(given?: ReadFiles, force = false): Promise<void> {
    const started = performance.now();
    const files = given ?? (await readFiles());
    loaded = files;
    const took = () => Math.round((performance.now() - started) * 10) / 10;
    const invalid = (diagnostics: Diagnostic[]) => {
      state = { ...state, valid: false, diagnostics };
      onEvent({ type: 'invalid', diagnostics, serving: serving?.version, at: Date.now(), ms: took() });
    };
    if (files.error !== undefined) {
      return invalid([{ file: dir, line: 0, col: 0, severity: 'error', message: `cannot read the mesh directory: ${files.error}` }]);
    }
    const result = validate(files.files);
    // A valid model the compiler or the cache rejects is a bug, but still a reason not to publish.
    const bug = (what: string, error: unknown): Diagnostic[] => error instanceof CredentialError && error.at ? [
      { ...error.at, severity: 'error', message: error.message, hint: error.hint },
      ...result.diagnostics,
    ] : [
      { file: dir, line: 0, col: 0, severity: 'error', message: `the mesh is valid but ${what}: ${(error as Error).message}` },
      ...result.diagnostics,
    ];

    if (!result.model || hasErrors(result.diagnostics)) return invalid(result.diagnostics);
    if (serving && files.hash === serving.hash && !force) {
      state = { ...state, valid: true, diagnostics: result.diagnostics };
      onEvent({ type: 'unchanged', version: serving.version, at: Date.now(), ms: took() });
      return;
    }
    let compiled: CompiledMesh;
    try {
      compiled = compileMesh(result.model, addressing.forModel(result.model), compileMemo);
    } catch (error) {
      return invalid(bug('could not be compiled', error));
    }
    const version = `${counter + 1}-${files.hash.slice(0, 8)}`;
    const proxies = compiled.snapshots.map((s) => s.proxy);
    onEvent({ type: 'compiled', version, proxies, warnings: result.diagnostics.length, at: Date.now(), ms: took() });
    try {
      if (options.secrets) compiled = { snapshots: await options.secrets.fill(result.model, compiled.snapshots) };
    } catch (error) {
      return invalid(bug('its certificates could not be issued', error));
    }
    const sampling = result.model.settings.tracing?.sampling;
    compiled = { snapshots: withRuntime(compiled.snapshots, { watched, sampling }) };
    try {
      cache.setSnapshots(compiled.snapshots); // every snapshot is checked before any is published
    } catch (error) {
      return invalid(bug('the xDS cache refused its snapshots', error));
    }
    for (const old of serving?.compiled.snapshots ?? []) if (!proxies.includes(old.proxy)) cache.clearSnapshot(old.proxy);
    counter++;
    serving = { version, hash: files.hash, compiled, publishedAt: Date.now(), ...(sampling !== undefined ? { sampling } : {}) };
    state = { ...state, valid: true, diagnostics: result.diagnostics };
  }

  /**
   * Runs `task` after the one running (one at a time); a task that throws becomes an 'invalid'
   * event. A task that loaded the files (returns true) has them read back later.
   */
  async function serialized(task: () => Promise<boolean>): Promise<void> {
    // Counted from here, not from when it starts: idle() must not see a gap between the task
    // before and this one.
    queued++;
    while (running) await running;
    queued--;
    running = task()
      .then((reloaded) => {
        if (reloaded) settleLater();
      })
      .catch((error: unknown) => {
        const message = `the control plane failed to reload: ${(error as Error).message}`;
        state = { ...state, valid: false, diagnostics: [{ file: dir, line: 0, col: 0, severity: 'error', message }] };
        onEvent({ type: 'invalid', diagnostics: state.diagnostics, serving: serving?.version, at: Date.now(), ms: 0 });
      })
      .finally(() => (running = undefined));
    return running;
  }

  async function reload(files: string[] = [], changedAt = Date.now()): Promise<void> {
    if (files.length > 0) onEvent({ type: 'changed', files, at: changedAt, ms: Date.now() - changedAt });
    state = { ...state, lastChangeAt: changedAt };
    unsettled = true;
    reloadsWaiting++;
    return serialized(async () => {
      reloadsWaiting--;
      await load();
      return true;
    });
  }

  /**
   * After a reload, read the files back once the watcher's late events are in; see `settleMs`.
   * A save within chokidar's 50 ms of the change before it on the same file may have no event of
   * its own (polling: the raw events that catch it otherwise come from file events; a mesh edited
   * every few tens of ms: a canary's steps, a script): read back as soon as that window has passed
   * since the last event, not `settleMs` after this reload.
   */
  function settleLater(): void {
    clearTimeout(settleTimer);
    settleTimer = undefined;
    if (closed || timer) return; // the burst's reload settles later
    const windowLeft = lastChangeAt + WATCHER_THROTTLE_MS - Date.now();
    settleTimer = setTimeout(() => {
      settleTimer = undefined;
      void recheck();
    }, windowLeft > 0 ? windowLeft : settleMs);
  }

  /** Reads the files; reloads them when they differ from those loaded, else the mesh is settled. */
  function recheck(): Promise<void> {
    // A change seen by the watcher whose reload is due or waiting: that reload loads it (reported
    // once, as the change the watcher saw, not as one it missed). The read-back must not hold that
    // reload up: once such a change is reported it is not awaited (its read, slow under load, goes
    // on, gives up before reading again and is dropped).
    const superseded = () => timer !== undefined || closed || reloadsWaiting > 0;
    return serialized(async () => {
      let gaveWay = false;
      const superseding = new Promise<undefined>((resolve) => (giveWay = () => ((gaveWay = true), resolve(undefined))));
      const now = await Promise.race([readFiles(() => gaveWay || superseded()), superseding]).finally(() => (giveWay = undefined));
      if (now === undefined || superseded()) return false;
      if (now.hash === loaded?.hash) {
        if (pending.size === 0) unsettled = false;
        return false;
      }
      const at = Date.now();
      onEvent({ type: 'changed', files: differing(loaded?.files ?? [], now.files), unreported: true, at, ms: 0 });
      state = { ...state, lastChangeAt: at };
      unsettled = true;
      await load(now);
      return true;
    });
  }

  function flush(): void {
    timer = undefined;
    const files = [...pending].sort();
    pending.clear();
    void reload(files, firstChangeAt);
  }

  function startRechecks(): void {
    if (recheckMs <= 0 || recheckTimer || closed) return;
    recheckTimer = setInterval(() => {
      if (!timer && !running && !settleTimer) void recheck();
    }, recheckMs);
    recheckTimer.unref();
  }

  return {
    async reload(files, changedAt) {
      startRechecks();
      return reload(files, changedAt);
    },
    changed(file) {
      // The same save seen again (a rename and the events around it) while its reload gathers.
      if (timer !== undefined && pending.has(file) && Date.now() - firstChangeAt <= burstMs) return;
      if (pending.size === 0) firstChangeAt = Date.now();
      unsettled = true;
      pending.add(file);
      clearTimeout(settleTimer);
      settleTimer = undefined;
      const now = Date.now();
      const inBurst = timer !== undefined || now - lastChangeAt < debounceMs;
      lastChangeAt = now;
      clearTimeout(timer);
      timer = setTimeout(flush, inBurst ? debounceMs : burstMs);
      giveWay?.();
    },
    refresh: () =>
      serialized(async () => {
        if (!loaded) return false;
        await load(loaded, true);
        return false;
      }),
    setWatched: (on) =>
      serialized(async () => {
        watched = on;
        if (!serving) return false;
        const snapshots = withRuntime(serving.compiled.snapshots, { watched, ...(serving.sampling !== undefined ? { sampling: serving.sampling } : {}) });
        cache.setSnapshots(snapshots);
        serving = { ...serving, compiled: { snapshots } };
        return false;
      }),
    async idle() {
      while (timer || running || queued > 0 || settleTimer) await (running ?? new Promise((r) => setTimeout(r, Math.min(debounceMs, settleMs))));
    },
    status: () => ({
      dir,
      version: serving?.version,
      publishedAt: serving?.publishedAt,
      ...state,
      pending: unsettled,
      proxies: serving?.compiled.snapshots.map((s) => s.proxy) ?? [],
    }),
    snapshot(proxy) {
      // By id, made once per version serving: the scraper asks for every proxy every second.
      if (!serving) return undefined;
      let byId = snapshotsById.get(serving.compiled);
      if (!byId) snapshotsById.set(serving.compiled, (byId = new Map(serving.compiled.snapshots.map((s) => [s.proxy, s]))));
      return byId.get(proxy);
    },
    close() {
      closed = true;
      for (const t of [timer, settleTimer]) clearTimeout(t);
      clearInterval(recheckTimer);
      timer = settleTimer = recheckTimer = undefined;
      pending.clear();
    },
  };
}

/** The paths added, removed or changed between two reads of the files. */
function differing(before: readonly SourceFile[], after: readonly SourceFile[]): string[] {
  const old = new Map(before.map((f) => [f.path, f.text]));
  const now = new Map(after.map((f) => [f.path, f.text]));
  return [...new Set([...old.keys(), ...now.keys()])].filter((path) => old.get(path) !== now.get(path)).sort();
}

/** The hash of a set of mesh files (paths and contents); a version's `HASH` is its first 8 digits. */
export function filesHash(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.path).update('\0').update(file.text).update('\0');
  return hash.digest('hex');
}
