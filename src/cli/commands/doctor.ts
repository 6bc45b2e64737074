import { loadMesh } from '../../config/index.ts';
import type { Check, Runtimes } from '../../runtime/contract.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh doctor [DIR]

Checks what the Compose runtime needs, each problem as a sentence: a Docker engine answering,
Compose (docker compose v2 or docker-compose v1), the images on this machine (localmesh never
pulls), NET_ADMIN for the capture rules, and for the mesh in DIR (default: the current
directory, when it holds one) its gateway ports free and no container or network of something
else under its names. Exits 1 when a check fails.

Options:
  --dir DIR   the mesh directory, as DIR (one or the other)
  -h, --help  show this help`;

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export async function run(dir: string, runtimes: Runtimes): Promise<number> {
  const { model } = await loadMesh(dir).catch(() => ({ model: undefined }));
  const checks: Check[] = [];
  for (const runtime of runtimes.all) if (runtime.doctor) checks.push(...(await runtime.doctor(dir, model)));
  for (const check of checks) console.log(`${MARK[check.level]}  ${check.text}`);
  const failed = checks.filter((c) => c.level === 'fail').length;
  console.log(failed ? `${failed} problem${failed === 1 ? '' : 's'} found.` : 'Ready for mesh up (Compose runtime).');
  return failed ? EXIT.invalid : EXIT.ok;
}
