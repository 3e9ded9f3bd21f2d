import { spawnSync } from 'node:child_process'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Figure } from './figure.js'
import { gasTimed, type Timed } from './process-usage.js'

/** Wall-clock and CPU seconds of one command. */
export interface CommandTime { ms: number, cpuSeconds: number }

/** The best restore and the best `cp` of one cache state. */
export interface RestorePair { restore: Timed, cp: CommandTime }

/** `gas restore --out` against `cp` of the same file, with the source and the store both cold, and both warm. */
export interface RestorePairs { cold: RestorePair, warm: RestorePair }

/** The pack files of a workspace's store: what a restore reads. */
export async function packFiles (ws: string): Promise<string[]> {
  const dir = join(ws, '.gas', 'objects', 'pack')
  return (await readdir(dir)).filter((name) => name.endsWith('.pack')).map((name) => join(dir, name))
}

/**
 * Drops the files' pages from the page cache: `sync`, then GNU dd's documented "drop cache for
 * the whole file" (`iflag=nocache count=0`, posix_fadvise DONTNEED), so no root is needed and
 * nothing else's cache is touched.
 */
export function evict (paths: string[]): void {
  spawnSync('sync')
  for (const path of paths) {
    const dd = spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' })
    if (dd.status !== 0) throw new Error(`dd could not drop ${path} from the page cache: ${dd.stderr}`)
  }
}

/** Reads the files once, so their pages are in the page cache. */
export function warm (paths: string[]): void {
  for (const path of paths) {
    const cat = spawnSync('cat', [path], { stdio: ['ignore', 'ignore', 'pipe'] })
    if (cat.status !== 0) throw new Error(`could not read ${path}`)
  }
  spawnSync('sync')
}

/**
 * why a pause before each timed command: this VM gives free memory back to its host a couple of
 * seconds after it is freed (virtio free page reporting), and the next write of a gigabyte into
 * the page cache then pays a host fault per page: `cp` run within a second of an `rm` took 0.4 s,
 * run 4 s after it 2.1-2.3 s. Without the pause, whichever command ran sooner after the last
 * `rm` won; with it, both start with their memory in the same state, the one a restore after a
 * while of other work meets. Where nothing is reported the pause only costs its time.
 */
export const SETTLE_MS = 3000

export function cpTimed (from: string, to: string): CommandTime {
  const start = performance.now()
  // GNU time prints cp's user and system seconds on stderr
  const cp = spawnSync('/usr/bin/time', ['-f', '%U %S', 'cp', from, to], { encoding: 'utf8' })
  const ms = performance.now() - start
  if (cp.status !== 0) throw new Error(`cp failed: ${cp.stderr}`)
  return { ms, cpuSeconds: cp.stderr.trim().split('\n').at(-1)!.split(' ').reduce((sum, x) => sum + Number(x), 0) }
}

/**
 * `gas restore ASSET --version main --out` against `cp` of the workspace's file, best of `rounds`
 * each, alternated, in two cache states that are the same for both: **cold** (the file and every
 * pack dropped from the page cache: restoring a version nobody read lately, and `cp` of a file
 * nobody read lately) and **warm** (both read just before). why both: a pack is written with
 * O_DIRECT, so right after `gas add` the file is cached and the pack is not; timing the restore
 * from the disk against `cp` from memory compared the disk with RAM, not the two copies.
 * `check(out)` runs on the first restore's output.
 */
export async function restoreAgainstCp (opts: {
  ws: string, asset: string, outDir: string, preload: string, rounds: number, check: (out: string) => Promise<void>
}): Promise<RestorePairs> {
  const source = join(opts.ws, opts.asset)
  const restored = join(opts.outDir, 'restored.bin')
  const copied = join(opts.outDir, 'copied.bin')
  const packs = await packFiles(opts.ws)
  const best: Partial<Record<'cold' | 'warm', { restore?: Timed, cp?: CommandTime }>> = {}
  for (let round = 0; round < opts.rounds; round++) {
    for (const state of ['cold', 'warm'] as const) {
      const prepare = (): void => (state === 'cold' ? evict : warm)([source, ...packs])
      await rm(restored, { force: true })
      prepare()
      await settle()
      const r = await gasTimed(opts.ws, ['restore', opts.asset, '--version', 'main', '--out', restored], opts.preload)
      if (round === 0 && state === 'cold') await opts.check(restored)
      await rm(restored, { force: true })
      await rm(copied, { force: true })
      prepare()
      await settle()
      const cp = cpTimed(source, copied)
      await rm(copied, { force: true })
      const b = best[state] ?? (best[state] = {})
      if (b.restore === undefined || r.ms < b.restore.ms) b.restore = r
      if (b.cp === undefined || cp.ms < b.cp.ms) b.cp = cp
    }
  }
  const pair = (state: 'cold' | 'warm'): RestorePair => ({ restore: best[state]!.restore!, cp: best[state]!.cp! })
  return { cold: pair('cold'), warm: pair('warm') }
}

/** Waits SETTLE_MS (see there). */
export async function settle (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
}

/** The floor's figures (≤ 1.3× cp in each state) and each one's CPU seconds. */
export function restoreFigures (pairs: RestorePairs, label: string): Figure[] {
  const out: Figure[] = []
  for (const state of ['cold', 'warm'] as const) {
    const { restore, cp } = pairs[state]
    const how = state === 'cold' ? 'file and packs dropped from the page cache, then a 3 s pause, before each' : 'file and packs read, then a 3 s pause, before each'
    out.push({ name: `${label}: gas restore --out, ${state} (${how}; seconds)`, value: restore.ms / 1000, unit: 's', compare: { name: `cp of the same file, ${state}, same run`, value: cp.ms / 1000, unit: 's' }, floor: '<= 1.3x cp', pass: restore.ms <= 1.3 * cp.ms })
    out.push({ name: `${label}: CPU seconds of gas restore, ${state} (process start included)`, value: restore.cpuSeconds, unit: 'CPU s', compare: { name: `cp, ${state} (copy_file_range: one copy inside the kernel, no check)`, value: cp.cpuSeconds, unit: 'CPU s' } })
  }
  return out
}
