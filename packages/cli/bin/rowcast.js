#!/usr/bin/env node
// The `rowcast` command. Rowcast ships TypeScript without a build step: register tsx, then run the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
