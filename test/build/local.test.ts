import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { encodeBuild } from '../../src/objects/build.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { signBuild } from '../../src/build/signature.js'
import { readBuild } from '../../src/build/resolve-build.js'
import { useTmp } from '../helpers/tmp.js'
import { writeBuildFolder } from './helpers.js'

/** Publish, fetch and verify inside one workspace (no peer needed when every chunk is here), and their faults. */

const tmp = useTmp()
const noPeers = { trackers: ['ws://127.0.0.1:9'], firstPeerWaitMs: 200 }

/** every workspace a test opened, closed after it (their pack handles otherwise fall to the garbage collector) */
const opened: gas.Workspace[] = []
afterEach(async () => { for (const ws of opened.splice(0)) await ws.close().catch(() => {}) })

async function publisher (): Promise<{ ws: gas.Workspace, out: string }> {
  const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  opened.push(ws)
  const out = join(ws.root, 'out')
  writeBuildFolder(out, { 'game.exe': 50_000, 'Data/level.pak': 300_000, 'Data/sub/deep.bin': 1000 })
  return { ws, out }
}

describe('gas build publish', () => {
  it('records files, modes, engine, source, publisher and time; shares chunks with assets; never moves a build', async () => {
    const { ws, out } = await publisher()
    // the same bytes added as an asset first: the build stores no chunk of its own for them
    mkdirSync(join(ws.root, 'assets'))
    writeFileSync(join(ws.root, 'assets', 'level.pak'), readFileSync(join(out, 'Data/level.pak')))
    await gas.add(ws, { paths: [join(ws.root, 'assets')] })
    await nodeFs.chmod(join(out, 'game.exe'), 0o755)
    writeFileSync(join(ws.root, 'project.godot'), 'config/features=PackedStringArray("4.3")\n')
    const v1 = await gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.0', platform: 'linux' })
    const { build } = await readBuild(ws, v1.build)
    expect(build.files.map((f) => [f.path, f.mode.toString(8)])).toEqual([['Data/level.pak', '644'], ['Data/sub/deep.bin', '644'], ['game.exe', '755']])
    expect(build).toMatchObject({ name: 'game', version: '1.0.0', platform: 'linux', engine: { name: 'godot', version: '4.3' }, publisher: { name: 'ana', publicKey: ws.identity.publicKey } })
    expect(build.source.kind).toBe('none')
    expect(build.time.timeZone).toBe(ws.config.timeZone)
    // every chunk of the other two files is new; none of level.pak's (the asset holds them)
    let others = 0
    for (const f of build.files) if (f.path !== 'Data/level.pak') others += decodeFileManifest((await ws.store.get(f.file)).body).chunks.length
    expect(decodeFileManifest((await ws.store.get(build.files[0].file)).body).chunks.length).toBeGreaterThan(1)
    expect(v1.newChunks).toBe(others)

    const again = await gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.0' })
    expect(again).toMatchObject({ build: v1.build, unchanged: true, newChunks: 0 })
    writeFileSync(join(out, 'Data/sub/deep.bin'), 'other bytes')
    await expect(gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.0' })).rejects.toMatchObject({ code: 'E_BUILD_EXISTS' })
    expect(await ws.refs.read('refs/builds/game/1.0.0')).toBe(v1.build)

    // dependencies by NAME@VERSION and by id; one that does not exist is named
    const asset = (await gas.add(ws, { paths: [join(ws.root, 'assets')] }))[0].asset
    const v2 = await gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.1', deps: ['game@1.0.0', asset] })
    expect((await readBuild(ws, v2.build)).build.dependencies).toEqual([{ name: 'game@1.0.0', type: 'build', id: v1.build }, { name: asset, type: 'asset', id: asset }])
    await expect(gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.2', deps: ['engine@9'] })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('engine@9') })
    await expect(gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.2', deps: ['ab'.repeat(32)] })).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    await expect(gas.publishBuild(ws, { dir: join(ws.root, 'nope'), name: 'game', version: '1.0.2' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    symlinkSync('/etc/passwd', join(out, 'Data', 'link'))
    await expect(gas.publishBuild(ws, { dir: out, name: 'game', version: '1.0.2' })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', data: { path: 'Data/link' } })
    expect(await ws.refs.read('refs/builds/game/1.0.2')).toBeUndefined()

    const listed = await gas.listBuilds(ws)
    expect(listed.map((b) => `${b.name}@${b.version}`)).toEqual(['game@1.0.1', 'game@1.0.0'])
    expect(listed.every((b) => b.local && b.publisher.name === 'ana')).toBe(true)
    expect(await gas.listBuilds(ws, { name: 'other' })).toEqual([])
  })
})

describe('gas build fetch and verify (all chunks here)', () => {
  it('writes a verified folder, replaces an earlier build only once the new one verified, refuses a foreign folder', async () => {
    const { ws, out } = await publisher()
    const v1 = await gas.publishBuild(ws, { dir: out, name: 'game', version: '1', platform: 'win64' })
    const dest = join(tmp(), 'game')
    const got = await gas.fetchBuild({ ws, spec: 'game@1', dir: dest, security: gas.peerSecurity(ws), ...noPeers })
    expect(got).toMatchObject({ build: v1.build, files: 3, fetched: { objects: 0, bytes: 0 }, peers: [] })
    expect(await gas.verifyBuildFolder({ dir: dest })).toMatchObject({ ok: true, name: 'game', version: '1' })

    writeFileSync(join(out, 'game.exe'), 'v2')
    const v2 = await gas.publishBuild(ws, { dir: out, name: 'game', version: '2' })
    await gas.fetchBuild({ ws, spec: v2.build, dir: dest, security: gas.peerSecurity(ws), ...noPeers })
    expect(readFileSync(join(dest, 'game.exe'), 'utf8')).toBe('v2')
    expect((await gas.verifyBuildFolder({ dir: dest })).build).toBe(v2.build)
    // nothing temporary left beside it
    expect(readdirSync(dirname(dest))).toEqual(['game'])

    const foreign = tmp()
    writeFileSync(join(foreign, 'notes.txt'), 'mine')
    await expect(gas.fetchBuild({ ws, spec: 'game@1', dir: foreign, security: gas.peerSecurity(ws), ...noPeers })).rejects.toMatchObject({ code: 'E_ALREADY_EXISTS' })
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine')

    // verify: missing, extra, changed, each named
    const copy = join(tmp(), 'copy')
    await gas.fetchBuild({ ws, spec: 'game@1', dir: copy, security: gas.peerSecurity(ws), ...noPeers })
    await nodeFs.rm(join(copy, 'Data/sub/deep.bin'))
    writeFileSync(join(copy, 'Data/cheat.dll'), 'x')
    writeFileSync(join(copy, 'game.exe'), 'patched')
    const report = await gas.verifyBuildFolder({ dir: copy })
    expect(report).toMatchObject({ ok: false, missing: ['Data/sub/deep.bin'], extra: ['Data/cheat.dll'], mismatches: [{ path: 'game.exe' }] })
  })

  it('a record altered on disk, absent or not JSON is a typed error naming it', async () => {
    const { ws, out } = await publisher()
    await gas.publishBuild(ws, { dir: out, name: 'game', version: '1' })
    const dest = join(tmp(), 'game')
    await gas.fetchBuild({ ws, spec: 'game@1', dir: dest, security: gas.peerSecurity(ws), ...noPeers })
    const recordPath = join(dest, '.gas-build.json')
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { build: { files: Array<{ sha256: string }> } }
    // someone "fixes" the expected hash to match their modified file
    record.build.files[0].sha256 = 'f'.repeat(64)
    writeFileSync(recordPath, JSON.stringify(record))
    await expect(gas.verifyBuildFolder({ dir: dest })).rejects.toMatchObject({ code: 'E_BAD_SIGNATURE', message: expect.stringContaining('.gas-build.json') })
    writeFileSync(recordPath, '{oops')
    await expect(gas.verifyBuildFolder({ dir: dest })).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    writeFileSync(recordPath, '{"gasBuild": 2}')
    await expect(gas.verifyBuildFolder({ dir: dest })).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    await nodeFs.rm(recordPath)
    await expect(gas.verifyBuildFolder({ dir: dest })).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
  })

  it('a forged build or a ref naming another build is refused before anything is written', async () => {
    const { ws, out } = await publisher()
    const v1 = await gas.publishBuild(ws, { dir: out, name: 'game', version: '1' })
    const { build } = await readBuild(ws, v1.build)
    const forgedId = await ws.store.put('build', encodeBuild({ ...build, version: '6', signature: build.signature }))
    await ws.refs.update({ name: 'refs/builds/game/6', newId: forgedId, message: 't', who: 't', now: 0 })
    const dest = join(tmp(), 'game')
    await expect(gas.fetchBuild({ ws, spec: 'game@6', dir: dest, security: gas.peerSecurity(ws), ...noPeers })).rejects.toMatchObject({ code: 'E_BAD_SIGNATURE' })
    const unsigned = await ws.store.put('build', encodeBuild({ ...build, version: '7', signature: null }))
    await ws.refs.update({ name: 'refs/builds/game/7', newId: unsigned, message: 't', who: 't', now: 0 })
    await expect(gas.fetchBuild({ ws, spec: 'game@7', dir: dest, security: gas.peerSecurity(ws), ...noPeers })).rejects.toMatchObject({ code: 'E_BAD_SIGNATURE', message: expect.stringContaining('not signed') })
    const other = signBuild(ws.identity, { ...build, name: 'tool', signature: null })
    const otherId = await ws.store.put('build', encodeBuild(other))
    await ws.refs.update({ name: 'refs/builds/game/8', newId: otherId, message: 't', who: 't', now: 0 })
    await expect(gas.fetchBuild({ ws, spec: 'game@8', dir: dest, security: gas.peerSecurity(ws), ...noPeers })).rejects.toMatchObject({ code: 'E_BUILD_MISMATCH' })
    expect(existsSync(dest)).toBe(false)
    expect(readdirSync(dirname(dest))).toEqual([])
  })

  it('a disk that fills up mid-write names the file and leaves the previous build whole', async () => {
    const { ws, out } = await publisher()
    await gas.publishBuild(ws, { dir: out, name: 'game', version: '1' })
    writeFileSync(join(out, 'Data/level.pak'), Buffer.alloc(200_000, 7))
    await gas.publishBuild(ws, { dir: out, name: 'game', version: '2' })
    const dest = join(tmp(), 'game')
    await gas.fetchBuild({ ws, spec: 'game@1', dir: dest, security: gas.peerSecurity(ws), ...noPeers })
    const before = readFileSync(join(dest, 'Data/level.pak'))

    // a file system where writes into the fetch's temporary folder hit ENOSPC after 100 kB
    let written = 0
    const fullFs: FileSystem = {
      ...nodeFs,
      open: (async (path: string, flags?: string, mode?: number) => {
        const handle = await nodeFs.open(path, flags, mode)
        if (!String(path).includes('.gas-fetch-')) return handle
        return new Proxy(handle, {
          get (target, key) {
            if (key === 'write') {
              return async (buffer: Uint8Array, offset: number, length: number) => {
                written += length
                if (written > 100_000) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
                return await target.write(buffer, offset, length)
              }
            }
            // the build's files are written in large batches (writeFileContent)
            if (key === 'writev') {
              return async (buffers: Uint8Array[], position?: number) => {
                written += buffers.reduce((sum, b) => sum + b.length, 0)
                if (written > 100_000) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
                return await target.writev(buffers, position)
              }
            }
            const value = Reflect.get(target, key) as unknown
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
          }
        })
      }) as FileSystem['open']
    }
    const full = await gas.open({ dir: ws.root, fs: fullFs })
    await expect(gas.fetchBuild({ ws: full, spec: 'game@2', dir: dest, security: gas.peerSecurity(full), ...noPeers })).rejects.toMatchObject({ code: 'E_DISK_FULL', data: { path: 'Data/level.pak' } })
    expect(readFileSync(join(dest, 'Data/level.pak')).equals(before)).toBe(true)
    expect((await gas.verifyBuildFolder({ dir: dest })).ok).toBe(true)
    expect(readdirSync(dirname(dest))).toEqual(['game'])
    await full.close()
  })

  it('diff prices a fetch of B given A; with no peer a build whose content is absent is E_NO_PEERS or E_NOT_FOUND', async () => {
    const { ws, out } = await publisher()
    await gas.publishBuild(ws, { dir: out, name: 'game', version: '1' })
    await nodeFs.rm(join(out, 'Data/sub'), { recursive: true })
    writeBuildFolder(out, { 'Data/new.pak': 70_000 })
    await gas.publishBuild(ws, { dir: out, name: 'game', version: '2' })
    const diff = await gas.diffBuilds(ws, { from: 'game@1', to: 'game@2' })
    expect(diff).toMatchObject({ added: [{ path: 'Data/new.pak', size: 70_000 }], removed: [{ path: 'Data/sub/deep.bin', size: 1000 }], changed: [], unchanged: 2, fetchBytes: 70_000, estimated: false })
    await expect(gas.diffBuilds(ws, { from: 'game@1', to: 'game@3' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    const solo = await gas.init({ dir: tmp(), name: 'bo', team: 'other' })
    opened.push(solo)
    await expect(gas.fetchBuild({ ws: solo, spec: 'game@1', dir: join(tmp(), 'g'), security: gas.peerSecurity(solo), ...noPeers })).rejects.toMatchObject({ code: 'E_NO_PEERS' })
  })
})
