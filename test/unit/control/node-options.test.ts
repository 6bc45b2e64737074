// The control plane's Node options join those the user's environment already gives; its malloc
// setting applies unless the environment sets one.
import { describe, expect, it } from 'vitest';
import { controlCommand, controlEnv, CONTROL_MALLOC_ARENA_MAX, CONTROL_NODE_FLAG, CONTROL_NODE_OPTIONS } from '../../../src/control/node-options.ts';

describe('controlEnv', () => {
  it("adds the control plane's NODE_OPTIONS after any given, keeping the rest of the environment", () => {
    expect(controlEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', NODE_OPTIONS: CONTROL_NODE_OPTIONS, MALLOC_ARENA_MAX: CONTROL_MALLOC_ARENA_MAX });
    expect(controlEnv({ NODE_OPTIONS: ' --enable-source-maps ' }).NODE_OPTIONS).toBe(`--enable-source-maps ${CONTROL_NODE_OPTIONS}`);
    expect(controlEnv({ NODE_OPTIONS: '' }).NODE_OPTIONS).toBe(CONTROL_NODE_OPTIONS);
  });

  it('keeps a MALLOC_ARENA_MAX the environment gives', () => {
    expect(controlEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
    expect(controlEnv({ MALLOC_ARENA_MAX: '' }).MALLOC_ARENA_MAX).toBe(CONTROL_MALLOC_ARENA_MAX);
  });
});

describe('controlCommand', () => {
  it("puts the control plane's V8 flag between node and the script (NODE_OPTIONS does not take it)", () => {
    expect(controlCommand(['/usr/bin/node', 'mesh.js', 'control', '--dir', 'd'])).toEqual(['/usr/bin/node', CONTROL_NODE_FLAG, 'mesh.js', 'control', '--dir', 'd']);
  });
});
