// The dashboard as a program: the store, the effects and the ink app wired together. The app
// passes the terminal's size into the state, maps keys to actions, hands the terminal to
// $EDITOR when asked, and renders <Dashboard> from the state.
import { spawn } from 'node:child_process';
import { render, useApp, useInput, useWindowSize } from 'ink';
import { createElement as h, Fragment, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { Dashboard } from './dashboard.ts';
import type { Runtimes } from '../runtime/contract.ts';
import { startEffects } from './effects.ts';
import { initialState, keyToAction, type Action, type DashboardState } from './state.ts';
import { createStore, type Store } from './store.ts';

/** Reads keys and tells what they mean for the state; renders nothing. */
export function KeyInput({ state, onAction }: { state: DashboardState; onAction(action: Action): void }): ReactNode {
  useInput((input, key) => {
    const action = keyToAction(state, input, key);
    if (action) onAction(action);
  });
  return null;
}

interface EditorPort {
  open(file: string, line: number): Promise<void>;
}

function App({ store, editor }: { store: Store; editor: EditorPort }): ReactNode {
  const state = useSyncExternalStore((changed) => store.subscribe(() => changed()), store.getState);
  const { exit, suspendTerminal } = useApp();
  const { columns, rows } = useWindowSize();
  useEffect(() => store.dispatch({ type: 'resize', width: columns, height: rows }), [columns, rows]);
  useEffect(() => {
    editor.open = (file, line) => suspendTerminal(() => runEditor(file, line));
  }, [suspendTerminal]);
  return h(
    Fragment,
    null,
    h(KeyInput, { state, onAction: (action) => (action.type === 'quit' ? exit() : store.dispatch(action)) }),
    h(Dashboard, { state }),
  );
}

/** $VISUAL or $EDITOR (else vi) on `file` at `line`; rejects with a sentence when it cannot run or fails. */
function runEditor(file: string, line: number): Promise<void> {
  const command = process.env.VISUAL || process.env.EDITOR || 'vi';
  const [program, ...args] = command.split(/\s+/);
  return new Promise((resolve, reject) => {
    const child = spawn(program!, [...args, `+${line}`, file], { stdio: 'inherit' });
    child.on('error', (error) => reject(new Error(`${command} did not start (${(error as NodeJS.ErrnoException).code ?? error.message}); set $EDITOR`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

export async function runDashboard(options: { api: string; dir?: string; runtimes: Runtimes }): Promise<void> {
  const { runtimes, ...where } = options;
  const store = createStore(
    initialState({ ...where, width: process.stdout.columns, height: process.stdout.rows }),
  );
  const editor: EditorPort = { open: async () => undefined };
  const effects = startEffects({ store, runtimes, openEditor: (file, line) => editor.open(file, line) });
  // Interactive even where CI is set: the caller checked that this is a terminal.
  const instance = render(h(App, { store, editor }), { interactive: true, alternateScreen: true, exitOnCtrlC: false, maxFps: 20 });
  try {
    await instance.waitUntilExit();
  } finally {
    effects.stop();
  }
}
