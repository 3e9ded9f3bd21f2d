import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { generatePreview } from '../../src/preview/index.js'
import { makeWav } from '../fixtures/audio.js'
import { makeAsciiFbx, makeBinaryFbx, makeGlb, makeObj } from '../fixtures/models.js'
import { makeDds, makeJpeg, makePng, makePsd, makeTga } from '../fixtures/textures.js'
import { makeTar, makeZip } from './archives.js'
import { rng, tempDir } from './helpers.js'

const { put } = tempDir()
const CASES_PER_FORMAT = 24
const ALLOWED = new Set(['E_MALFORMED_ASSET', 'E_NO_PREVIEW'])

/** A damaged copy: truncated, bit-flipped, or with a run of bytes overwritten (lengths, counts). */
function mutate (src: Uint8Array, rand: () => number): Buffer {
  const b = Buffer.from(src)
  const mode = rand()
  if (mode < 0.3) return b.subarray(0, Math.floor(rand() * b.length))
  if (mode < 0.7) {
    const flips = 1 + Math.floor(rand() * 8)
    for (let i = 0; i < flips; i++) { const at = Math.floor(rand() * b.length); b[at] ^= 1 << Math.floor(rand() * 8) }
    return b
  }
  // overwrite bytes near the start, where headers and length fields live
  const at = Math.floor(rand() * Math.min(b.length, 256)); const v = rand() < 0.5 ? 0xff : Math.floor(rand() * 256)
  for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = v
  return b
}

describe('fuzzing every parser with damaged fixtures (deterministic seed)', async () => {
  const fixtures: Array<{ name: string, kind: string, format: string, bytes: Uint8Array }> = [
    { name: 'png', kind: 'texture', format: 'png', bytes: await makePng({ width: 48, height: 32, alpha: true }) },
    { name: 'jpeg', kind: 'texture', format: 'jpeg', bytes: await makeJpeg({ width: 48, height: 32 }) },
    { name: 'tga', kind: 'texture', format: 'tga', bytes: makeTga({ width: 48, height: 32, alpha: true }) },
    { name: 'tga-rle', kind: 'texture', format: 'tga', bytes: makeTga({ width: 48, height: 32, rle: true }) },
    { name: 'dds-bc1', kind: 'texture', format: 'dds', bytes: makeDds({ width: 48, height: 32, format: 'bc1', mips: true }).bytes },
    { name: 'dds-bc3', kind: 'texture', format: 'dds', bytes: makeDds({ width: 32, height: 32, format: 'bc3' }).bytes },
    { name: 'dds-rgba', kind: 'texture', format: 'dds', bytes: makeDds({ width: 16, height: 16, format: 'rgba', mips: true }).bytes },
    { name: 'psd', kind: 'texture', format: 'psd', bytes: makePsd({ width: 48, height: 32, alpha: true, rle: true }) },
    { name: 'obj', kind: 'model', format: 'obj', bytes: Buffer.from(makeObj('sphere').text) },
    { name: 'fbx-ascii', kind: 'model', format: 'fbx', bytes: Buffer.from(makeAsciiFbx('cube', { texture: true, bones: true, animation: true }).text) },
    { name: 'fbx-binary', kind: 'model', format: 'fbx', bytes: makeBinaryFbx('cube', { texture: true, bones: true, animation: true }).bytes },
    { name: 'glb', kind: 'model', format: 'glb', bytes: makeGlb('cube', { texture: true, bones: true, animation: true }).bytes },
    { name: 'wav16', kind: 'audio', format: 'wav', bytes: makeWav({ seconds: 0.05, sampleRate: 8000, channels: 2, bitDepth: 16 }).bytes },
    { name: 'wav24', kind: 'audio', format: 'wav', bytes: makeWav({ seconds: 0.05, sampleRate: 8000, channels: 1, bitDepth: 24, extensible: true }).bytes },
    { name: 'wav-float', kind: 'audio', format: 'wav', bytes: makeWav({ seconds: 0.05, sampleRate: 8000, channels: 1, bitDepth: 32, float: true }).bytes },
    { name: 'zip', kind: 'archive', format: 'zip', bytes: makeZip([{ name: 'a/b.txt', body: 'hello' }, { name: 'c', body: 'x'.repeat(100) }]) },
    { name: 'tar', kind: 'archive', format: 'tar', bytes: makeTar([{ name: 'a/b.txt', body: 'hello' }, { name: 'c', body: 'x'.repeat(600) }]) }
  ]

  for (const [fi, fx] of fixtures.entries()) {
    it(`${fx.name}: ${CASES_PER_FORMAT} damaged copies give a preview or a GasError, fast`, async () => {
      const rand = rng(0x9a5 + fi)
      let failures = 0
      for (let i = 0; i < CASES_PER_FORMAT; i++) {
        const path = put(`fuzz-${fx.name}-${i}.${fx.format}`, mutate(fx.bytes, rand))
        const t0 = performance.now()
        try {
          await generatePreview({ path, kind: fx.kind, format: fx.format, size: 64 })
        } catch (err) {
          if (!(err instanceof GasError)) throw new Error(`case ${i}: non-GasError ${String(err)}`)
          expect(ALLOWED.has(err.code), `case ${i}: ${err.code} ${err.message}`).toBe(true)
          expect(err.message.length).toBeGreaterThan(10)
          failures++
        }
        expect(performance.now() - t0, `case ${i} took too long`).toBeLessThan(3000)
      }
      expect(failures).toBeGreaterThan(0) // the damage was real enough to be caught at least once
    })
  }

  it('random bytes under every known extension fail with E_MALFORMED_ASSET', async () => {
    const rand = rng(42)
    const noise = Buffer.alloc(3000); for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256)
    for (const fx of fixtures) {
      let err: unknown
      try { await generatePreview({ path: put(`noise-${fx.name}.${fx.format}`, noise), kind: fx.kind, format: fx.format }) } catch (e) { err = e }
      expect(err, fx.name).toBeInstanceOf(GasError)
      expect((err as GasError).code, `${fx.name}: ${(err as Error).message}`).toBe('E_MALFORMED_ASSET')
    }
  })
})
