// Preloaded (node --require) into the dev chain (`hardhat node`, chain.ts). Node's HTTP clients (Node ≥ 19's global
// agent, which ethers uses) keep an idle connection 5 s, and Node's HTTP servers close one after the same 5 s: a
// request written on a connection the server is closing at that moment fails with "socket hang up" (ECONNRESET).
// Seen in a test on a loaded 2-core machine. The chain's server keeps idle connections longer than any client does,
// so the client always closes first and never writes on a closing socket.
const http = require('node:http');

const KEEP_ALIVE_MS = 65_000;
const createServer = http.createServer;
http.createServer = function keepAliveServer(...args) {
  const server = createServer.apply(this, args);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000; // must exceed keepAliveTimeout
  return server;
};
