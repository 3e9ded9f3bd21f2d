import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { decodePreview, encodePreview } from '../../src/objects/preview.js'
import { makeObj } from '../fixtures/models.js'
import { makeWav } from '../fixtures/audio.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: gas.GasError) => err.code)

describe('previews stored with assets', () => {
  it('are generated on add, stored as preview objects and shown without the content', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    mkdirSync(join(dir, 'art'))
    writeFileSync(join(dir, 'art', 'rock.png'), await makePng({ width: 1024, height: 256, alpha: true }))
    writeFileSync(join(dir, 'art', 'cube.obj'), makeObj('cube').text)
    writeFileSync(join(dir, 'art', 'hit.wav'), makeWav({ seconds: 1, sampleRate: 22050, channels: 2, bitDepth: 16 }).bytes)
    writeFileSync(join(dir, 'art', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n not really'))
    writeFileSync(join(dir, 'notes.bin'), Buffer.alloc(100, 1))
    await gas.add(ws, { paths: [dir] })
    await gas.commit(ws, { message: 'with previews' })

    const texture = await gas.showPreview(ws, { target: 'art/rock.png', out: 'rock-thumb.webp' })
    expect(texture.info).toMatchObject({ width: 1024, height: 256, alpha: true })
    const thumb = await sharp(texture.image!).metadata()
    expect([thumb.width, thumb.height]).toEqual([256, 64]) // long side at the preview default, aspect kept
    const model = await gas.showPreview(ws, { target: 'art/cube.obj' })
    expect(model.info).toMatchObject({ vertices: 8, triangles: 12 })
    const audio = await gas.showPreview(ws, { target: 'art/hit.wav' })
    expect(audio.info).toMatchObject({ sampleRate: 22050, channels: 2 })
    expect(audio.clip).not.toBeNull()
    expect(await codeOf(gas.showPreview(ws, { target: 'art/broken.png' }))).toBe('E_MALFORMED_ASSET')
    expect(await codeOf(gas.showPreview(ws, { target: 'notes.bin' }))).toBe('E_NO_PREVIEW')
    expect(await codeOf(gas.showPreview(ws, { target: 'nope.png' }))).toBe('E_NOT_FOUND')

    // A peer that has only the metadata and previews: its records kept as loose objects, every
    // pack (the chunks, and the records gas add packs beside them) deleted; the preview still shows.
    await ws.close()
    const peer = await gas.open({ dir })
    let chunks = 0
    for (const pack of peer.store.packFiles()) {
      for (const { id, offset } of [...pack.index.entries()]) {
        if ((await pack.entryHeader(offset)).type === 'chunk') { chunks++; continue }
        const record = await peer.store.get(id)
        await peer.store.loose.write(record.type, record.body, id)
      }
    }
    expect(chunks).toBeGreaterThan(0)
    await peer.close()
    const { rmSync, readdirSync } = await import('node:fs')
    for (const f of readdirSync(join(dir, '.gas', 'objects', 'pack'))) rmSync(join(dir, '.gas', 'objects', 'pack', f))
    const r = await gasInProcess(dir, ['preview', 'art/rock.png', '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'texture', format: 'png', info: { width: 1024 } })
    expect((await gasInProcess(dir, ['preview', 'art/cube.obj'])).stdout).toContain('triangles: 12')
    expect((await gasInProcess(dir, ['preview', 'art/broken.png'])).stderr).toMatch(/^gas: E_MALFORMED_ASSET: /)
  })

  it('preview objects round-trip and reject damage', () => {
    const p = { kind: 'texture', format: 'png', info: { width: 2 }, image: { format: 'webp' as const, width: 2, height: 1, bytes: Buffer.from('img') }, clip: { format: 'wav' as const, bytes: Buffer.from('clip') }, error: null }
    const bytes = Buffer.from(encodePreview(p))
    expect(decodePreview(bytes)).toEqual({ ...p, image: { ...p.image, bytes: Buffer.from('img') }, clip: { format: 'wav', bytes: Buffer.from('clip') } })
    for (const bad of [bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from('x')]), Buffer.from('nope'), (() => { const b = Buffer.from(bytes); b[4] = 9; return b })(), (() => { const b = Buffer.from(bytes); b.writeUInt32BE(1e9, 5); return b })()]) {
      expect(() => decodePreview(bad)).toThrow(gas.GasError)
    }
  })
})
