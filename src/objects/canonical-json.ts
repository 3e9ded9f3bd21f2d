import { GasError } from '../errors.js'

/**
 * Canonical JSON: object keys sorted, no white space, UTF-8. The same value gives the same bytes
 * on every peer, so ids of metadata objects agree everywhere.
 */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw GasError.badArgument('canonical JSON cannot hold NaN or Infinity')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`
  }
  throw GasError.badArgument(`canonical JSON cannot hold a ${typeof value}`)
}

export function encodeCanonical (value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8')
}

/** why: objects nest a few levels (a build's files, a preview's info); deeper is crafted to overflow the recursive canonical check */
export const MAX_JSON_DEPTH = 64

/** Deepest nesting of arrays/objects outside strings, stopping early past `limit`. */
function jsonDepthExceeds (text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}

/** Parses and checks the bytes are exactly the canonical form, so one object has one encoding. */
export function decodeCanonical (body: Uint8Array, what: string): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new GasError('E_CORRUPT_OBJECT', `${what}: nested deeper than ${MAX_JSON_DEPTH} levels`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${what}: not valid JSON`)
  }
  if (canonicalJson(value) !== text) throw new GasError('E_CORRUPT_OBJECT', `${what}: not in canonical form`)
  return value
}

/** Small schema helpers for decoders: they throw E_CORRUPT_OBJECT naming the field. */
export class Fields {
  constructor (private readonly record: Record<string, unknown>, private readonly what: string) {}

  static of (value: unknown, what: string): Fields {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GasError('E_CORRUPT_OBJECT', `${what}: expected an object`)
    return new Fields(value as Record<string, unknown>, what)
  }

  fail (key: string, expected: string): never {
    throw new GasError('E_CORRUPT_OBJECT', `${this.what}: field "${key}" must be ${expected}`)
  }

  string (key: string): string {
    const v = this.record[key]
    return typeof v === 'string' ? v : this.fail(key, 'a string')
  }

  optionalString (key: string): string | null {
    const v = this.record[key]
    if (v === undefined || v === null) return null
    return typeof v === 'string' ? v : this.fail(key, 'a string or null')
  }

  integer (key: string): number {
    const v = this.record[key]
    return Number.isSafeInteger(v) ? v as number : this.fail(key, 'an integer')
  }

  stringArray (key: string): string[] {
    const v = this.record[key]
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) this.fail(key, 'an array of strings')
    return v as string[]
  }

  stringMap (key: string): Record<string, string> {
    const v = this.record[key]
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'a map of strings')
    const map = v as Record<string, unknown>
    for (const k of Object.keys(map)) if (typeof map[k] !== 'string') this.fail(key, 'a map of strings')
    return map as Record<string, string>
  }

  array (key: string): unknown[] {
    const v = this.record[key]
    return Array.isArray(v) ? v : this.fail(key, 'an array')
  }

  object (key: string): Fields {
    return Fields.of(this.record[key], `${this.what}.${key}`)
  }

  optionalObject (key: string): Fields | null {
    const v = this.record[key]
    return v === undefined || v === null ? null : Fields.of(v, `${this.what}.${key}`)
  }

  get value (): Record<string, unknown> {
    return this.record
  }

  has (key: string): boolean {
    return this.record[key] !== undefined
  }
}
