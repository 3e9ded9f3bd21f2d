import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { encodeAsset } from '../../src/objects/asset.js'
import { ChunkListBuilder } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { writeIndex, type IndexEntry } from '../../src/repo/staging-index.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const WANT_SET = resolve('dist/src/sync/want-set.js')

/** Records the process's own peak RSS (getrusage) as it exits. */
const PRELOAD = `import { writeFileSync } from 'node:fs'
process.on('exit', () => writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS * 1024)))
`

async function peakRss (cwd: string, args: string[]): Promise<number> {
  const preload = join(cwd, '..', `rss-${Math.random().toString(36).slice(2)}.mjs`)
  const out = `${preload}.out`
  writeFileSync(preload, PRELOAD)
  const child = spawn(process.execPath, ['--import', preload, ...args], { cwd, env: { ...process.env, RSS_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  expect(code, stderr).toBe(0)
  return Number(readFileSync(out, 'utf8'))
}

/**
 * A workspace whose index stages `count` real assets (records and manifests in the store, one
 * shared chunk), in folders of 500, as `gas add` leaves it; made in-process, since adding the
 * files themselves would take a minute here.
 */
async function stagedProject (count: number): Promise<string> {
  const dir = tmp()
  const ws = await gas.init({ dir, name: 'ana', previewer: async () => [] })
  const chunk = Buffer.from('shared content')
  const chunkId = await ws.store.put('chunk', chunk)
  const entries: Record<string, IndexEntry> = {}
  for (let i = 0; i < count; i++) {
    const list = new ChunkListBuilder()
    list.push(chunkId, chunk.length)
    const sha256 = hashObject('chunk', Buffer.from(`asset ${i}`))
    const manifest = list.encode(chunk.length, sha256)
    const file = await ws.store.putPacked('file', manifest)
    const meta = { file, size: chunk.length, sha256, kind: 'other' as const, format: 'bin', tags: {}, previews: [] }
    const asset = await ws.store.putPacked('asset', encodeAsset(meta))
    entries[`assets/d${String(Math.floor(i / 500)).padStart(3, '0')}/asset-${i}.bin`] = { asset, meta, mtimeMs: -1 }
  }
  await ws.store.flush()
  await writeIndex(ws.fs, ws.gasDir, { base: null, entries })
  await ws.close()
  return dir
}

/** A want-set walk over HEAD with nothing missing, as a sync's first round makes it, in its own process. */
function walkScript (dir: string): string {
  const script = join(dir, '..', `walk-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(script, `import * as gas from ${JSON.stringify(resolve('dist/src/index.js'))}
import { computeWantSet } from ${JSON.stringify(WANT_SET)}
const ws = await gas.open({ dir: ${JSON.stringify(dir)} })
const set = await computeWantSet({ store: ws.store, roots: [await ws.head()], decoded: new Map(), completeTrees: { has: () => false } })
if (!set.complete || set.content.length > 0) throw new Error('the walk found something missing')
`)
  return script
}

describe('memory of a project with many assets', () => {
  // why a difference of two sizes: node's own start-up (~60-100 MiB) varies by machine and load;
  // what must not happen is memory that grows with the number of assets. Measured here: commit
  // ~1.4 KiB an asset over this range (V8's garbage allowance filling; 146 MiB at 200 000), the
  // walk ~0.5-0.9; before, the commit held the whole index (~5.5 KiB an asset, 1.1 GB at 200 000)
  const SMALL = 5_000
  const LARGE = 25_000
  const BOUND_PER_ASSET = 2048

  it('gas commit and a want-set walk of 25 000 assets grow by less than 2 KiB per asset over 5 000', async () => {
    const small = await stagedProject(SMALL)
    const large = await stagedProject(LARGE)
    const commitSmall = await peakRss(small, [GAS_BIN, 'commit', '-m', 'all'])
    const commitLarge = await peakRss(large, [GAS_BIN, 'commit', '-m', 'all'])
    const walkSmall = await peakRss(small, [walkScript(small)])
    const walkLarge = await peakRss(large, [walkScript(large)])
    const perAsset = (a: number, b: number): number => (b - a) / (LARGE - SMALL)
    expect(perAsset(commitSmall, commitLarge), `commit: ${commitSmall} → ${commitLarge} bytes`).toBeLessThan(BOUND_PER_ASSET)
    expect(perAsset(walkSmall, walkLarge), `walk: ${walkSmall} → ${walkLarge} bytes`).toBeLessThan(BOUND_PER_ASSET)
    // the commit is whole: every asset is in its tree
    const ws = await gas.open({ dir: large })
    expect((await gas.log(ws, {})).length).toBe(1)
    await ws.close()
  })
})
