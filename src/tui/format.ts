// Text pieces the panes are drawn with: weight bars, sparklines, numbers that keep their width;
// and the plain-text table that the dashboard's summary and the CLI's commands print.

const SPARKS = '▁▂▃▄▅▆▇█';

/** A bar of `width` cells, `percent` of them filled. */
export function bar(percent: number, width: number): string {
  const cells = Math.max(0, width);
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * cells);
  return '█'.repeat(filled) + '░'.repeat(cells - filled);
}

/** The last `width` values as a sparkline scaled to their maximum (blank when all are zero). */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const recent = values.slice(-width);
  const max = Math.max(0, ...recent);
  const line = recent.map((v) => (max > 0 ? SPARKS[Math.min(SPARKS.length - 1, Math.floor((v / max) * (SPARKS.length - 1)))]! : ' ')).join('');
  return line.padStart(width);
}

export const percent = (share: number | null): string => (share === null ? '-' : `${Math.round(share * 100)}%`);

export function ms(value: number | null): string {
  if (value === null) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(1)}s` : value >= 10 ? `${Math.round(value)}ms` : `${value.toFixed(1)}ms`;
}

export function rate(rps: number): string {
  return rps >= 100 ? String(Math.round(rps)) : rps.toFixed(1);
}

/** Fit `text` into `width` cells: cut with an ellipsis, or padded with spaces. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);
}

/** `text` in lines of at most `width` cells, broken at spaces; a word longer than a line is cut. */
export function wrapWords(text: string, width: number): string[] {
  if (width <= 0) return [];
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line) lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Columns padded to their widest cell, two spaces apart, header first (as istioctl prints). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : (cell ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}
