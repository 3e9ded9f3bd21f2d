import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { makeDds, makeTga } from '../fixtures/textures.js'
import { makeObj } from '../fixtures/models.js'
import { makeZip } from './archives.js'
import { gasError, rgbaOf, tempDir } from './helpers.js'

/** Less common variants of each format, built by hand from the fixtures. */
const { put } = tempDir()

function tgaHeader (type: number, w: number, h: number, depth: number, descriptor: number, cmap?: { length: number, bits: number }): Buffer {
  const b = Buffer.alloc(18)
  b[1] = cmap !== undefined ? 1 : 0; b[2] = type
  if (cmap !== undefined) { b.writeUInt16LE(cmap.length, 5); b[7] = cmap.bits }
  b.writeUInt16LE(w, 12); b.writeUInt16LE(h, 14); b[16] = depth; b[17] = descriptor
  return b
}

describe('format variants', () => {
  it('TGA greyscale, colour-mapped and 16-bit', async () => {
    const grey = Buffer.concat([tgaHeader(3, 4, 2, 8, 0x20), Buffer.from([0, 50, 100, 150, 200, 250, 255, 10])])
    const g = await generatePreview({ path: put('g.tga', grey), kind: 'texture', format: 'tga' })
    expect(g.info).toMatchObject({ channels: 1, alpha: false, width: 4, height: 2 })
    expect((await rgbaOf(g.image!)).data.subarray(4, 8)).toEqual(Buffer.from([50, 50, 50, 255]))
    const palette = Buffer.from([0, 0, 255, 0, 255, 0]) // BGR: red, green
    const mapped = Buffer.concat([tgaHeader(1, 2, 1, 8, 0x20, { length: 2, bits: 24 }), palette, Buffer.from([1, 0])])
    const m = await generatePreview({ path: put('m.tga', mapped), kind: 'texture', format: 'tga' })
    expect(m.info).toMatchObject({ colorMapped: true, channels: 3 })
    expect([...(await rgbaOf(m.image!)).data]).toEqual([0, 255, 0, 255, 255, 0, 0, 255])
    const badIndex = Buffer.concat([tgaHeader(1, 2, 1, 8, 0x20, { length: 2, bits: 24 }), palette, Buffer.from([1, 7])])
    await gasError(generatePreview({ path: put('bad-index.tga', badIndex), kind: 'texture', format: 'tga' }), 'E_MALFORMED_ASSET')
    const px16 = Buffer.alloc(4); px16.writeUInt16LE(0x8000 | (31 << 10), 0); px16.writeUInt16LE(31, 2) // opaque red, transparent blue
    const t16 = await generatePreview({ path: put('16.tga', Buffer.concat([tgaHeader(2, 2, 1, 16, 0x21), px16])), kind: 'texture', format: 'tga' })
    expect(t16.info).toMatchObject({ bitDepth: 5, alpha: true })
    expect([...(await rgbaOf(t16.image!)).data.subarray(0, 4)]).toEqual([255, 0, 0, 255])
    const rle = makeTga({ width: 8, height: 8, rle: true }); rle[18] = 0xff // first packet: a 128-pixel run in a 64-pixel image
    await gasError(generatePreview({ path: put('run.tga', rle), kind: 'texture', format: 'tga' }), 'E_MALFORMED_ASSET')
    await gasError(generatePreview({ path: put('type.tga', tgaHeader(2, 2, 2, 12, 0)), kind: 'texture', format: 'tga' }), 'E_MALFORMED_ASSET')
  })

  it('DDS DX10 header, BC4/BC5 FourCCs and luminance masks', async () => {
    const rgba = makeDds({ width: 16, height: 8, format: 'rgba' })
    const dx10 = Buffer.concat([rgba.bytes.subarray(0, 128), Buffer.alloc(20), rgba.bytes.subarray(128)])
    dx10.writeUInt32LE(0x4, 80); dx10.write('DX10', 84, 'latin1'); dx10.writeUInt32LE(28, 128); dx10.writeUInt32LE(3, 132); dx10.writeUInt32LE(1, 140)
    const r = await generatePreview({ path: put('dx10.dds', dx10), kind: 'texture', format: 'dds' })
    expect(r.info).toMatchObject({ compression: 'rgba8', width: 16, height: 8 })
    expect((await rgbaOf(r.image!)).data).toEqual(Buffer.from(rgba.pixels))
    const float = Buffer.from(dx10); float.writeUInt32LE(2, 128)
    expect((await gasError(generatePreview({ path: put('rgba32f.dds', float), kind: 'texture', format: 'dds' }), 'E_NO_PREVIEW')).message).toMatch(/rgba32f/)
    const bc4 = Buffer.from(makeDds({ width: 8, height: 8, format: 'bc1' }).bytes); bc4.write('ATI1', 84, 'latin1')
    expect((await generatePreview({ path: put('bc4.dds', bc4), kind: 'texture', format: 'dds' })).info).toMatchObject({ compression: 'bc4', channels: 1 })
    const bc5 = Buffer.from(makeDds({ width: 8, height: 8, format: 'bc3' }).bytes); bc5.write('ATI2', 84, 'latin1')
    expect((await generatePreview({ path: put('bc5.dds', bc5), kind: 'texture', format: 'dds' })).info).toMatchObject({ compression: 'bc5', channels: 2 })
    const lum = Buffer.alloc(128 + 4); lum.write('DDS ', 0, 'latin1'); lum.writeUInt32LE(124, 4); lum.writeUInt32LE(0x1007, 8)
    lum.writeUInt32LE(2, 12); lum.writeUInt32LE(2, 16); lum.writeUInt32LE(32, 76); lum.writeUInt32LE(0x20000, 80); lum.writeUInt32LE(8, 88); lum.writeUInt32LE(0xff, 92)
    lum.set([0, 85, 170, 255], 128)
    const l = await generatePreview({ path: put('lum.dds', lum), kind: 'texture', format: 'dds' })
    expect(l.info).toMatchObject({ compression: 'l8', channels: 1 })
    expect([...(await rgbaOf(l.image!)).data.subarray(4, 8)]).toEqual([85, 85, 85, 255])
    const mips = Buffer.from(rgba.bytes); mips.writeUInt32LE(mips.readUInt32LE(8) | 0x20000, 8); mips.writeUInt32LE(9, 28)
    expect((await gasError(generatePreview({ path: put('mips.dds', mips), kind: 'texture', format: 'dds' }), 'E_MALFORMED_ASSET')).message).toMatch(/mip levels/)
  })

  it('PSD grayscale, 32-bit float, and unsupported modes', async () => {
    const psd = (mode: number, depth: number, channels: number, planes: Buffer[]): Buffer => {
      const h = Buffer.alloc(26); h.write('8BPS', 0, 'latin1'); h.writeUInt16BE(1, 4); h.writeUInt16BE(channels, 12)
      h.writeUInt32BE(1, 14); h.writeUInt32BE(2, 18); h.writeUInt16BE(depth, 22); h.writeUInt16BE(mode, 24)
      return Buffer.concat([h, Buffer.alloc(12), Buffer.from([0, 0]), ...planes])
    }
    const g = await generatePreview({ path: put('g.psd', psd(1, 8, 2, [Buffer.from([10, 200]), Buffer.from([255, 128])])), kind: 'texture', format: 'psd' })
    expect(g.info).toMatchObject({ colorMode: 'grayscale', alpha: true, channels: 2 })
    expect([...(await rgbaOf(g.image!)).data]).toEqual([10, 10, 10, 255, 200, 200, 200, 128])
    const f = Buffer.alloc(8); f.writeFloatBE(0.5, 0); f.writeFloatBE(2, 4)
    const fl = await generatePreview({ path: put('f.psd', psd(1, 32, 1, [f])), kind: 'texture', format: 'psd' })
    expect([...(await rgbaOf(fl.image!)).data.subarray(0, 3)]).toEqual([128, 128, 128])
    await gasError(generatePreview({ path: put('cmyk.psd', psd(4, 8, 4, [Buffer.alloc(8)])), kind: 'texture', format: 'psd' }), 'E_NO_PREVIEW')
    await gasError(generatePreview({ path: put('bits.psd', psd(3, 1, 3, [Buffer.alloc(8)])), kind: 'texture', format: 'psd' }), 'E_NO_PREVIEW')
    await gasError(generatePreview({ path: put('depth.psd', psd(3, 12, 3, [Buffer.alloc(8)])), kind: 'texture', format: 'psd' }), 'E_MALFORMED_ASSET')
    const zipped = psd(3, 8, 3, [Buffer.alloc(8)]); zipped[26 + 12 + 1] = 2
    await gasError(generatePreview({ path: put('zip.psd', zipped), kind: 'texture', format: 'psd' }), 'E_NO_PREVIEW')
  })

  it('zip64 end records are followed', async () => {
    const zip = makeZip([{ name: 'big.bin', body: 'abc' }])
    const eocd = zip.length - 22
    const cdOffset = zip.readUInt32LE(eocd + 16); const cdSize = zip.readUInt32LE(eocd + 12)
    const z64 = Buffer.alloc(56); z64.writeUInt32LE(0x06064b50, 0); z64.writeBigUInt64LE(44n, 4)
    z64.writeBigUInt64LE(1n, 24); z64.writeBigUInt64LE(1n, 32); z64.writeBigUInt64LE(BigInt(cdSize), 40); z64.writeBigUInt64LE(BigInt(cdOffset), 48)
    const loc = Buffer.alloc(20); loc.writeUInt32LE(0x07064b50, 0); loc.writeBigUInt64LE(BigInt(eocd), 8); loc.writeUInt32LE(1, 16)
    const end = Buffer.from(zip.subarray(eocd)); end.writeUInt16LE(0xffff, 10); end.writeUInt32LE(0xffffffff, 16)
    const out = Buffer.concat([zip.subarray(0, eocd), z64, loc, end])
    const res = await generatePreview({ path: put('z64.zip', out), kind: 'archive', format: 'zip' })
    expect(res.info).toMatchObject({ entryCount: 1, totalSize: 3 })
    const noLocator = Buffer.concat([zip.subarray(0, eocd), end])
    await gasError(generatePreview({ path: put('noloc.zip', noLocator), kind: 'archive', format: 'zip' }), 'E_MALFORMED_ASSET')
  })

  it('OBJ with more vertices than the first buffer, negative indices and CRLF lines', async () => {
    const obj = makeObj({ grid: 80 })
    const res = await generatePreview({ path: put('grid80.obj', obj.text.replace(/\n/g, '\r\n')), kind: 'model', format: 'obj', size: 64 })
    expect(res.info).toMatchObject({ vertices: obj.vertices, triangles: obj.triangles })
    const rel = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf -3/1/1 -2/1/1 -1/1/1\nv 1e0 1E+0 -2.5e-1'
    expect((await generatePreview({ path: put('rel.obj', rel), kind: 'model', format: 'obj' })).info).toMatchObject({ vertices: 4, triangles: 1, bounds: { min: [0, 0, -0.25], max: [1, 1, 0] } })
    await gasError(generatePreview({ path: put('nan.obj', 'v 1 2 x\n'), kind: 'model', format: 'obj' }), 'E_MALFORMED_ASSET')
    await gasError(generatePreview({ path: put('two.obj', 'v 1 2 3\nv 1 2 4\nf 1 2\n'), kind: 'model', format: 'obj' }), 'E_MALFORMED_ASSET')
  })
})
