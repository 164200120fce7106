// A separate process running the `ably` SDK, for tests that kill a client abruptly (SIGKILL) or recover a
// connection "from a new process". Config comes as JSON in argv[2]:
//   { port, key, clientId?, channel, enter?: data, subscribe?: boolean, useBinaryProtocol?: boolean }
// It prints one JSON line per event: {"connected": id}, {"attached": true}, {"message": data, "recoveryKey": ...}.
import * as Ably from 'ably';

const cfg = JSON.parse(process.argv[2]);
const client = new Ably.Realtime({
  key: cfg.key,
  ...(cfg.clientId ? { clientId: cfg.clientId } : {}),
  endpoint: '127.0.0.1',
  port: cfg.port,
  tls: false,
  logLevel: 0,
  useBinaryProtocol: cfg.useBinaryProtocol ?? true,
});
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
client.connection.once('connected', () => say({ connected: client.connection.id }));
const channel = client.channels.get(cfg.channel);
if (cfg.subscribe) {
  await channel.subscribe((m) => say({ message: m.data, recoveryKey: client.connection.createRecoveryKey() }));
} else {
  await channel.attach();
}
if (cfg.enter !== undefined) await channel.presence.enter(cfg.enter);
say({ attached: true, recoveryKey: client.connection.createRecoveryKey() });
setInterval(() => {}, 1 << 30);
