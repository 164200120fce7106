import { Command } from 'commander';
import { registerStartCommand } from './commands/start.js';

/** The `rowcast` command line: one file per command under commands/. */
const program = new Command('rowcast').description('Rowcast: self-hosted realtime with the Ably protocol').showHelpAfterError();
registerStartCommand(program);

await program.parseAsync(process.argv);
