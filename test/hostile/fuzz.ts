import fc from 'fast-check'
import { expect } from 'vitest'
import { GasError, type ErrorCode } from '../../src/errors.js'

/**
 * Shared property for every decoder fuzzed here: on any input it returns a value or throws a
 * GasError with one of the expected codes; never another exception, never a hang.
 */

/** why: each property must stay a few seconds on a loaded 2-core machine; failures shrink to a small case */
export const FUZZ_RUNS = 400

/**
 * why: a decoder that loops or backtracks on crafted input shows up as one input taking this long.
 * CPU time, not wall time: on a loaded machine a fast decode waited 470 ms for a core.
 */
export const MAX_DECODE_MS = 250

export type Outcome<T> = { ok: true, value: T } | { ok: false, code: ErrorCode }

/** Runs `decode`; fails the property on a non-GasError, an unexpected code, or a slow decode. */
export function decodeOutcome<T> (decode: () => T, codes: readonly ErrorCode[]): Outcome<T> {
  const started = process.cpuUsage()
  let outcome: Outcome<T>
  try {
    outcome = { ok: true, value: decode() }
  } catch (err) {
    if (!(err instanceof GasError)) throw new Error(`decoder threw ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err })
    if (!codes.includes(err.code)) throw new Error(`decoder threw ${err.code} (${err.message}); expected one of ${codes.join(', ')}`)
    outcome = { ok: false, code: err.code }
  }
  const used = process.cpuUsage(started)
  const elapsed = (used.user + used.system) / 1000
  if (elapsed > MAX_DECODE_MS) throw new Error(`decoder took ${Math.round(elapsed)} ms of CPU`)
  return outcome
}

export async function decodeOutcomeAsync<T> (decode: () => Promise<T>, codes: readonly ErrorCode[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await decode() }
  } catch (err) {
    if (!(err instanceof GasError)) throw new Error(`decoder threw ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err })
    if (!codes.includes(err.code)) throw new Error(`decoder threw ${err.code} (${err.message}); expected one of ${codes.join(', ')}`)
    return { ok: false, code: err.code }
  }
}

/** A mutation of a valid encoding: what a flaky link or a hostile peer makes of it. */
export type Mutation =
  | { kind: 'flip', at: number, bit: number }
  | { kind: 'truncate', at: number }
  | { kind: 'set', at: number, byte: number }
  | { kind: 'insert', at: number, bytes: Uint8Array }
  | { kind: 'delete', at: number, length: number }
  | { kind: 'enlarge', at: number, width: 2 | 4 | 8 }

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  // a length field (at any offset) claiming far more than is present: 0xffff, 0xffffffff, 2^64-1
  fc.record({ kind: fc.constant('enlarge' as const), at: fc.nat(), width: fc.constantFrom(2 as const, 4 as const, 8 as const) })
)

export function mutate (valid: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(valid)
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.kind === 'insert' || m.kind === 'truncate' ? 1 : 0))
    switch (m.kind) {
      case 'flip': if (bytes.length > 0) bytes[at] ^= 1 << m.bit; break
      case 'truncate': bytes = bytes.slice(0, at); break
      case 'set': if (bytes.length > 0) bytes[at] = m.byte; break
      case 'insert': bytes = concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at)); break
      case 'delete': bytes = concat(bytes.subarray(0, at), bytes.subarray(at + m.length)); break
      case 'enlarge': bytes.fill(0xff, at, Math.min(bytes.length, at + m.width)); break
    }
  }
  return bytes
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

/** Random bytes, and mutations of the valid encodings: the two input families every decoder gets. */
export function hostileBytes (valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.tuple(fc.constantFrom(...valid), fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([v, ms]) => mutate(v, ms))
  )
}

/** Property: decoding any hostile input gives a value or a typed error; valid inputs still decode. */
export function fuzzDecoder<T> (opts: { valid: Uint8Array[], decode: (bytes: Uint8Array) => T, codes: readonly ErrorCode[], runs?: number }): void {
  for (const v of opts.valid) expect(decodeOutcome(() => opts.decode(v), opts.codes).ok).toBe(true)
  fc.assert(fc.property(hostileBytes(opts.valid), (bytes) => { decodeOutcome(() => opts.decode(bytes), opts.codes) }), { numRuns: opts.runs ?? FUZZ_RUNS })
}

/** Bytes of ArrayBuffers allocated while `fn` runs (after a GC when exposed): a 4 GB length field must not show up here. */
export function arrayBufferGrowth (fn: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage().arrayBuffers
  fn()
  return process.memoryUsage().arrayBuffers - before
}

/** Every path to a value inside `value` (keys and indexes). */
function pathsOf (value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]))
  return out
}

function setAt (value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), replacement)
  return copy
}

/** Well-formed JSON documents shaped like `valid` with one value (anywhere) replaced by any JSON value, or removed. */
export function jsonMutants (valid: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(valid)
  return fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined), fc.string(), fc.integer(), fc.double()))
    .map(([path, replacement]) => setAt(valid, path, replacement))
}
