// Istio's rules for `exportTo` (VirtualService, DestinationRule): each entry is `.` (the resource's
// own namespace), `*` (every namespace), `~` (none) or a namespace name; no entry twice (`.` and
// the namespace's own name are the same entry); `*` and `~` stand alone. localmesh makes every
// resource visible mesh-wide (a warning elsewhere says so), but a list Istio rejects is an error.
import { isDnsLabel } from './dns.ts';
import type { SourceDocument } from './load.ts';
import { valueAt, type Path } from './position.ts';
import type { Report } from './report.ts';

export function checkExportTo(source: SourceDocument, path: Path, namespace: string, exportTo: readonly string[] | undefined, report: Report): void {
  if (!exportTo) return;
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    const at = valueAt(source, [...path, i]);
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) {
      report('error', at, entry === key ? `exportTo lists '${entry}' twice` : `exportTo lists '.' and its own namespace '${namespace}', the same entry twice`);
      return;
    }
    seen.add(key);
    if (key !== '*' && key !== '~' && !isDnsLabel(key)) {
      report('error', at, `exportTo entry '${entry}' is not ., *, ~ or a namespace name`);
    } else if ((key === '*' || key === '~') && exportTo.length > 1) {
      report('error', at, `exportTo '${entry}' cannot be listed with other entries`, key === '*' ? "'*' already exports to every namespace" : "'~' exports to no namespace");
    }
  });
}
