import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { makeTar, makeZip } from './archives.js'
import { gasError, tempDir } from './helpers.js'

const { put } = tempDir()

describe('archive, build, code and document previews', () => {
  it('lists a zip from its central directory', async () => {
    const zip = makeZip([{ name: 'maps/', body: '' }, { name: 'maps/level1.bin', body: 'x'.repeat(1000) }, { name: 'readme.txt', body: 'hello' }], { comment: 'made by gas' })
    const res = await generatePreview({ path: put('a.zip', zip), kind: 'archive', format: 'zip' })
    expect(res.info).toMatchObject({ entryCount: 3, files: 2, directories: 1, totalSize: 1005, encrypted: false, truncatedListing: false })
    expect((res.info.entries as Array<{ name: string }>).map(e => e.name)).toEqual(['maps/', 'maps/level1.bin', 'readme.txt'])
    expect(res.image).toBeNull()
  })

  it('utf-8 names and listings longer than the cap', async () => {
    const files = Array.from({ length: 1200 }, (_, i) => ({ name: `音/${i}.txt`, body: 'ab' }))
    const res = await generatePreview({ path: put('many.zip', makeZip(files, { utf8: true })), kind: 'archive', format: 'zip' })
    expect(res.info).toMatchObject({ entryCount: 1200, files: 1200, totalSize: 2400, truncatedListing: true })
    expect((res.info.entries as unknown[]).length).toBe(1000)
    expect((res.info.entries as Array<{ name: string }>)[5].name).toBe('音/5.txt')
  })

  it('lists a tar, including GNU long names', async () => {
    const long = 'deep/'.repeat(25) + 'file.txt'
    const tar = makeTar([{ name: 'assets', body: '', dir: true }, { name: 'assets/a.txt', body: 'hello world' }, { name: long, body: 'x' }])
    const res = await generatePreview({ path: put('a.tar', tar), kind: 'archive', format: 'tar' })
    expect(res.info).toMatchObject({ entryCount: 3, files: 2, directories: 1, totalSize: 12 })
    expect((res.info.entries as Array<{ name: string }>)[2].name).toBe(long)
  })

  it('bad archives fail with E_MALFORMED_ASSET; unknown archive formats with E_NO_PREVIEW', async () => {
    const zip = makeZip([{ name: 'a', body: 'b' }])
    await gasError(generatePreview({ path: put('cut.zip', zip.subarray(0, zip.length - 30)), kind: 'archive', format: 'zip' }), 'E_MALFORMED_ASSET')
    const lying = Buffer.from(zip); lying.writeUInt16LE(60000, lying.length - 12)
    await gasError(generatePreview({ path: put('lying.zip', lying), kind: 'archive', format: 'zip' }), 'E_MALFORMED_ASSET')
    const tar = makeTar([{ name: 'a', body: 'b' }]); tar[0] ^= 1
    expect((await gasError(generatePreview({ path: put('bad.tar', tar), kind: 'archive', format: 'tar' }), 'E_MALFORMED_ASSET')).message).toMatch(/checksum/)
    await gasError(generatePreview({ path: put('a.7z', '7z'), kind: 'archive', format: '7z' }), 'E_NO_PREVIEW')
  })

  it('build summaries: android package and bare executables', async () => {
    const apk = makeZip([{ name: 'AndroidManifest.xml', body: '<m/>' }, { name: 'classes.dex', body: 'dex' }, { name: 'lib/arm64-v8a/libgame.so', body: 'elf' }, { name: 'lib/armeabi-v7a/libgame.so', body: 'elf' }])
    const res = await generatePreview({ path: put('game.apk', apk), kind: 'build', format: 'apk' })
    expect(res.info).toMatchObject({ platform: 'android', abis: ['arm64-v8a', 'armeabi-v7a'], entryCount: 4, binaries: 2 })
    const pe = Buffer.alloc(512); pe.write('MZ'); pe.writeUInt32LE(0x80, 0x3c); pe.writeUInt32LE(0x4550, 0x80); pe.writeUInt16LE(0x8664, 0x84)
    expect((await generatePreview({ path: put('game.exe', pe), kind: 'build', format: 'exe' })).info).toMatchObject({ container: 'pe', platform: 'windows', arch: 'x64', library: false })
    const elf = Buffer.alloc(64); elf.write('\x7fELF', 'latin1'); elf[4] = 2; elf[5] = 1; elf.writeUInt16LE(62, 18)
    expect((await generatePreview({ path: put('game.x86_64', elf), kind: 'build', format: 'x86_64' })).info).toMatchObject({ container: 'elf', bits: 64, arch: 'x64' })
    const macho = Buffer.alloc(64); macho.writeUInt32BE(0xcffaedfe, 0); macho.writeUInt32LE(0x0100000c, 4)
    expect((await generatePreview({ path: put('game.macho', macho), kind: 'build', format: 'bin' })).info).toMatchObject({ container: 'mach-o', arch: 'arm64' })
    expect((await generatePreview({ path: put('blob.bin', 'hello'), kind: 'build', format: 'bin' })).info).toMatchObject({ container: 'unknown', bytes: 5 })
    const badPe = Buffer.alloc(128); badPe.write('MZ'); badPe.writeUInt32LE(0x70, 0x3c)
    await gasError(generatePreview({ path: put('bad.exe', badPe), kind: 'build', format: 'exe' }), 'E_MALFORMED_ASSET')
  })

  it('code and text documents: lines and an excerpt; binary documents just size', async () => {
    const src = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n')
    const res = await generatePreview({ path: put('a.ts', src), kind: 'code', format: 'ts' })
    expect(res.info).toMatchObject({ bytes: src.length, lines: 100 })
    expect((res.info.excerpt as string).split('\n')).toHaveLength(40)
    expect((await generatePreview({ path: put('b.pdf', Buffer.from([37, 80, 0, 1, 2])), kind: 'document', format: 'pdf' })).info).toEqual({ bytes: 5, binary: true })
  })

  it('unknown kinds and bad arguments', async () => {
    const p = put('x.dat', 'x')
    expect((await gasError(generatePreview({ path: p, kind: 'engine', format: 'uasset' }), 'E_NO_PREVIEW')).message).toMatch(/no preview for this engine format: uasset \(supported: Unity/)
    await gasError(generatePreview({ path: p, kind: 'other', format: 'dat' }), 'E_NO_PREVIEW')
    await gasError(generatePreview({ path: p, kind: 'texture', format: 'png', size: 4096 }), 'E_BAD_ARGUMENT')
    await gasError(generatePreview({ path: '', kind: 'texture', format: 'png' }), 'E_BAD_ARGUMENT')
    await gasError(generatePreview(null as never), 'E_BAD_ARGUMENT')
    await gasError(generatePreview({ path: `${p}.missing`, kind: 'audio', format: 'wav' }), 'E_NOT_FOUND')
    await gasError(generatePreview({ path: `${p}.missing`, kind: 'model', format: 'obj' }), 'E_NOT_FOUND')
    await gasError(generatePreview({ path: `${p}.missing`, kind: 'texture', format: 'png' }), 'E_NOT_FOUND')
  })
})
