import { GasError } from './errors.js'

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

/** 1234567 → "1.2 MB": decimal units as disks and links are sold. */
export function formatBytes (bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unlimited'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** 5e6 → "5.00 MB/s"; Infinity → "unlimited". */
export function formatRate (bytesPerSecond: number): string {
  return Number.isFinite(bytesPerSecond) ? `${formatBytes(bytesPerSecond)}/s` : 'unlimited'
}
