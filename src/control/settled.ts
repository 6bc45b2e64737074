// Whether a read of the mesh files can be taken at once, without the second read `stableMs`
// later that the controller otherwise waits for. That wait guards against a file caught mid-save:
// a save in place truncates the file, then writes it; a delete-and-recreate save (vim's and
// emacs's default: rename the file away, write a new one) leaves it absent, then half written.
// Either may be a valid mesh without that file's routes. A file renamed into place is complete the
// moment it appears, and its stat says so:
//
// - Every write to a file's data sets its mtime and ctime to the same time; a metadata change
//   (rename, chmod, link) sets the ctime alone. A ctime later than the mtime: nothing was written
//   since the last metadata change. With another inode than the path had at the last read (a
//   rename brings its own inode; a save in place, even with a chmod midway, keeps it) and some
//   text (every save starts empty), that is a file renamed into place.
// - A file whose stat and text are those of the last read known complete did not change since.
// - A file gone since the last read may be the first step of a delete-and-recreate save.
// - A file whose stat changed while it was read has none (config/load.ts).
//
// A save in place and a new file written where it stands keep ctime == mtime at every step, as
// does a filesystem with coarse timestamps, and so does many a rename right after the write: the
// kernel's clock ticks every 1-10 ms (Linux since 6.13 gives a finer time once the file was
// stat'ed). Those are read twice, as before; config/apply-edit.ts makes its own saves qualify.
// Not caught: a writer that, at the file's final path, changes its metadata between creating it
// and writing the rest (open, write part, fchmod, write). The read-back after each reload loads
// what follows.
import { sameStat, type SourceFile } from '../config/load.ts';

/** Whether every file of `read` is known complete; `last` is the last read known complete (empty if none). */
export function settled(read: readonly SourceFile[], last: readonly SourceFile[]): boolean {
  const before = new Map(last.map((file) => [file.path, file]));
  const paths = new Set(read.map((file) => file.path));
  if (last.some((file) => !paths.has(file.path))) return false;
  return read.every(({ path, text, stat }) => {
    if (!stat) return false;
    const prior = before.get(path);
    if (prior?.stat && sameStat(prior.stat, stat) && prior.text === text) return true;
    const otherInode = prior === undefined || (prior.stat !== undefined && (prior.stat.dev !== stat.dev || prior.stat.ino !== stat.ino));
    return stat.ctimeNs > stat.mtimeNs && otherInode && stat.size > 0n;
  });
}
