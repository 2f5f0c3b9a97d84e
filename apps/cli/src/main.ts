#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { EXIT, explain } from './errors.js';

const program = new Command('keyplane')
  .description("keyplane's admin command line: organizations, applications, keys, verification, tokens, audit")
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end the same way; everything else commander refuses is a usage error.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const failure = explain(error, program.opts<{ url: string }>().url);
    if (!failure) throw error;
    process.stderr.write(`error: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}
