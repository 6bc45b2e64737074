// The meshed app: unchanged code that serves on 9080 and calls `other` by its plain name.
import { createServer } from 'node:http';
createServer(async (req, res) => {
  if (req.url === '/call') {
    const r = await fetch('http://other:9080/from-app');
    res.end(`app called other: ${r.status} server=${r.headers.get('server')} ${await r.text()}`);
  } else res.end(`app: ${req.method} ${req.url}\n`);
}).listen(9080);
