import { GasError } from '../errors.js'

/** Exit statuses of CLI.md: 1 for a failure, 2 for a usage error. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface Printer { json: boolean, out: (text: string) => void, err: (text: string) => void }

export const stdPrinter = (json: boolean): Printer => ({
  json,
  out: (text) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) },
  err: (text) => { process.stderr.write(text.endsWith('\n') ? text : `${text}\n`) }
})

/** With --json exactly one JSON document on stdout; otherwise the human lines. */
export function printResult (p: Printer, value: unknown, human: () => string): void {
  if (p.json) p.out(JSON.stringify(value, null, 2))
  else {
    const text = human()
    if (text !== '') p.out(text)
  }
}

/** One line on stderr, never a stack: `gas: CODE: message` (JSON with --json). Returns the exit status. */
export function printError (p: Printer, err: unknown): number {
  const gasErr = err instanceof GasError ? err : new GasError('E_IO', (err as Error)?.message ?? String(err))
  if (p.json) p.err(JSON.stringify({ error: { code: gasErr.code, message: gasErr.message } }))
  else p.err(`gas: ${gasErr.code}: ${gasErr.message.split('\n')[0]}`)
  if (process.env.GAS_DEBUG === '1' && err instanceof Error) p.err(err.stack ?? '')
  return gasErr.code === 'E_BAD_ARGUMENT' ? EXIT_USAGE : EXIT_FAILURE
}
