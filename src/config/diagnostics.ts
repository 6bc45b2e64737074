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
}

/** `FILE:LINE:COL: error|warning: message` and, on the next line, the hint. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const head = `${where}: ${d.severity}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Errors first, then by file and position, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.col - b.col,
  );
}
