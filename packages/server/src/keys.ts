import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKey } from '@rowcast/core';
import { z } from 'zod';
import { keySchema } from './config.js';

const GENERATED_FILE = 'keys.json';

/**
 * The keys the server authenticates with: the configured ones, or, when none are configured, one full-rights
 * key generated on first start and kept in `<dataDir>/keys.json` (so it survives restarts). `generated` tells
 * the caller to print it.
 */
export function resolveKeys(configured: ApiKey[], dataDir: string): { keys: ApiKey[]; generated?: ApiKey } {
  if (configured.length > 0) return { keys: configured };
  const file = join(dataDir, GENERATED_FILE);
  if (existsSync(file)) {
    const keys = z
      .array(keySchema)
      .min(1)
      .parse(JSON.parse(readFileSync(file, 'utf8')));
    return { keys, generated: keys[0] };
  }
  const key: ApiKey = {
    name: `${randomBytes(3).toString('hex')}.${randomBytes(3).toString('hex')}`,
    secret: randomBytes(24).toString('base64url'),
    capability: { '*': ['*'] },
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify([key], null, 2) + '\n', { mode: 0o600 });
  return { keys: [key], generated: key };
}
