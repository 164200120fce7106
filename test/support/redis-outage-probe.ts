import * as Ably from 'ably';
import { clientOptions, type TestRowcast } from './rowcast.ts';

/** How long before a discontinuity signal a message may have been sent for the signal to account for its loss. */
const EXPLAINS_MS = 15_000;

/** One publish of the probe: sent at `sentAt`, then acknowledged or refused. */
interface Sent {
  data: string;
  sentAt: number;
  state: 'pending' | 'acked' | 'refused';
}

/** A subscriber of the probe's channel on one node, with what it saw. */
interface Watcher {
  name: string;
  client: Ably.Realtime;
  received: string[];
  /** Discontinuity signals (UPDATE with resumed: false): when, and the error code they carried. */
  signals: Array<{ at: number; code?: number }>;
  /** Channel states other than attached it went through (should stay empty). */
  otherStates: string[];
  /** Presence events seen once every member had entered (`action:clientId`): members that stay should cause none. */
  presenceEvents: Array<{ at: number; event: string }>;
}

/**
 * Traffic and observers for tests that take Redis away under a two-node cluster: one publisher per node
 * publishing on one channel at a steady rate (`ratePerSecond` in all), one subscriber per node, and three
 * presence members spread over the nodes. `verify` checks what a user would: every acknowledged message
 * reached each subscriber exactly once and in its publisher's order, unless that subscriber was told the
 * channel lost continuity (UPDATE with resumed: false) after the message was sent.
 */
export class RedisOutageProbe {
  readonly memberIds = ['member-a1', 'member-a2', 'member-b1'];
  private readonly sent = new Map<string, Sent>();
  private readonly settled: Array<Promise<unknown>> = [];
  private readonly watchers: Watcher[] = [];
  private readonly clients: Ably.Realtime[] = [];
  private timers: NodeJS.Timeout[] = [];
  private membersIn = false;

  private constructor(
    private readonly nodes: TestRowcast[],
    readonly channelName: string,
  ) {}

  /** Connects the clients: subscribers first, then members, then publishers. */
  static async start(nodes: TestRowcast[], channelName: string): Promise<RedisOutageProbe> {
    const probe = new RedisOutageProbe(nodes, channelName);
    for (const [i, node] of nodes.entries()) {
      const client = await probe.connect(node);
      const watcher: Watcher = { name: `subscriber on node ${i}`, client, received: [], signals: [], otherStates: [], presenceEvents: [] };
      const channel = client.channels.get(channelName);
      channel.on('update', (change) => {
        if (!change.resumed) watcher.signals.push({ at: Date.now(), code: change.reason?.code });
      });
      await channel.subscribe((m) => void watcher.received.push(m.data as string));
      await channel.presence.subscribe((m) => {
        if (probe.membersIn) watcher.presenceEvents.push({ at: Date.now(), event: `${m.action}:${m.clientId}` });
      });
      channel.on((change) => {
        if (change.current !== 'attached') watcher.otherStates.push(`${change.current} (${change.reason?.code ?? 'no error'})`);
      });
      client.connection.on((change) => {
        if (change.current !== 'connected')
          watcher.otherStates.push(`connection ${change.current} (${change.reason?.code ?? 'no error'}: ${change.reason?.message ?? ''})`);
      });
      probe.watchers.push(watcher);
    }
    const homes = [0, 0, 1];
    for (const [i, clientId] of probe.memberIds.entries()) {
      const member = await probe.connect(nodes[homes[i]], { clientId });
      await member.channels.get(channelName).presence.enter({ member: clientId });
    }
    for (const w of probe.watchers) {
      const channel = w.client.channels.get(channelName);
      for (;;) {
        if ((await channel.presence.get()).length === probe.memberIds.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.membersIn = true;
    return probe;
  }

  /** Starts one publisher per node, `ratePerSecond` messages per second in all. */
  async startPublishing(ratePerSecond: number): Promise<void> {
    for (const [i, node] of this.nodes.entries()) {
      const channel = (await this.connect(node)).channels.get(this.channelName);
      await channel.attach();
      let n = 0;
      const every = Math.round((1000 * this.nodes.length) / ratePerSecond);
      this.timers.push(
        setInterval(() => {
          const data = `p${i}:${n++}`;
          const sent: Sent = { data, sentAt: Date.now(), state: 'pending' };
          this.sent.set(data, sent);
          this.settled.push(
            channel.publish('m', data).then(
              () => void (sent.state = 'acked'),
              () => void (sent.state = 'refused'),
            ),
          );
        }, every),
      );
    }
  }

  /** Stops publishing and waits for every publish to be acknowledged or refused. */
  async stopPublishing(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.settled);
  }

  /** Counts of publishes by outcome. */
  counts(): Record<Sent['state'], number> {
    const out = { pending: 0, acked: 0, refused: 0 };
    for (const s of this.sent.values()) out[s.state]++;
    return out;
  }

  /** Whether every subscriber received the last acknowledged message of each publisher (all that can still come). */
  caughtUp(): boolean {
    const last = new Map<string, string>();
    for (const s of this.sent.values()) if (s.state === 'acked') last.set(s.data.split(':')[0], s.data);
    return this.watchers.every((w) => [...last.values()].every((data) => w.received.includes(data)));
  }

  /** Acknowledged messages each subscriber did not receive. */
  missing(): Array<{ name: string; count: number }> {
    const acked = [...this.sent.values()].filter((s) => s.state === 'acked');
    return this.watchers.map((w) => ({ name: w.name, count: acked.filter((s) => !w.received.includes(s.data)).length }));
  }

  /** Discontinuity signals per subscriber. */
  signals(): Array<{ name: string; signals: Watcher['signals'] }> {
    return this.watchers.map((w) => ({ name: w.name, signals: w.signals }));
  }

  /**
   * What a user would call wrong, per subscriber: a duplicate, a publisher's messages out of order, an
   * acknowledged message missing without a discontinuity signal after it was sent, a signal without the error
   * of a lost channel, or the channel leaving the attached state. Empty when all is well.
   */
  verify(): string[] {
    const problems: string[] = [];
    for (const w of this.watchers) {
      const seen = new Set<string>();
      const lastIndex = new Map<string, number>();
      for (const data of w.received) {
        if (seen.has(data)) problems.push(`${w.name}: ${data} delivered twice`);
        seen.add(data);
        const [publisher, index] = data.split(':');
        if ((lastIndex.get(publisher) ?? -1) >= Number(index)) problems.push(`${w.name}: ${data} after ${publisher}:${lastIndex.get(publisher)}`);
        lastIndex.set(publisher, Number(index));
      }
      // A signal explains what was sent shortly before it (the outage it reports), not everything earlier.
      const explained = (at: number) => w.signals.some((s) => s.at >= at && s.at - at < EXPLAINS_MS);
      const missing = [...this.sent.values()].filter((s) => s.state === 'acked' && !seen.has(s.data));
      const unexplained = missing.filter((s) => !explained(s.sentAt));
      if (unexplained.length)
        problems.push(
          `${w.name}: ${unexplained.length} acknowledged messages missing without a discontinuity signal (${unexplained
            .slice(0, 5)
            .map((s) => s.data)
            .join(', ')}...)`,
        );
      for (const s of w.signals) if (s.code !== 80016) problems.push(`${w.name}: discontinuity signal with code ${s.code}`);
      if (w.otherStates.length) problems.push(`${w.name}: channel went ${w.otherStates.join(', ')}`);
      const flaps = w.presenceEvents.filter((e) => !w.signals.some((s) => Math.abs(s.at - e.at) < EXPLAINS_MS));
      if (flaps.length) problems.push(`${w.name}: presence events for members that stayed: ${flaps.map((e) => e.event).join(', ')}`);
    }
    return problems;
  }

  /**
   * Polls until REST on every node and a newly attached client on every node list exactly the members;
   * returns how long it took, or throws after `timeoutMs`.
   */
  async presenceShowsMembers(timeoutMs: number): Promise<number> {
    const started = Date.now();
    const expected = [...this.memberIds].sort().join(',');
    const views = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const node of this.nodes) {
        const rest = new Ably.Rest(clientOptions(node, { key: node.keys.full }) as Ably.ClientOptions);
        const page = await rest.channels.get(this.channelName).presence.get();
        out.push(
          `REST on ${node.port}: ${page.items
            .map((m) => m.clientId)
            .sort()
            .join(',')}`,
        );
        const fresh = new Ably.Realtime(clientOptions(node, { key: node.keys.full }) as Ably.ClientOptions);
        try {
          const members = await fresh.channels.get(this.channelName).presence.get();
          out.push(
            `new client on ${node.port}: ${members
              .map((m) => m.clientId)
              .sort()
              .join(',')}`,
          );
        } finally {
          fresh.close();
        }
      }
      return out;
    };
    let last: string[] = [];
    for (;;) {
      last = await views().catch((err: Error) => [`error: ${err.message}`]);
      if (last.every((v) => v.endsWith(`: ${expected}`))) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`presence did not show ${expected} within ${timeoutMs} ms: ${last.join('; ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.close();
  }

  private async connect(node: TestRowcast, options: Record<string, unknown> = {}): Promise<Ably.Realtime> {
    const client = new Ably.Realtime(clientOptions(node, { key: node.keys.full, ...options }) as Ably.ClientOptions);
    this.clients.push(client);
    await client.connection.once('connected');
    return client;
  }
}
