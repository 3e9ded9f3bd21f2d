import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { isGasError } from '../../src/errors.js'
import { encodeCanonical } from '../../src/objects/canonical-json.js'
import { checkEntryName, checkEntryNames, checkPortablePaths } from '../../src/objects/entry-name.js'
import type { ObjectStore } from '../../src/objects/store.js'
import { decodeTree, encodeTree } from '../../src/objects/tree.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { checkoutHead } from '../../src/repo/checkout.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { writeAsset, writeVersion } from '../net/helpers.js'

const tmp = useTmp()

const REFUSED = [
  '', '.', '..', '/etc', 'a/b', 'C:\\x', '..\\..\\x', 'a\0b', 'tab\there', '.gas', '.GAS', '.Gas.', '.gas ', '.g\u200cas',
  'CON', 'con', 'Con.txt', 'PRN.tar.gz', 'aux', 'NUL.png', 'nul .txt', 'COM1', 'com9.log', 'LPT1', 'lpt9.psd', 'COM¹', 'CONIN$',
  'trailing.', 'trailing ', 'what?.png', 'a:b', 'a*b', 'a<b>', 'pipe|d', 'quote"d'
]
const ALLOWED = ['console.txt', 'com10', 'lpt0.txt', 'auxiliary.png', 'CON_art.png', 'connect', '.gasrules', '.gasignore', 'héro.png', 'a b.png', '.hidden', 'NUL_ptr.h', 'com']

describe('tree entry names', () => {
  it.each(REFUSED)('refuses %j, naming it', (name) => {
    let err: unknown
    try { checkEntryName(name) } catch (e) { err = e }
    expect(isGasError(err, 'E_PATH_ESCAPE')).toBe(true)
    expect((err as gas.GasError).data.name).toBe(name)
  })

  it.each(ALLOWED)('allows %j', (name) => { expect(() => checkEntryName(name)).not.toThrow() })

  it('refuses two names of one tree that differ only in case or Unicode form', () => {
    expect(() => checkEntryNames(['Hero.png', 'hero.png'])).toThrow(/only in case/)
    expect(() => checkEntryNames(['caf\u00e9.png', 'cafe\u0301.png'])).toThrow(/only in case/)
    expect(() => checkEntryNames(['hero.png', 'hero2.png'])).not.toThrow()
    expect(() => checkPortablePaths(['Art/a.png', 'art/b.png'])).toThrow(/"Art"/)
    expect(() => checkPortablePaths(['Art/a.png', 'Art/b.png', 'audio/c.wav'])).not.toThrow()
  })

  it('refuses them when decoding a tree (whoever wrote it) and when encoding one', () => {
    const id = 'a'.repeat(64)
    for (const entries of [[{ id, name: 'CON.txt', type: 'asset' }], [{ id, name: 'Hero.png', type: 'asset' }, { id, name: 'hero.png', type: 'asset' }], [{ id, name: '..', type: 'tree' }]]) {
      expect(() => decodeTree(encodeCanonical({ entries }))).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
      expect(() => encodeTree({ entries: entries as never })).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
    }
  })
})

/** A version whose root tree holds `good.txt` and a crafted `art/` folder: written raw, as a hostile peer would. */
async function craftedVersion (store: ObjectStore, badNames: string[]): Promise<string> {
  const good = await writeAsset(store, { path: 'good.txt', bytes: Buffer.from('fine') })
  const bad = await writeAsset(store, { path: 'bad', bytes: Buffer.from('hostile') })
  const art = await store.put('tree', encodeCanonical({ entries: badNames.map((name) => ({ id: bad.asset, name, type: 'asset' })).sort((a, b) => (a.name < b.name ? -1 : 1)) }))
  const root = await store.put('tree', encodeCanonical({ entries: [{ id: art, name: 'art', type: 'tree' }, { id: good.asset, name: 'good.txt', type: 'asset' }] }))
  return await writeVersion(store, { tree: root, message: 'hostile' })
}

/** Every file under `dir`, skipping the store. */
function filesUnder (dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => !p.startsWith('.gas'))
}

describe('a crafted tree received from a peer', () => {
  it.each([[['CON.txt']], [['Hero.png', 'hero.png']], [['..']], [['a\\b']]])('with %j is refused when received, at checkout and at restore, before any file is written', async (badNames) => {
    const seed = await gas.init({ dir: tmp(), name: 'mallory' })
    const mine = await gas.init({ dir: tmp(), name: 'ana' })
    const version = await craftedVersion(seed.store, badNames)
    await seed.refs.update({ name: 'refs/heads/main', newId: version, message: 'hostile', who: 'mallory', now: Date.now() })
    // a second branch of the same peer, with nothing wrong in it
    const fine = await writeAsset(seed.store, { path: 'fine.txt', bytes: Buffer.from('fine content') })
    const fineVersion = await writeVersion(seed.store, { tree: await seed.store.put('tree', encodeCanonical({ entries: [{ id: fine.asset, name: 'fine.txt', type: 'asset' }] })), message: 'fine' })
    await seed.store.flush()
    await seed.refs.update({ name: 'refs/heads/fine', newId: fineVersion, message: 'fine', who: 'mallory', now: Date.now() })
    const [a, b] = MemoryTransport.pair({ a: 'ana', b: 'mallory' })
    const serving = serveRepo({ store: seed.store, refs: seed.refs, transport: b, peerName: 'mallory' })
    const synced = await syncRepo({ store: mine.store, refs: mine.refs, transports: [a], peerName: 'ana' })
    await serving.catch(() => {})
    // the walk that decides what to fetch decodes the received tree: that ref is refused, naming the entry, and does not move
    expect(synced.rejected).toEqual([expect.objectContaining({ ref: 'refs/heads/main', id: version, peer: 'mallory', code: 'E_PATH_ESCAPE', message: expect.stringContaining('in art/') })])
    expect(await mine.refs.read('refs/heads/main')).toBeUndefined()
    // the rest of the peer's refs sync: the good branch moved, its content is here
    expect(await mine.refs.read('refs/heads/fine')).toBe(fineVersion)
    expect(synced.missing).toEqual([])
    expect(Buffer.from((await mine.store.get(fine.chunks[0].id)).body).toString()).toBe('fine content')

    // a store that holds the tree anyway (received by an older build): checkout refuses before writing
    await mine.store.flush()
    await craftedVersion(mine.store, badNames)
    await mine.store.flush()
    await mine.refs.update({ name: 'refs/heads/main', newId: version, message: 'old build', who: 'ana', now: Date.now() })
    const checkout = await checkoutHead(mine).catch((err: unknown) => err)
    expect(checkout).toMatchObject({ code: 'E_PATH_ESCAPE', data: expect.objectContaining({ path: 'art' }) })
    expect(filesUnder(mine.root)).toEqual([])

    // the CLI says which entry, exits 1, and writes nothing
    const restored = await gasInProcess(mine.root, ['restore', 'art/x', '--version', version])
    expect(restored.status).toBe(1)
    expect(restored.stderr).toMatch(/^gas: E_PATH_ESCAPE: tree entry .* in art\/ is not allowed/)
    expect(filesUnder(mine.root)).toEqual([])
  })

  it('gas add refuses a Windows device name or a case-only twin before storing anything', async () => {
    const root = tmp()
    await gas.init({ dir: root, name: 'ana' })
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(join(root, 'Art'))
    writeFileSync(join(root, 'Art', 'aux.png'), 'x')
    const refused = await gasInProcess(root, ['add', 'Art'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^gas: E_PATH_ESCAPE: tree entry "aux.png" in Art\/ is not allowed: AUX is a device name reserved on Windows/)
    const { rmSync } = await import('node:fs')
    rmSync(join(root, 'Art', 'aux.png'))
    writeFileSync(join(root, 'Art', 'hero.png'), 'x')
    expect((await gasInProcess(root, ['add', 'Art'])).status).toBe(0)
    mkdirSync(join(root, 'art'))
    writeFileSync(join(root, 'art', 'other.png'), 'y')
    const twin = await gasInProcess(root, ['add', 'art'])
    expect(twin.status).toBe(1)
    expect(twin.stderr).toMatch(/E_PATH_ESCAPE: tree entry "art" is not allowed: it differs from "Art" only in case/)
  })
})
