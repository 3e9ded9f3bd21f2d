import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodePackIndex, PackIndex } from '../../src/pack/pack-index.js'
import { runGas, type GasCommand } from '../helpers/cli-team.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { useTmp } from '../helpers/tmp.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()

/** Rewrites the workspace's pack index with one entry's crc32 changed (the index stays well-formed: its trailer is right). */
function spoilOneCrc (dir: string): string {
  const packDir = join(dir, '.gas', 'objects', 'pack')
  const idx = readdirSync(packDir).filter((n) => n.endsWith('.idx')).map((n) => join(packDir, n))
    .map((path) => ({ path, index: PackIndex.parse(readFileSync(path), path) })).sort((a, b) => b.index.count - a.index.count)[0]
  const entries = [...idx.index.entries()]
  expect(entries.every((e) => e.crc !== undefined)).toBe(true)
  const victim = entries[Math.floor(entries.length / 2)]
  victim.crc = (victim.crc! ^ 0x5a5a5a5a) >>> 0
  writeFileSync(idx.path, encodePackIndex(entries, idx.index.packSize))
  return victim.id
}

describe('gas fsck and the crc32 each index entry keeps', () => {
  it('reports an index crc32 that does not match its whole entry (E_INDEX_CRC; it said ok), and --repair writes the index again', async () => {
    const dir = tmp()
    expect((await runGas(GAS, dir, ['init', '--name', 'ana'])).status).toBe(0)
    const content = pseudoRandomBytes('crc', 1024 * 1024)
    writeFileSync(join(dir, 'big.bin'), content)
    expect((await runGas(GAS, dir, ['add', 'big.bin'])).status).toBe(0)
    expect((await runGas(GAS, dir, ['commit', '-m', 'one'])).status).toBe(0)
    expect(JSON.parse((await runGas(GAS, dir, ['fsck', '--json'])).stdout).ok).toBe(true)

    const id = spoilOneCrc(dir)
    const checked = await runGas(GAS, dir, ['fsck', '--json'])
    expect(checked.status).toBe(1)
    const report = JSON.parse(checked.stdout)
    expect(report.ok).toBe(false)
    expect(report.problems).toEqual([{ id, code: 'E_INDEX_CRC', message: expect.stringMatching(/\.idx holds crc32 [0-9a-f]{8} for object [0-9a-f]{64} at offset \d+, but the entry .* has [0-9a-f]{8}.*gas fsck --repair/) as string }])
    const text = await runGas(GAS, dir, ['fsck'])
    expect(text.stdout).toContain(`E_INDEX_CRC ${id}: `)

    // the repair needs no peer: the entry is whole, only the index was wrong
    const repaired = await runGas(GAS, dir, ['fsck', '--repair', '--json'])
    expect(repaired.status, repaired.stderr).toBe(0)
    const repair = JSON.parse(repaired.stdout)
    expect(repair).toMatchObject({ ok: true, damaged: [], reindexed: [{ index: expect.stringMatching(/\.idx$/) as string, ids: [id] }] })
    expect(JSON.parse((await runGas(GAS, dir, ['fsck', '--json'])).stdout)).toMatchObject({ ok: true, problems: [] })
    const out = join(dir, 'out.bin')
    expect((await runGas(GAS, dir, ['restore', 'big.bin', '--out', out])).status).toBe(0)
    expect(readFileSync(out).equals(content)).toBe(true)
    expect((await runGas(GAS, dir, ['fsck', '--repair'])).stdout).toContain('nothing to repair')
  }, 60_000)
})
