// The control plane's Node options join those the user's environment already gives.
import { describe, expect, it } from 'vitest';
import { controlEnv, CONTROL_NODE_OPTIONS } from '../../../src/control/node-options.ts';

describe('controlEnv', () => {
  it("adds the control plane's NODE_OPTIONS after any given, keeping the rest of the environment", () => {
    expect(controlEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', NODE_OPTIONS: CONTROL_NODE_OPTIONS });
    expect(controlEnv({ NODE_OPTIONS: ' --enable-source-maps ' }).NODE_OPTIONS).toBe(`--enable-source-maps ${CONTROL_NODE_OPTIONS}`);
    expect(controlEnv({ NODE_OPTIONS: '' }).NODE_OPTIONS).toBe(CONTROL_NODE_OPTIONS);
  });
});
