// `mesh ui` without a control plane to show: a sentence and exit 1, no browser opened.
import { describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.ts';
import { mesh } from '../integration/process/harness.ts';

describe('mesh ui', () => {
  it('says no control plane answers, in a sentence', async () => {
    const [port] = await freePorts(1);
    const run = await mesh('ui', '--no-open', '--api', `http://127.0.0.1:${port}`, 'examples/canary');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^mesh ui: No control plane answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Start one/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
