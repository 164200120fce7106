import type { Message } from '@rowcast/protocol';

/**
 * The message with `extras.userClaim` as the publisher's credentials say (auth/user-claim.ts): set to `claim`, or
 * removed when the publisher has none, whatever the client sent. The same object when nothing changes.
 */
export function withUserClaim(m: Message, claim: string | undefined): Message {
  const sent = m.extras?.userClaim;
  if (sent === claim) return m;
  const { userClaim: _dropped, ...rest } = m.extras ?? {};
  const extras = claim === undefined ? rest : { ...rest, userClaim: claim };
  const out: Message = { ...m, extras };
  if (Object.keys(extras).length === 0) delete out.extras;
  return out;
}
