// `mesh up --watch` on the process runtime: a change under a version's `watch:` paths restarts
// that version's app only (restart.ts: the new process serves before the old one stops). The app
// runs from the mesh directory on the host, so `sync` and `sync+restart` are a restart, and
// `rebuild` runs the command again (there is no image to build).
import type { MeshModel } from '../../config/model.ts';
import { startInnerLoop, watchLines } from '../inner-loop.ts';
import type { WatchRule } from '../watch-rules.ts';
import { watchRules } from '../watch-rules.ts';
import { restartApp } from './restart.ts';
import { statePaths } from './state.ts';
import type { Supervisor } from './supervise.ts';

const EXPLAIN: Record<string, string> = {
  sync: 'the app runs from the folder itself: a restart',
  'sync+restart': 'the app runs from the folder itself: a restart',
  rebuild: 'no image in the process runtime: the command runs again',
};

const explain = (rule: WatchRule) => EXPLAIN[rule.action];

/** What `mesh up -d --watch` will watch (its supervisor does the watching), one line each. */
export const watchSummary = (model: MeshModel, meshDir: string): string[] => watchLines(watchRules(model, meshDir), meshDir, explain);

/** `on`: whether changes are acted on from the start (`mesh up --watch`); the dashboard switches it. */
export function watchProcesses(meshDir: string, dir: string, supervisor: Supervisor, say: (line: string) => void, on: boolean, poll?: boolean) {
  return startInnerLoop({
    meshDir,
    on,
    file: statePaths(dir).watch,
    say,
    poll,
    explain,
    act: async (change, signal) => {
      const { healthyMs, servingMs } = await restartApp(change.rule.proxy, { dir, supervisor, since: change.savedAt, signal });
      return { healthyMs, servingMs };
    },
  });
}
