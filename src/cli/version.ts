import { CommanderError, type Command } from 'commander'
import { jsonWasAsked } from './usage-errors.js'

export const GAS_VERSION = '0.1.0'

/**
 * `gas --version` (`-V`): the version on stdout, and with `--json` one JSON document, `{"version"}`,
 * as every `--json` prints. why not commander's `.version()`: it writes plain text whatever else
 * was typed, so a script asking `gas --version --json` could not parse the answer.
 */
export function addVersionOption (program: Command): void {
  program.option('-V, --version', 'print the version (with --json: one JSON document)')
  program.on('option:version', () => {
    process.stdout.write(jsonWasAsked() ? `${JSON.stringify({ version: GAS_VERSION })}\n` : `${GAS_VERSION}\n`)
    // what commander's own version option throws: runProgram ends with status 0
    throw new CommanderError(0, 'commander.version', GAS_VERSION)
  })
}
