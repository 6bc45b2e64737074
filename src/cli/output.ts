// How the CLI prints: diagnostics to stderr as `FILE:LINE:COL: error: message`, and a summary.
import type { Diagnostic } from '../config/diagnostics.ts';
import { formatDiagnostic, sortDiagnostics } from '../config/diagnostics.ts';

export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of sortDiagnostics(diagnostics)) console.error(formatDiagnostic(d));
}

export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** A mistake in how the command was called: a sentence, and the usage line to fix it. */
export class UsageError extends Error {}

export { table } from '../tui/format.ts';
