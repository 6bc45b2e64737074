// One Diagnostic type for the CLI, the control plane and the TUI: a user mistake is a value
// with a location and a hint, never a stack trace.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  /** 1-based line and column; 0 when the problem has no place in a file (e.g. an empty directory). */
  line: number;
  col: number;
  severity: Severity;
  message: string;
  hint?: string;
  /** Istio's analysis code when Istio's analyzer reports the same (IST0101 …); shown by `mesh validate --analyze`. */
  code?: string;
  /**
   * The document it points into is left out of the mesh because of it (an unknown kind, a field
   * its schema does not know). Findings elsewhere may follow from that document's absence (a
   * misspelt `subsets:` makes every route to those subsets fail), so this one is listed first.
   */
  rejectsDocument?: true;
}

/**
 * `FILE:LINE:COL: error|warning: message` and, on the next line, the hint; with Istio's code,
 * `FILE:LINE:COL: error|warning [IST0101] message`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const head = d.code ? `${where}: ${d.severity} [${d.code}] ${d.message}` : `${where}: ${d.severity}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Errors first, causes (rejectsDocument) before what may follow from them, then by file and position. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      Number(b.rejectsDocument ?? false) - Number(a.rejectsDocument ?? false) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.col - b.col,
  );
}
