/**
 * The message (or presence message) with `extras.userClaim` as the publisher's credentials say
 * (auth/user-claim.ts): set to `claim`, or removed when the publisher has none, whatever the client sent. The
 * same object when nothing changes.
 */
export function withUserClaim<T extends { extras?: Record<string, unknown> }>(m: T, claim: string | undefined): T {
  const sent = m.extras?.userClaim;
  if (sent === claim) return m;
  const { userClaim: _dropped, ...rest } = m.extras ?? {};
  const extras = claim === undefined ? rest : { ...rest, userClaim: claim };
  const out: T = { ...m, extras };
  if (Object.keys(extras).length === 0) delete out.extras;
  return out;
}
