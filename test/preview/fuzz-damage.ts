import fc from 'fast-check'
import { GasError } from '../../src/errors.js'
import { generatePreview } from '../../src/preview/index.js'

/** The fast-check damage both preview fuzz suites apply to their seed files, and the verdict they hold each decoder to. */
const ALLOWED = new Set(['E_MALFORMED_ASSET', 'E_NO_PREVIEW'])
export const HANG_MS = 5000

export type Damage = { op: 'truncate' | 'flip' | 'fill' | 'splice', at: number, len: number, value: number }
export const damage = fc.array(fc.record({ op: fc.constantFrom<Damage['op']>('truncate', 'flip', 'fill', 'splice'), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 })

/** Applies the damage; positions are taken modulo the length, two in three within the first 512 bytes (headers). */
export function apply (src: Buffer, ds: Damage[]): Buffer {
  let b = Buffer.from(src)
  for (const d of ds) {
    if (b.length === 0) break
    const pos = d.at % (d.at % 3 === 0 ? b.length : Math.min(b.length, 512))
    if (d.op === 'truncate') b = b.subarray(0, pos)
    else if (d.op === 'flip') b[pos] ^= 1 << (d.value & 7)
    else if (d.op === 'fill') b.fill(d.value, pos, Math.min(b.length, pos + d.len))
    else b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + d.len))])
  }
  return b
}

/** A preview, or a typed preview error, within HANG_MS: never a raw error or a hang. */
export async function previewOrTypedError (path: string, kind: string, format: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${path} took over ${HANG_MS} ms`)), HANG_MS) })
  try {
    await Promise.race([generatePreview({ path, kind, format, size: 64 }), hang])
  } catch (err) {
    if (!(err instanceof GasError)) throw new Error(`raw error from ${path}: ${String((err as Error)?.stack ?? err)}`)
    if (!ALLOWED.has(err.code)) throw new Error(`${err.code} from ${path}: ${err.message}`)
  } finally { clearTimeout(timer) }
}
