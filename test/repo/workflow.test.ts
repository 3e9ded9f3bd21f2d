import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { readReflog } from '../../src/refs/reflog.js'
import { verifyBytes } from '../../src/repo/identity.js'
import { readVersion } from '../../src/repo/tree-io.js'
import { encodeVersion, signedPart } from '../../src/objects/version.js'
import { hashObject } from '../../src/objects/id.js'
import { makeObj } from '../fixtures/models.js'
import { makeWav } from '../fixtures/audio.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: gas.GasError) => err.code)

/** A clock the test moves, in Tokyo, so times and zones are checkable. */
function tokyoClock (): gas.Clock & { tick: (s: number) => void } {
  let now = Date.UTC(2026, 10, 25, 13, 0, 0)
  return { now: () => now, tick: (s) => { now += s * 1000 } }
}

async function project (): Promise<{ dir: string, ws: gas.Workspace, clock: ReturnType<typeof tokyoClock> }> {
  const dir = tmp()
  const clock = tokyoClock()
  const ws = await gas.init({ dir, name: 'ana', clock })
  ws.config.timeZone = 'Asia/Tokyo'
  mkdirSync(join(dir, 'textures')); mkdirSync(join(dir, 'models')); mkdirSync(join(dir, 'audio'))
  writeFileSync(join(dir, 'textures', 'rock.png'), await makePng({ width: 64, height: 64 }))
  writeFileSync(join(dir, 'models', 'cube.obj'), makeObj('cube').text)
  writeFileSync(join(dir, 'audio', 'hit.wav'), makeWav({ seconds: 0.2, sampleRate: 22050, channels: 1, bitDepth: 16 }).bytes)
  return { dir, ws, clock }
}

describe('versions', () => {
  it('adds with tags, commits three versions, logs per asset and restores any of them', async () => {
    const { dir, ws, clock } = await project()
    const added = await gas.add(ws, { paths: [dir], tags: { stage: 'wip' } })
    expect(added.map((a) => [a.path, a.kind, a.format])).toEqual([
      ['audio/hit.wav', 'audio', 'wav'], ['models/cube.obj', 'model', 'obj'], ['textures/rock.png', 'texture', 'png']])
    const v1 = await gas.commit(ws, { message: 'first pass', tags: { milestone: 'alpha' } })
    const rock1 = readFileSync(join(dir, 'textures', 'rock.png'))
    clock.tick(3600)
    writeFileSync(join(dir, 'textures', 'rock.png'), await makePng({ width: 128, height: 64, seed: 2 }))
    await gas.add(ws, { paths: [join(dir, 'textures')] })
    const v2 = await gas.commit(ws, { message: 'bigger rock' })
    clock.tick(3600)
    writeFileSync(join(dir, 'models', 'cube.obj'), makeObj('sphere').text)
    const again = await gas.add(ws, { paths: [dir] })
    expect(again.filter((a) => !a.unchanged).map((a) => a.path)).toEqual(['models/cube.obj'])
    const v3 = await gas.commit(ws, { message: 'rounder' })

    const history = await gas.log(ws)
    expect(history.map((v) => v.id)).toEqual([v3, v2, v1])
    expect(history[2]).toMatchObject({ author: 'ana', message: 'first pass', tags: { milestone: 'alpha' }, parents: [], timeZone: 'Asia/Tokyo', time: '2026-11-25T22:00:00+09:00' })
    expect((await gas.log(ws, { path: 'textures/rock.png' })).map((v) => v.id)).toEqual([v2, v1])
    expect((await gas.log(ws, { path: 'audio/hit.wav' })).map((v) => v.id)).toEqual([v1])
    expect(await gas.log(ws, { limit: 1 })).toHaveLength(1)

    const out = join(dir, 'old-rock.png')
    for (const rev of [v1, v1.slice(0, 10), 'HEAD~2', 'main~2', `${v3}~2`]) {
      await gas.restore(ws, { path: 'textures/rock.png', rev, out })
      expect(readFileSync(out).equals(rock1)).toBe(true)
    }
    await gas.tag(ws, { name: 'alpha', rev: v1, message: 'first playable' })
    await gas.restore(ws, { path: 'textures/rock.png', rev: 'alpha', cwd: dir })
    expect(readFileSync(join(dir, 'textures', 'rock.png')).equals(rock1)).toBe(true)
    expect(await gas.resolveRevision(ws, 'alpha~0')).toBe(v1)
    expect((await gas.listTags(ws)).map((t) => t.name)).toEqual(['alpha'])

    const version = await readVersion(ws.store, v3)
    expect(verifyBytes(ws.identity.publicKey, signedPart(version), version.signature!)).toBe(true)
    expect((await readReflog(ws.fs, ws.gasDir, 'refs/heads/main')).map((e) => e.new)).toEqual([v1, v2, v3])
    await ws.close()
  })

  it('refuses what cannot be resolved with typed errors', async () => {
    const { dir, ws } = await project()
    expect(await codeOf(gas.commit(ws, { message: 'empty' }))).toBe('E_NOTHING_TO_COMMIT')
    await gas.add(ws, { paths: [dir] })
    expect(await codeOf(gas.commit(ws, { message: '  ' }))).toBe('E_BAD_ARGUMENT')
    const v1 = await gas.commit(ws, { message: 'one' })
    expect(await codeOf(gas.commit(ws, { message: 'same again' }))).toBe('E_NOTHING_TO_COMMIT')
    expect(await codeOf(gas.resolveRevision(ws, 'nope'))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.resolveRevision(ws, 'HEAD~5'))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.resolveRevision(ws, 'ffffffffff'))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.resolveRevision(ws, ''))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(gas.restore(ws, { path: 'missing.png', rev: v1 }))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.restore(ws, { path: '../etc/passwd', rev: v1, cwd: dir }))).toBe('E_PATH_ESCAPE')
    expect(await codeOf(gas.add(ws, { paths: ['/etc/hostname'] }))).toBe('E_PATH_ESCAPE')
    expect(await codeOf(gas.add(ws, { paths: [join(dir, '.gas', 'config.json')] }))).toBe('E_PATH_ESCAPE')
    expect(await codeOf(gas.add(ws, { paths: [join(dir, 'nothing-here.png')] }))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.add(ws, { paths: [] }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(gas.add(ws, { paths: [dir], tags: { 'bad key': 'x' } }))).toBe('E_BAD_ARGUMENT')
    await gas.tag(ws, { name: 'v1' })
    expect(await codeOf(gas.tag(ws, { name: 'v1' }))).toBe('E_ALREADY_EXISTS')
    expect(await codeOf(gas.tag(ws, { name: '../x' }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(gas.init({ dir }))).toBe('E_ALREADY_EXISTS')
    expect(await codeOf(gas.open({ dir: '/' }))).toBe('E_NOT_A_WORKSPACE')
    expect(await codeOf(gas.find(ws, { kind: 'spaceship' }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(gas.getMeta(ws, { path: 'nope.png', cwd: dir }))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.setMeta(ws, { path: 'nope.png', tags: {}, cwd: dir }))).toBe('E_NOT_FOUND')
    expect(await codeOf(gas.remove(ws, { paths: ['nope.png'], cwd: dir }))).toBe('E_NOT_FOUND')
    await ws.close()
  })

  it('refuses an ambiguous id prefix and resolves a longer one', async () => {
    const { ws } = await project()
    // Version records whose ids share 4 hex digits: found by trying messages (a birthday search).
    const byPrefix = new Map<string, Uint8Array>()
    let pair: [Uint8Array, Uint8Array] | undefined
    for (let i = 0; pair === undefined; i++) {
      const body = encodeVersion({ tree: 'a'.repeat(64), parents: [], author: ws.author, time: ws.authorTime(), message: `m${i}`, tags: {}, signature: null })
      const prefix = hashObject('version', body).slice(0, 4)
      const other = byPrefix.get(prefix)
      if (other !== undefined) pair = [other, body]
      byPrefix.set(prefix, body)
    }
    const [a, b] = [await ws.store.put('version', pair[0]), await ws.store.put('version', pair[1])]
    expect(await codeOf(gas.resolveRevision(ws, a.slice(0, 4)))).toBe('E_AMBIGUOUS_ID')
    expect(await gas.resolveRevision(ws, a.slice(0, 20))).toBe(a)
    expect(await gas.resolveRevision(ws, b.toUpperCase())).toBe(b)
    await ws.close()
  })
})

describe('metadata', () => {
  it('sets, gets and finds by tag, kind and glob; stat and fsck agree', async () => {
    const { dir, ws } = await project()
    await gas.add(ws, { paths: [dir], tags: { stage: 'wip' } })
    await gas.setMeta(ws, { path: join(dir, 'textures', 'rock.png'), tags: { owner: 'bo', stage: 'final' } })
    const meta = await gas.getMeta(ws, { path: 'textures/rock.png', cwd: dir })
    expect(meta).toMatchObject({ kind: 'texture', format: 'png', tags: { owner: 'bo', stage: 'final' } })
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/)
    await gas.setMeta(ws, { path: 'textures/rock.png', tags: {}, remove: ['owner'], cwd: dir })
    // meta.colorSpace is the PNG's own (embedded metadata), set by the preview at add time
    expect((await gas.getMeta(ws, { path: 'textures/rock.png', cwd: dir })).tags).toEqual({ stage: 'final', 'meta.colorSpace': 'srgb' })
    expect((await gas.find(ws, { tags: { stage: 'wip' } })).map((a) => a.path)).toEqual(['audio/hit.wav', 'models/cube.obj'])
    expect((await gas.find(ws, { kind: 'texture' })).map((a) => a.path)).toEqual(['textures/rock.png'])
    expect((await gas.find(ws, { path: 'models/**' })).map((a) => a.path)).toEqual(['models/cube.obj'])
    await gas.commit(ws, { message: 'tagged' })
    const s = await gas.stat(ws)
    expect(s).toMatchObject({ assets: 3, versions: 1 })
    expect(s.logicalBytes).toBeGreaterThan(1000)
    expect(s.storedBytes).toBeGreaterThan(0)
    expect(s.storedBytes).toBeLessThanOrEqual(s.logicalBytes)
    const report = await gas.fsck(ws)
    expect(report).toMatchObject({ ok: true, problems: [], missingChunks: 0 })
    expect(await gas.remove(ws, { paths: ['audio'], cwd: dir })).toEqual(['audio/hit.wav'])
    await gas.commit(ws, { message: 'no audio' })
    expect((await gas.find(ws)).length).toBe(2)
    await ws.close()
  })

  it('adding a folder stages the deletion of files removed from it, as git add does', async () => {
    const { dir, ws } = await project()
    await gas.add(ws, { paths: [dir] })
    await gas.commit(ws, { message: 'all' })
    rmSync(join(dir, 'models', 'cube.obj'))
    const added = await gas.add(ws, { paths: [join(dir, 'models')] })
    expect(added).toEqual([expect.objectContaining({ path: 'models/cube.obj', removed: true })])
    rmSync(join(dir, 'audio', 'hit.wav'))
    expect((await gas.add(ws, { paths: [join(dir, 'audio', 'hit.wav')] })).map((a) => [a.path, a.removed])).toEqual([['audio/hit.wav', true]])
    await gas.commit(ws, { message: 'removed two' })
    expect((await gas.find(ws)).map((a) => a.path)).toEqual(['textures/rock.png'])
    rmSync(join(dir, 'models'), { recursive: true })
    expect(await codeOf(gas.add(ws, { paths: [join(dir, 'models')] }))).toBe('E_NOT_FOUND') // gone, and nothing tracked there any more
    expect((await gasInProcess(dir, ['log', '--json'])).status).toBe(0)
    await ws.close()
  })

  it('skips symbolic links (they could point outside) and stores identical files once', async () => {
    const { dir, ws } = await project()
    symlinkSync('/etc/hostname', join(dir, 'link.txt'))
    const big = randomBytes(300_000)
    writeFileSync(join(dir, 'a.bin'), big); writeFileSync(join(dir, 'b.bin'), big)
    const added = await gas.add(ws, { paths: [dir] })
    expect(added.map((a) => a.path)).not.toContain('link.txt')
    expect(await codeOf(gas.add(ws, { paths: [join(dir, 'link.txt')] }))).toBe('E_BAD_ARGUMENT')
    const [a, b] = added.filter((x) => x.path.endsWith('.bin'))
    expect(a.newChunks).toBeGreaterThan(0)
    expect(b.newChunks).toBe(0)
    await ws.close()
  })
})
