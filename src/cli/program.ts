import { Command, CommanderError } from 'commander'
import { configureHelpTree } from './help.js'
import { configureUsageErrors, usageErrorLine, usageErrorsAsJson } from './usage-errors.js'
import { EXIT_USAGE, printError, stdPrinter } from './output.js'
import { addVersionOption } from './version.js'

/** The `gas` program without its commands: the options every command shares and how usage errors print. */
export function newProgram (): Command {
  const program = new Command('gas')
  program.description('GameAssetShare: peer-to-peer versioned store for game assets and builds')
  addVersionOption(program)
  // root options only before the subcommand, so `gas restore --version REV` reaches restore
  program.enablePositionalOptions()
  program.exitOverride()
  program.configureOutput({ outputError: (text, write) => { write(usageErrorLine(text, 'gas')) } })
  return program
}

/** Call once the commands are registered. */
export function finishProgram (program: Command): Command {
  for (const sub of program.commands) sub.exitOverride()
  configureHelpTree(program)
  configureUsageErrors(program)
  return program
}

/** Parses `argv` with `program` and runs the command; errors print as the CLI contract says. */
export async function runProgram (program: Command, argv: string[]): Promise<void> {
  usageErrorsAsJson(argv)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE
      return
    }
    // An argument parser (a size, a tag) refused its value before any command ran.
    process.exitCode = printError(stdPrinter(argv.includes('--json')), err)
  }
}
