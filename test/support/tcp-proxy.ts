import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free port of 127.0.0.1 in front of a local server, for tests that partition one client from
 * it: `freeze` holds back what the server sends (the client hears nothing, as behind a stalled network) and
 * `cut` drops every connection with what was held.
 */
export class TcpProxy {
  private frozen = false;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; held: Buffer[] }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a proxy to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** From now on, what the server sends is held back (connections stay open). */
  freeze(): void {
    this.frozen = true;
  }

  /** Passes data again, for connections made from now on (a cut dropped the others). */
  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
  }

  /** Drops every connection, and with them whatever was held back. */
  cut(): void {
    for (const pair of this.pairs) {
      pair.held.length = 0;
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((ok) => this.server.close(ok));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, held: [] as Buffer[] };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => (this.frozen ? pair.held.push(chunk) : client.write(chunk)));
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
  }
}
