import type { Command } from 'commander'
import { printError, stdPrinter, type Printer } from './output.js'

/**
 * Wraps a command body: builds the printer from --json, turns any thrown error into the one-line
 * message and exit status of CLI.md. Bodies return the exit status (0 unless they say otherwise).
 */
export function action<A extends unknown[]> (body: (p: Printer, ...args: A) => Promise<number | void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command
    const opts = command.opts() as { json?: boolean }
    const p = stdPrinter(opts.json === true)
    try {
      const status = await body(p, ...(args.slice(0, -1) as A))
      process.exitCode = status ?? 0
    } catch (err) {
      process.exitCode = printError(p, err)
    }
  }
}
