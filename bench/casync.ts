import { execFile, spawnSync } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * casync, the comparison for ingest speed and delta storage. It chunks with buzhash at the same
 * 16/64/256 KiB min/avg/max as our FastCDC and stores each chunk as one zstd file (.cacnk) in a
 * store folder, so its new chunk files plus its new index are exactly what an edit costs it.
 */

const CASYNC = '/usr/bin/casync'

let available: string | null | undefined

/** Path of the casync binary, installing the Debian package once if it is missing; null if impossible. */
export function findCasync (): string | null {
  if (available !== undefined) return available
  const probe = (): string | null => {
    for (const bin of [CASYNC, 'casync']) {
      const r = spawnSync(bin, ['--version'], { encoding: 'utf8' })
      if (r.status === 0) return bin
    }
    return null
  }
  available = probe()
  if (available === null) {
    process.stderr.write('casync missing: trying apt-get install -y casync\n')
    spawnSync('apt-get', ['install', '-y', 'casync'], { stdio: ['ignore', 'ignore', 'inherit'] })
    available = probe()
  }
  return available
}

export interface CasyncMake { ms: number, indexBytes: number }

/** `casync make --store=STORE INDEX INPUT` (a .caibx for a file, a .caidx for a folder), timed. */
export async function casyncMake (storeDir: string, indexPath: string, input: string): Promise<CasyncMake> {
  const bin = findCasync()
  if (bin === null) throw new Error('casync is not available')
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    execFile(bin, ['make', `--store=${storeDir}`, indexPath, input], { maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err !== null) reject(new Error(`casync make failed: ${err.message}\n${stderr}`))
      else resolve()
    })
  })
  const ms = performance.now() - start
  return { ms, indexBytes: (await stat(indexPath)).size }
}

/** Every chunk file of a casync store with its size (the store nests them in 4-hex-digit folders). */
export async function casyncChunks (storeDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const walk = async (dir: string): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names) {
      const path = join(dir, name)
      const st = await stat(path)
      if (st.isDirectory()) await walk(path)
      else if (name.endsWith('.cacnk')) out.set(name, st.size)
    }
  }
  await walk(storeDir)
  return out
}
