import { expect, it } from 'vitest';
import { ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import { AckQueue } from './ack-queue.js';

it('acknowledges in msgSerial order, coalescing consecutive successes and NACKing failures', () => {
  const sent: ProtocolMessage[] = [];
  const q = new AckQueue((pm) => sent.push(pm));
  const s0 = q.begin(0);
  const s1 = q.begin(1);
  const s2 = q.begin(2);
  const s3 = q.begin(3);
  q.succeed(s1, ['b']);
  q.succeed(s2, ['c']);
  expect(sent).toEqual([]); // 0 is still in flight
  q.succeed(s0, ['a']);
  expect(sent).toEqual([{ action: 1, msgSerial: 0, count: 3, res: [{ serials: ['a'] }, { serials: ['b'] }, { serials: ['c'] }] }]);
  q.fail(s3, new ErrorInfo('no', 40160, 401));
  expect(sent[1]).toMatchObject({ action: 2, msgSerial: 3, count: 1, error: { code: 40160 } });
  expect(q.previousResult(1)).toEqual(['b']);
});
