/**
 * One top-level command as `gas --help` lists it, and the file under src/cli/commands/ that
 * registers it. The table of them (command-table.ts) is generated from the commander definitions.
 */
export interface CommandRow {
  name: string
  /** the file in src/cli/commands/ (without extension) whose `register` defines this command */
  module: string
  /** the left column of `gas --help`: name, `[options]`, arguments */
  term: string
  /** the right column of `gas --help` */
  summary: string
  hidden?: true
}
