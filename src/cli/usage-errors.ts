import type { Command } from 'commander'

/**
 * Commander's usage errors as the contract's one line, `gas: E_BAD_ARGUMENT: message`, with its
 * suggestion ("Did you mean status?") on that line and where to look next: the help of the
 * command that refused the arguments (`gas meta set --help`), so a user is never left guessing.
 */
export function usageErrorLine (text: string, commandPath: string, json = jsonAsked): string {
  const message = `${text.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ').replace(/\.$/, '')}; see \`${commandPath} --help\``
  return json ? `${JSON.stringify({ error: { code: 'E_BAD_ARGUMENT', message } })}\n` : `gas: E_BAD_ARGUMENT: ${message}\n`
}

/** why: commander reports a usage error before any command's options are parsed, so --json is taken from the argv as typed */
let jsonAsked = false
export function usageErrorsAsJson (argv: readonly string[]): void {
  jsonAsked = argv.includes('--json')
}

/** Whether the argv as typed asks for JSON (see usageErrorsAsJson): also what `gas --version` prints. */
export function jsonWasAsked (): boolean {
  return jsonAsked
}

/** Applies usageErrorLine to a command and every subcommand below it (registered already). */
export function configureUsageErrors (command: Command, commandPath = command.name()): void {
  command.configureOutput({ outputError: (text, write) => { write(usageErrorLine(text, commandPath)) } })
  for (const sub of command.commands) configureUsageErrors(sub, `${commandPath} ${sub.name()}`)
}
