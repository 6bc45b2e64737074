// Free TCP ports on 127.0.0.1 for tests: the process runtime's own allocator.
export { freePorts } from '../../src/runtime/ports.ts';
