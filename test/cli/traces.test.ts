// `mesh traces` without a running mesh: a wrong argument is a usage error naming it, no control
// plane is one sentence.
import { describe, expect, it } from 'vitest';
import { mesh } from '../integration/process/harness.ts';

describe('mesh traces', () => {
  it('says what is wrong with an argument (exit 2)', async () => {
    for (const [args, message] of [
      [['--min-duration', 'soon'], '--min-duration soon is not a duration such as 50ms or 1.5s.'],
      [['--limit', '0'], '--limit 0 is not a positive whole number.'],
      [['-o', 'yaml'], '-o yaml is not an output format; use -o json.'],
      [['abc', '--export', 'x.json'], '--export writes the traces listed; give it no TRACE_ID.'],
    ] as const) {
      const run = await mesh('traces', ...args, '--api', 'http://127.0.0.1:3');
      expect([run.code, run.stderr.split('\n')[0]], args.join(' ')).toEqual([2, `mesh traces: ${message}`]);
    }
  });

  it('says in a sentence that no control plane answers (exit 1)', async () => {
    const run = await mesh('traces', '--api', 'http://127.0.0.1:3');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mesh traces: No control plane answers at http:\/\/127\.0\.0\.1:3 \(ECONNREFUSED\)\. .*\n$/);
  });
});
