// Runs in `other` (`exec other node call.mjs URL`): one plain call, prints status, server header, body.
const res = await fetch(process.argv[2]);
console.log(`${res.status} server=${res.headers.get('server')} ${(await res.text()).trim()}`);
