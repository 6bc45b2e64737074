// The processes under a process runtime keeper, from /proc: what a user's `kill -9` hits.
import { readdir, readFile } from 'node:fs/promises';

/**
 * The pid of the real process (Envoy, node) the keeper `sh` of the recorded process runs; waits
 * up to `waitMs` for it (a keeper just started by a restart may not have forked its command yet).
 */
export async function realPid(keeper: number, waitMs = 3000): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await childOf(keeper);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no process under the keeper ${keeper} within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function childOf(keeper: number): Promise<number | undefined> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(pid), Number(fields[1]));
    names.set(Number(pid), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
  }
  let level = [keeper];
  while (level.length > 0) {
    const found = level.find((pid) => pid !== keeper && names.get(pid) !== 'sh');
    if (found) return found;
    level = [...parents].filter(([, parent]) => level.includes(parent)).map(([pid]) => pid);
  }
  return undefined;
}
