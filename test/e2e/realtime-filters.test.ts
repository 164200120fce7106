import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Subscription filters as on Ably (`channels.getDerived(name, { filter })`, a JMESPath expression over `name`
 * and `extras.headers`): a filtered attachment receives only the messages that pass, and may not publish.
 */
const { realtime, rest } = useRowcast();

describe('a filtered (derived) channel', () => {
  it('receives only matching messages while the plain channel gets them all', async () => {
    const client = realtime({ key: KEYS.full });
    const filtered = client.channels.getDerived('prices', { filter: 'name == `"tick"` && headers.priority > `2`' });
    const plain = client.channels.get('prices');
    const fromFiltered: Ably.Message[] = [];
    const fromPlain: Ably.Message[] = [];
    await filtered.subscribe((m) => fromFiltered.push(m));
    await plain.subscribe((m) => fromPlain.push(m));

    const publisher = rest({ key: KEYS.full }).channels.get('prices');
    await publisher.publish([
      { name: 'tick', data: 'urgent', extras: { headers: { priority: 5 } } },
      { name: 'tick', data: 'no headers' },
      { name: 'tock', data: 'wrong name', extras: { headers: { priority: 9 } } },
      { name: 'tick', data: 'low', extras: { headers: { priority: 1 } } },
    ]);
    await publisher.publish({ name: 'tick', data: 'also urgent', extras: { headers: { priority: 3 } } });
    await publisher.publish({ name: 'end', data: 'last' });

    await expect.poll(() => fromPlain.length).toBe(6);
    // Both attachments share one connection, which gets each event for both before the next one: once the plain
    // channel has the end marker, the filtered one has had everything it was going to get.
    expect(fromFiltered.map((m) => m.data)).toEqual(['urgent', 'also urgent']);
  });

  it('supports !, ||, parentheses and raw string literals', async () => {
    const client = realtime({ key: KEYS.full });
    const filtered = client.channels.getDerived('alerts', { filter: "!(headers.region == 'eu') || (name == 'always')" });
    const got: string[] = [];
    await filtered.subscribe((m) => got.push(m.data as string));
    const publisher = rest({ key: KEYS.full }).channels.get('alerts');
    await publisher.publish({ name: 'x', data: 'eu', extras: { headers: { region: 'eu' } } });
    await publisher.publish({ name: 'x', data: 'us', extras: { headers: { region: 'us' } } });
    await publisher.publish({ name: 'always', data: 'always', extras: { headers: { region: 'eu' } } });
    await publisher.publish({ name: 'x', data: 'eu again', extras: { headers: { region: 'eu' } } });
    await publisher.publish({ name: 'x', data: 'end' });
    await expect.poll(() => got).toContain('end');
    expect(got).toEqual(['us', 'always', 'end']);
  });

  it('refuses to publish through a filtered channel (40160), and an unparsable filter fails the attach (40010)', async () => {
    const client = realtime({ key: KEYS.full });
    const filtered = client.channels.getDerived('guarded', { filter: 'name == `"a"`' });
    await filtered.attach();
    const publishErr = await filtered.publish('a', 'data').then(
      () => undefined,
      (err: Ably.ErrorInfo) => err,
    );
    expect(publishErr?.code).toBe(40160);
    const broken = client.channels.getDerived('guarded', { filter: 'name ==' });
    const attachErr = await broken.attach().then(
      () => undefined,
      (err: Ably.ErrorInfo) => err,
    );
    expect(attachErr?.code).toBe(40010);
  });
});
