// Minimal Aedes broker for bench/mqtt.mjs: default in-memory persistence,
// plain TCP, no authentication.  node bench/aedes-server.mjs PORT [HOST]
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const host = process.argv[3] ?? '127.0.0.1';
const broker = await Aedes.createBroker();
broker.on('clientError', () => {});
const server = net.createServer(broker.handle);
server.listen(port, host, () => {
  process.stdout.write(`aedes ${broker.version} listening on ${host}:${port} (pid ${process.pid})\n`);
});
process.on('SIGTERM', () => process.exit(0));
