// node:http, loaded with require. Imported as an ES module, Node builds its facade by reading every
// export, and reading `WebSocket` (a lazy export of node:http since Node 22.4) loads undici, the
// engine of fetch: about 13 MB resident that the control plane never uses (measured on Node 24:
// 59 MB against 46 MB for a process that only loads node:http).
import { createRequire } from 'node:module';

export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
