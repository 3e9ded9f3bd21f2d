import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, expect } from 'vitest'
import { GasError } from '../../src/errors.js'
import type { PreviewImage } from '../../src/preview/index.js'

/** A temp folder removed after the suite; `put` writes a file into it and returns its path. */
export function tempDir (): { dir: string, put: (name: string, bytes: Uint8Array | string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'gas-preview-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return { dir, put: (name, bytes) => { const p = join(dir, name); writeFileSync(p, bytes); return p } }
}

export async function rgbaOf (img: PreviewImage | Buffer): Promise<{ data: Buffer, width: number, height: number }> {
  const input = Buffer.isBuffer(img) ? img : Buffer.from(img.bytes)
  const { data, info } = await sharp(input).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** Independent reference: sharp's own downscale of the raw source pixels to the same size. */
export async function referenceDownscale (pixels: Uint8Array, width: number, height: number, channels: 3 | 4, outW: number, outH: number): Promise<Buffer> {
  return await sharp(pixels, { raw: { width, height, channels } }).resize(outW, outH, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
}

export function psnr (a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  let se = 0
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; se += d * d }
  const mse = se / a.length
  return mse === 0 ? Infinity : 10 * Math.log10(255 * 255 / mse)
}

/** Awaits p and returns the GasError it rejects with, failing if it resolves or throws anything else. */
export async function gasError (p: Promise<unknown>, code?: string): Promise<GasError> {
  let caught: unknown
  try { await p } catch (err) { caught = err }
  expect(caught, 'expected a GasError').toBeInstanceOf(GasError)
  if (code !== undefined) expect((caught as GasError).code, (caught as Error).message).toBe(code)
  return caught as GasError
}

/** Deterministic PRNG for fuzzing. */
export { prng as rng } from '../fixtures/prng.js'
