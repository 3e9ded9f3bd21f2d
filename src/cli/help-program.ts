import { type Command, Help } from 'commander'
import type { CommandRow } from './command-row.js'
import { COMMAND_TABLE } from './command-table.js'
import { describeOption } from './help.js'
import { newProgram } from './program.js'

/**
 * The `gas` program as `gas --help`, `gas help` and `gas -V` need it: every command by name and
 * summary, none of their modules. why: registering the real commands imports every command
 * module, and linking those ES modules is most of a 200 ms start; the table (command-table.ts)
 * is generated from those very definitions and a test checks this program prints the same help.
 */
export function helpProgram (table: readonly CommandRow[] = COMMAND_TABLE): Command {
  const program = newProgram()
  const terms = new Map<string, string>()
  for (const row of table) {
    program.command(row.name, { hidden: row.hidden === true }).description(row.summary).exitOverride()
    terms.set(row.name, row.term)
  }
  program.configureHelp({
    optionDescription: describeOption,
    // the real command's term (its options and arguments), which a bare placeholder cannot compute; commander's own for `help`
    subcommandTerm (this: Help, cmd: Command): string {
      return terms.get(cmd.name()) ?? Help.prototype.subcommandTerm.call(this, cmd)
    }
  })
  return program
}

/** The row of a top-level command name. */
export function commandRow (name: string | undefined, table: readonly CommandRow[] = COMMAND_TABLE): CommandRow | undefined {
  return name === undefined ? undefined : table.find((row) => row.name === name)
}
