import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'
import { gasTimed, USAGE_PRELOAD, type Timed } from './process-usage.js'
import { packFiles, restoreAgainstCp, restoreFigures, settle, warm } from './restore-pair.js'

/**
 * `gas restore --out` of one committed random file through the CLI, as a person runs it, beside
 * `cp` of the same file (copy_file_range: one copy inside the kernel) in the same run, with the
 * CPU seconds of each, with both cold and both warm (restore-pair.ts); and the same restore with
 * the native restore turned off (GAS_NATIVE_COPY=0: the read, check and write path a platform
 * without the addon takes), warm. Best of three each, alternated.
 */
const MiB = 1024 * 1024
const ROUNDS = 3

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer)
  return hash.digest('hex')
}

async function restoreTimed (ws: string, out: string, preload: string, native: boolean): Promise<Timed> {
  const before = process.env.GAS_NATIVE_COPY
  if (native) delete process.env.GAS_NATIVE_COPY
  else process.env.GAS_NATIVE_COPY = '0'
  try {
    return await gasTimed(ws, ['restore', 'big.bin', '--version', 'main', '--out', out], preload)
  } finally {
    if (before === undefined) delete process.env.GAS_NATIVE_COPY
    else process.env.GAS_NATIVE_COPY = before
  }
}

export async function benchRestore (workDir: string, opts: { quick?: boolean } = {}): Promise<Figure[]> {
  const log = (line: string): void => { process.stderr.write(`restore: ${line}\n`) }
  const size = (opts.quick === true ? 64 : 1024) * MiB
  const sizeName = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'restore-'))
  const preload = join(root, 'usage.mjs')
  await writeFile(preload, USAGE_PRELOAD)
  try {
    const ws = join(root, 'ws')
    await mkdir(ws)
    await gasTimed(ws, ['init', '--name', 'bench'], preload)
    log(`writing ${sizeName} of random bytes, add, commit`)
    await writeRandomFile(join(ws, 'big.bin'), size, 'restore-big')
    await gasTimed(ws, ['add', 'big.bin'], preload)
    await gasTimed(ws, ['commit', '-m', 'restore bench'], preload)
    const expected = await sha256Of(join(ws, 'big.bin'))
    const check = async (out: string): Promise<void> => { if (await sha256Of(out) !== expected) throw new Error('gas restore wrote different bytes') }
    const pairs = await restoreAgainstCp({ ws, asset: 'big.bin', outDir: root, preload, rounds: ROUNDS, check })
    log(`cold: gas restore ${(pairs.cold.restore.ms / 1000).toFixed(2)} s, cp ${(pairs.cold.cp.ms / 1000).toFixed(2)} s; warm: gas restore ${(pairs.warm.restore.ms / 1000).toFixed(2)} s, cp ${(pairs.warm.cp.ms / 1000).toFixed(2)} s`)
    // the path a platform without the addon takes, warm, against the native one's warm figure
    const restored = join(root, 'restored.bin')
    const packs = await packFiles(ws)
    let fallback: Timed | undefined
    for (let round = 0; round < ROUNDS; round++) {
      await rm(restored, { force: true })
      warm([join(ws, 'big.bin'), ...packs])
      await settle()
      const r = await restoreTimed(ws, restored, preload, false)
      if (round === 0 && await sha256Of(restored) !== expected) throw new Error('gas restore (GAS_NATIVE_COPY=0) wrote different bytes')
      if (fallback === undefined || r.ms < fallback.ms) fallback = r
    }
    await rm(restored, { force: true })
    const native = pairs.warm.restore
    return [
      ...restoreFigures(pairs, `restore ${sizeName} (best of ${ROUNDS})`),
      { name: `restore ${sizeName}: gas restore --out with GAS_NATIVE_COPY=0, warm (read, check, write in user space; seconds)`, value: fallback!.ms / 1000, unit: 's', compare: { name: 'gas restore with the native restore, warm, same run', value: native.ms / 1000, unit: 's' } },
      { name: `restore ${sizeName}: CPU seconds of gas restore with GAS_NATIVE_COPY=0, warm`, value: fallback!.cpuSeconds, unit: 'CPU s', compare: { name: 'with the native restore', value: native.cpuSeconds, unit: 'CPU s' } }
    ]
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
