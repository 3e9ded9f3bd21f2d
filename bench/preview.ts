import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generatePreview } from '../src/preview/index.js'
import { clipBudgetBytes, IMAGE_BUDGET_BYTES } from '../src/preview/limits.js'
import { writeWav } from '../test/fixtures/audio.js'
import { writeGridObj } from '../test/fixtures/models.js'
import { makePng } from '../test/fixtures/textures.js'
import { formatFigure, type Figure } from './figure.js'

/**
 * Preview cost of the three heavy cases from the issue: an 8192² PNG, a ~1-million-triangle OBJ
 * and a 10-minute 48 kHz stereo WAV. Each preview runs in a fresh child process so its time is a
 * cold `gas commit` preview and its peak RSS (maxRSS) is the preview's alone.
 */

const TIME_FLOOR_MS = 1000
const RSS_FLOOR_BYTES = 1024 * 1024 * 1024
/** 708² quads = 1,002,528 triangles. */
const GRID = 708
const MiB = 1024 * 1024

interface ChildResult { ms: number, maxRssBytes: number, info: Record<string, unknown>, imageBytes: number, clipBytes: number }

/** Runs one preview in a child process (this same file with --child) and reads its report. */
async function previewInChild (path: string, kind: string, format: string): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url)
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--child', path, kind, format], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.on('data', (d: Buffer) => { text += d.toString() })
    child.on('error', reject)
    child.on('exit', code => code === 0 ? resolve(text) : reject(new Error(`preview child exited with ${String(code)}`)))
  })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult
}

async function child (path: string, kind: string, format: string): Promise<void> {
  const start = performance.now()
  const res = await generatePreview({ path, kind, format })
  const ms = performance.now() - start
  const info = { ...res.info }
  delete info.entries
  // maxRSS is in KiB
  process.stdout.write(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, info, imageBytes: res.image?.bytes.length ?? 0, clipBytes: res.clip?.bytes.length ?? 0 }) + '\n')
}

/** Time, memory, and the preview's size against its budget (limits.ts: previews sync first, so they stay small). */
function figures (name: string, r: ChildResult, assetBytes: number): Figure[] {
  const budget = IMAGE_BUDGET_BYTES + (r.clipBytes > 0 ? clipBudgetBytes(assetBytes) : 0)
  const bytes = r.imageBytes + r.clipBytes
  return [
    { name: `preview ${name}`, value: r.ms, unit: 'ms', floor: '<= 1 s', pass: r.ms <= TIME_FLOOR_MS },
    { name: `preview ${name} peak RSS`, value: r.maxRssBytes / MiB, unit: 'MiB', floor: '<= 1 GiB', pass: r.maxRssBytes <= RSS_FLOOR_BYTES },
    { name: `preview ${name} image + clip`, value: bytes / 1024, unit: 'KiB', floor: `<= ${(budget / 1024).toFixed(1)} KiB budget`, pass: bytes <= budget }
  ]
}

export async function benchPreviews (workDir: string): Promise<Figure[]> {
  const png = join(workDir, 'bench-8192.png')
  await writeFile(png, await makePng({ width: 8192, height: 8192, seed: 7 }))
  const obj = join(workDir, 'bench-grid.obj')
  await writeGridObj(obj, GRID)
  const wav = join(workDir, 'bench-10min.wav')
  await writeWav(wav, { seconds: 600, sampleRate: 48000, channels: 2, bitDepth: 16, amplitude: 0.5 })
  const out: Figure[] = []
  out.push(...figures(`8192×8192 PNG (${((await stat(png)).size / MiB).toFixed(0)} MiB)`, await previewInChild(png, 'texture', 'png'), (await stat(png)).size))
  out.push(...figures(`${2 * GRID * GRID}-triangle OBJ (${((await stat(obj)).size / MiB).toFixed(0)} MiB)`, await previewInChild(obj, 'model', 'obj'), (await stat(obj)).size))
  out.push(...figures(`10-min 48 kHz stereo WAV (${((await stat(wav)).size / MiB).toFixed(0)} MiB)`, await previewInChild(wav, 'audio', 'wav'), (await stat(wav)).size))
  return out
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (invokedDirectly && process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5])
} else if (invokedDirectly) {
  const dir = await mkdtemp(join(tmpdir(), 'gas-bench-preview-'))
  try {
    for (const f of await benchPreviews(dir)) console.log(formatFigure(f))
  } finally { await rm(dir, { recursive: true, force: true }) }
}
