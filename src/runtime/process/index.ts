// The process runtime as a Runtime: everything as processes on 127.0.0.1, no Docker needed;
// its run is DIR/.mesh/process/state.json, its logs DIR/.mesh/process/logs/ (kept after down).
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Runtime } from '../contract.ts';
import { codeWatchOn, readWatchFile, setCodeWatch } from '../inner-loop.ts';
import { lastLines } from '../log-tail.ts';
import { logFiles, showLogs } from './logs.ts';
import { readState, statePaths, type ProcessRunState } from './state.ts';
import { alive } from './supervise.ts';
import { superviseRun } from './supervise-run.ts';
import { downProcesses, upProcesses } from './up.ts';

/**
 * The directories whose control plane runs as a process here, by its command line
 * (`mesh control --dir DIR … --addressing DIR/.mesh/process/addressing.json`, from /proc).
 */
async function controlPlanesRunning(): Promise<string[]> {
  const dirs: string[] = [];
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const at = argv.indexOf('--dir');
    const dir = at > 0 && argv.includes('control') ? argv[at + 1] : undefined;
    if (dir && argv.includes(statePaths(dir).portMap)) dirs.push(dir);
  }
  return dirs;
}

export function processRuntime(): Runtime<ProcessRunState> {
  return {
    name: 'process',
    title: 'the process runtime',
    detect: async () => ({ ok: true, why: 'The process runtime needs no Docker' }),
    up: (model, dir, options) => upProcesses(model, dir, options),
    state: readState,
    down: (dir, { say }) => downProcesses(dir, say),
    where: () => 'processes',
    facts: () => ({}),
    hostPath: (_state, file) => file,
    codeWatch: (state) => codeWatchOn(statePaths(state.dir).watch),
    setCodeWatch: (state, on) => setCodeWatch(statePaths(state.dir).watch, on),
    workloads: async (state) => {
      const loops = (await readWatchFile(statePaths(state.dir).watch).catch(() => undefined))?.versions ?? {};
      return [
      ...state.processes.map((p) => {
        const running = alive(p);
        const loop = p.role === 'app' ? loops[p.name] : undefined;
        return {
          name: p.name, state: running ? 'running' : 'stopped', running, restarts: p.restarts ?? 0,
          ...(p.gaveUp ? { problem: p.gaveUp } : {}), ...(loop ? { loop } : {}),
        };
      }),
      // Listed only when it is gone: then nothing restarts what crashes.
      ...(state.supervisor && !alive(state.supervisor)
        ? [{
            name: 'mesh-supervisor', state: 'stopped', running: false,
            problem: `The supervisor of this run is gone (log: ${statePaths(state.dir).log('mesh-supervisor')}): crashed processes are not restarted until mesh up -d reconciles the run (it starts a new supervisor).`,
          }]
        : []),
      ];
    },
    async logs(dir, options) {
      const names = (await logFiles(dir)).map((f) => basename(f, '.log'));
      if (names.length === 0) return undefined;
      const shown = await showLogs(dir, options);
      if (shown === 0) throw new Error(`no logs for ${options.filter} in ${statePaths(dir).logs}; NAME is a service or one of ${names.join(', ')}.`);
      return 0;
    },
    supervise: superviseRun,
    keptLogs: (dir) => statePaths(dir).logs,
    logTail: (dir, name, lines) => lastLines(statePaths(dir).log(name), lines).catch(() => undefined),
    running: controlPlanesRunning,
  };
}
