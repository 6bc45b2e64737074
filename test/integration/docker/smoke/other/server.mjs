// The called service: answers who it is and who called (the peer address it saw).
import { createServer } from 'node:http';
createServer((req, res) => res.end(`other: ${req.method} ${req.url} from ${req.socket.remoteAddress}\n`)).listen(9080);
