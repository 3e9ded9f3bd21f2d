import { GasError } from '../errors.js'
import { parseTagArgument } from '../objects/asset.js'

export { parseSize, parseRate } from '../units.js'

/** Commander collector for repeated --tag KEY=VALUE. */
export function collectTag (value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [k, v] = parseTagArgument(value)
  return { ...previous, [k]: v }
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Commander parser for a count (`-n 5`): a whole number ≥ 0, or a usage error naming what was typed. */
export function parseCount (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw GasError.badArgument(`"${value}" is not a count: give a whole number, e.g. -n 10`)
  return n
}

/** Commander parser for a TCP/UDP port (0: any free one), so a typo is named as typed rather than as NaN. */
export function parsePort (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw GasError.badArgument(`"${value}" is not a port: give a number from 0 to 65535 (0: any free port)`)
  return n
}
