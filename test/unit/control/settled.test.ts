// When a read of the mesh files is taken without a second one: each clause of the rule.
import { describe, expect, it } from 'vitest';
import type { FileStat, SourceFile } from '../../../src/config/load.ts';
import { settled } from '../../../src/control/settled.ts';

const written: FileStat = { dev: 1n, ino: 10n, size: 5n, mtimeNs: 1000n, ctimeNs: 1000n };
/** What a rename into place leaves: another inode, its ctime after its mtime. */
const renamed: FileStat = { dev: 1n, ino: 11n, size: 5n, mtimeNs: 1000n, ctimeNs: 2000n };
const file = (stat: FileStat | undefined, text = 'x: 1\n', path = 'a.yaml'): SourceFile => ({ path, text, ...(stat ? { stat } : {}) });

describe('settled', () => {
  it('takes a file renamed into place, and one unchanged since the last read', () => {
    expect(settled([file(renamed)], [file(written)])).toBe(true);
    expect(settled([file(renamed)], [])).toBe(true); // the first read
    expect(settled([file(written)], [file(written)])).toBe(true);
  });

  it('reads twice a file written where it stands (ctime == mtime): a save in place, a new file', () => {
    expect(settled([file({ ...written, size: 7n, mtimeNs: 3000n, ctimeNs: 3000n })], [file(written)])).toBe(false);
    expect(settled([file(written)], [])).toBe(false);
  });

  it('reads twice a file with the same stat but another text (written within one timestamp tick)', () => {
    expect(settled([file(written, 'x: 2\n')], [file(written)])).toBe(false);
  });

  it('reads twice a save in place with a chmod midway (the same inode), and an empty file', () => {
    expect(settled([file({ ...renamed, ino: 10n })], [file(written)])).toBe(false);
    expect(settled([file({ ...renamed, size: 0n }, '')], [file(written)])).toBe(false);
  });

  it('reads twice when a file is gone (a delete-and-recreate save), has no stat, or had none last time', () => {
    expect(settled([file(written)], [file(written), file(written, 'y: 1\n', 'b.yaml')])).toBe(false);
    expect(settled([file(undefined)], [file(written)])).toBe(false);
    expect(settled([file(renamed)], [file(undefined)])).toBe(false);
  });
});
