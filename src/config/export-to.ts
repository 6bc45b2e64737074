// Istio's rules for `exportTo` (VirtualService, DestinationRule, ServiceEntry): each entry is `.`
// (the resource's own namespace), `*` (every namespace), `~` (none) or a namespace name; no entry
// twice (`.` and the namespace's own name are the same entry); `*` and `~` stand alone. Absent, a
// resource is exported to every namespace (Istio's default). Which namespaces see what is decided
// by config/namespace-view.ts from `exportScope`.
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

/** The namespaces a resource is exported to: `'*'` for every one, else their names (none for `~`). */
export type ExportScope = '*' | ReadonlySet<string>;

export function exportScope(exportTo: readonly string[] | undefined, namespace: string): ExportScope {
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return '*';
  return new Set(exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? namespace : e)));
}

export function isExportedTo(scope: ExportScope, namespace: string): boolean {
  return scope === '*' || scope.has(namespace);
}

/** Whether some namespace sees both. */
export function scopesOverlap(a: ExportScope, b: ExportScope): boolean {
  if (a === '*') return b === '*' || b.size > 0;
  if (b === '*') return a.size > 0;
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}
