import type { Credentials } from './api.js';
import type { TokenRevocation } from './revocation-store.js';

/** The targets a revocation may name (Ably's): a token's clientId, or a JWT's `x-ably-revocation-key`. */
export const REVOCATION_TARGET_TYPES = ['clientId', 'revocationKey'] as const;

/** The `type:value` targets a credential can be revoked by. */
function targetsOf(credentials: Credentials): string[] {
  const targets: string[] = [];
  if (credentials.clientId !== undefined) targets.push(`clientId:${credentials.clientId}`);
  if (credentials.revocationKey !== undefined) targets.push(`revocationKey:${credentials.revocationKey}`);
  return targets;
}

/**
 * This node's copy of the revocations in force, checked synchronously on every token use. Per key and target
 * only the latest `issuedBefore` matters (it covers every earlier one) along with when it applies.
 */
export class RevocationList {
  private readonly byTarget = new Map<string, { issuedBefore: number; appliesAt: number }>();

  /** Adds revocations (repeats and older ones are harmless). */
  apply(revocations: TokenRevocation[]): void {
    for (const r of revocations) {
      const id = `${r.keyName}\n${r.target}`;
      const had = this.byTarget.get(id);
      if (!had || r.issuedBefore > had.issuedBefore || (r.issuedBefore === had.issuedBefore && r.appliesAt < had.appliesAt)) {
        this.byTarget.set(id, { issuedBefore: r.issuedBefore, appliesAt: r.appliesAt });
      }
    }
  }

  /** Whether revocable credentials are revoked at `now` (their token issued before a revocation that applies). */
  isRevoked(credentials: Credentials, now: number): boolean {
    if (!credentials.revocable || credentials.issued === undefined || this.byTarget.size === 0) return false;
    for (const target of targetsOf(credentials)) {
      const r = this.byTarget.get(`${credentials.keyName}\n${target}`);
      if (r && credentials.issued < r.issuedBefore && now >= r.appliesAt) return true;
    }
    return false;
  }

  /** Forgets revocations whose `issuedBefore` is older than `oldest` (every token they cover has expired). */
  prune(oldest: number): void {
    for (const [id, r] of this.byTarget) if (r.issuedBefore < oldest) this.byTarget.delete(id);
  }
}
