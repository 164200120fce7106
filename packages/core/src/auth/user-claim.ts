/**
 * Ably's JWT user claims: a JWT may carry `ably.room.<room>` (Chat) or `ably.channel.<channel>` claims, string
 * values the server attaches, as `extras.userClaim`, to what that user publishes there (messages, typing, room
 * reactions, message versions). Clients cannot set it themselves: it is the auth server's word, so apps can trust
 * it (a role, a display name).
 */

/** Claim name prefixes that are user claims. */
export const USER_CLAIM_PREFIXES = ['ably.room.', 'ably.channel.'] as const;

/** Suffix of the channel a Chat room lives on (`<room>::$chat`, as @ably/chat names it). */
export const CHAT_ROOM_SUFFIX = '::$chat';

/**
 * The user claim that applies on `channel` (a base name): the room's claim for a Chat room's channel, else the
 * channel's; undefined when the credentials carry none for it.
 */
export function userClaimFor(userClaims: Record<string, string> | undefined, channel: string): string | undefined {
  if (!userClaims) return undefined;
  if (channel.endsWith(CHAT_ROOM_SUFFIX)) {
    const room = userClaims[`ably.room.${channel.slice(0, -CHAT_ROOM_SUFFIX.length)}`];
    if (room !== undefined) return room;
  }
  return userClaims[`ably.channel.${channel}`];
}
