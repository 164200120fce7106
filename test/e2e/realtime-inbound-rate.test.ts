import { expect, it } from 'vitest';
import type * as Ably from 'ably';
import { WebSocket } from 'ws';
import { until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * A connection's publish rate (realtime.maxInboundRate, told to clients in connectionDetails): what a client
 * publishes beyond it is refused with 42911 / 429, as Ably refuses it, the connection stays open, nothing refused
 * reaches a subscriber, and publishing works again once the budget refills.
 */
const RATE = 20;
const { server, realtime } = useRowcast({ realtime: { maxInboundRate: RATE } });

it('tells clients the rate in CONNECTED', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(server().keys.full)}&format=json&v=6`);
  try {
    const connected = await new Promise<{ connectionDetails: { maxInboundRate: number } }>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString())));
      ws.once('error', reject);
    });
    expect(connected.connectionDetails.maxInboundRate).toBe(RATE);
  } finally {
    ws.close();
  }
});

it('refuses publishes beyond the rate with 42911, keeps the connection, and delivers only what it accepted', async () => {
  const channel = 'flood';
  const received: string[] = [];
  const subscriber = realtime({ key: server().keys.full });
  await subscriber.channels.get(channel).subscribe((m) => void received.push(m.name!));
  const publisher = realtime({ key: server().keys.full, echoMessages: false });
  const pub = publisher.channels.get(channel);
  await pub.attach();

  // 100 publishes at once: a second's worth (20) goes through, the rest of the burst is refused
  const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, n) => pub.publish(`m${n}`, 'x')));
  const accepted = outcomes.flatMap((o, n) => (o.status === 'fulfilled' ? [`m${n}`] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Ably.ErrorInfo] : []));
  expect(accepted.length).toBeGreaterThanOrEqual(RATE);
  expect(refused.length).toBeGreaterThan(0);
  expect(accepted.length + refused.length).toBe(100);
  for (const err of refused) expect({ code: err.code, statusCode: err.statusCode }).toEqual({ code: 42911, statusCode: 429 });
  expect(refused[0].message).toMatch(/inboundRate/);
  expect(publisher.connection.state).toBe('connected');

  // once the budget refills, the same connection publishes again
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await pub.publish('after', 'x');
  await until(() => received.includes('after'), 'the publish after the refill');
  expect(received).toEqual([...accepted, 'after']);
  expect(publisher.connection.state).toBe('connected');
});
