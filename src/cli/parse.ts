import { GasError } from '../errors.js'
import { parseTagArgument } from '../objects/asset.js'

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** "10MB", "512KiB", "1.5 GiB" → bytes (CLI.md: sizes and rates accept these). */
export function parseSize (text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = m?.[2].toLowerCase()
  if (m === null || unit === undefined || UNITS[unit] === undefined) throw GasError.badArgument(`"${text}" is not a size (try 10MB, 512KiB)`)
  return Math.round(Number(m[1]) * UNITS[unit])
}

/** "5MB/s" → bytes per second. */
export function parseRate (text: string): number {
  return parseSize(text.replace(/\/s$/i, ''))
}

/** Commander collector for repeated --tag KEY=VALUE. */
export function collectTag (value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [k, v] = parseTagArgument(value)
  return { ...previous, [k]: v }
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
