import { join } from 'node:path'
import { describe, it } from 'vitest'
import { IMAGE_BUDGET_BYTES } from '../../src/preview/limits.js'
import { makeWav } from '../fixtures/audio.js'
import { makeBinaryFbx, makeGlb, makeObj } from '../fixtures/models.js'
import { writeMockObj, writeMockTga, writeMockWav } from '../fixtures/project.js'
import { makeDds, makeJpeg, makePng, makePsd, makeTga } from '../fixtures/textures.js'
import { tempDir } from './helpers.js'
import { expectWithinBudget } from './budget-check.js'

/**
 * Previews sync to every peer before any content, so each must stay within its budget (limits.ts):
 * an image of at most IMAGE_BUDGET_BYTES, and a clip of at most max(4 KiB, 1% of the asset).
 */
const { dir, put } = tempDir()
const KiB = 1024; const MiB = 1024 * KiB

interface Case { name: string, kind: string, format: string, path: () => Promise<string> }

const CASES: Case[] = [
  { name: 'PNG 2048² with alpha', kind: 'texture', format: 'png', path: async () => put('b.png', await makePng({ width: 2048, height: 2048, alpha: true, seed: 11 })) },
  { name: 'JPEG 1600×900', kind: 'texture', format: 'jpeg', path: async () => put('b.jpg', await makeJpeg({ width: 1600, height: 900, seed: 12 })) },
  { name: 'TGA 1024×640 RLE with alpha', kind: 'texture', format: 'tga', path: async () => put('b.tga', makeTga({ width: 1024, height: 640, alpha: true, rle: true, seed: 13 })) },
  { name: 'DDS BC3 1024²', kind: 'texture', format: 'dds', path: async () => put('b.dds', makeDds({ width: 1024, height: 1024, format: 'bc3' }).bytes) },
  { name: 'PSD 16-bit', kind: 'texture', format: 'psd', path: async () => put('b.psd', makePsd({ width: 1024, height: 640, depth: 16, seed: 14 })) },
  { name: 'OBJ sphere', kind: 'model', format: 'obj', path: async () => put('b.obj', makeObj('sphere').text) },
  { name: 'GLB grid', kind: 'model', format: 'glb', path: async () => put('b.glb', makeGlb({ grid: 7 }).bytes) },
  { name: 'binary FBX cube', kind: 'model', format: 'fbx', path: async () => put('b.fbx', makeBinaryFbx('cube').bytes) },
  { name: 'WAV 1 s stereo (clip at the 4 KiB floor)', kind: 'audio', format: 'wav', path: async () => put('b1.wav', makeWav({ seconds: 1, sampleRate: 44100, channels: 2, bitDepth: 16, amplitude: 0.5 }).bytes) },
  { name: 'WAV 20 s 24-bit (clip at 1%)', kind: 'audio', format: 'wav', path: async () => put('b20.wav', makeWav({ seconds: 20, sampleRate: 48000, channels: 2, bitDepth: 24, amplitude: 0.5, signal: 'noise' }).bytes) }
]
// the benchmark's mock project assets, procedural with noise (noise is what lossy images pay for)
for (const size of [100 * KiB, 2 * MiB, 12 * MiB]) {
  CASES.push({ name: `mock TGA ${size} B`, kind: 'texture', format: 'tga', path: async () => { const p = join(dir, `m${size}.tga`); await writeMockTga(p, size, 3); return p } })
  CASES.push({ name: `mock OBJ ${size} B`, kind: 'model', format: 'obj', path: async () => { const p = join(dir, `m${size}.obj`); await writeMockObj(p, size, 3); return p } })
  CASES.push({ name: `mock WAV ${size} B`, kind: 'audio', format: 'wav', path: async () => { const p = join(dir, `m${size}.wav`); await writeMockWav(p, size, 3); return p } })
}

describe('preview size budget', () => {
  for (const c of CASES) {
    it(`${c.name}: image ≤ ${IMAGE_BUDGET_BYTES} B, clip ≤ max(4 KiB, 1% of the asset)`, async () => {
      await expectWithinBudget(await c.path(), c.kind, c.format)
    })
  }
})
