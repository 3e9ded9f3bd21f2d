import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { magick, tool } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * Image metadata as the usual tools leave it: PNG text chunks (ImageMagick, GIMP, Aseprite write
 * Author/Software/Copyright there, not in EXIF) checked against ImageMagick's own reading, and XMP
 * as ExifTool writes it (single-quoted attributes, escaped &, < and >).
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

describe('image text metadata as meta tags', () => {
  it('PNG text chunks: author, software, copyright and title as ImageMagick reads them', async () => {
    magick('-size', '16x16', 'xc:teal', '-set', 'Author', 'Tom & Jerry', '-set', 'Software', 'Aseprite 1.3', '-set', 'Copyright', 'CC-BY 4.0', '-set', 'Title', 'Hero idle', at('text.png'))
    const ref = tool('identify', ['-format', '%[Author]|%[Software]|%[Copyright]|%[Title]', at('text.png')]).split('|')
    expect(ref).toEqual(['Tom & Jerry', 'Aseprite 1.3', 'CC-BY 4.0', 'Hero idle'])
    const res = await generatePreview({ path: at('text.png'), kind: 'texture', format: 'png' })
    expect(res.meta).toMatchObject({ author: ref[0], software: ref[1], copyright: ref[2], title: ref[3] })
  })

  it('compressed (zTXt) and international (iTXt) text chunks, and a damaged one skipped', async () => {
    const chunk = (type: string, body: Buffer): Buffer => {
      const head = Buffer.alloc(8); head.writeUInt32BE(body.length, 0); head.write(type, 4, 'latin1')
      const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0)
      return Buffer.concat([head, body, crc])
    }
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).png().toFile(at('plain.png'))
    const png = readFileSync(at('plain.png'))
    const iend = png.length - 12
    const ztxt = chunk('zTXt', Buffer.concat([Buffer.from('Copyright\0\0', 'latin1'), deflateSync(Buffer.from('Studio Nord, all rights', 'latin1'))]))
    const itxt = chunk('iTXt', Buffer.concat([Buffer.from('Author\0\0\0ja\0\0', 'latin1'), Buffer.from('山田 花子', 'utf8')]))
    const itxtZ = chunk('iTXt', Buffer.concat([Buffer.from('Title\0\x01\0\0\0', 'latin1'), deflateSync(Buffer.from('Mossy Rock ✓', 'utf8'))]))
    const broken = chunk('zTXt', Buffer.from('Software\0\0not deflate', 'latin1'))
    writeFileSync(at('intl.png'), Buffer.concat([png.subarray(0, iend), ztxt, itxt, itxtZ, broken, png.subarray(iend)]))
    const res = await generatePreview({ path: at('intl.png'), kind: 'texture', format: 'png' })
    expect(res.meta).toMatchObject({ copyright: 'Studio Nord, all rights', author: '山田 花子', title: 'Mossy Rock ✓' })
    expect(res.meta?.software).toBeUndefined()
    expect(res.info).toMatchObject({ width: 8, height: 8 })
  })

  it('XMP with single-quoted attributes and escaped characters reads as text', async () => {
    const xmp = "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>" +
      "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:xmp='http://ns.adobe.com/xap/1.0/' xmp:CreatorTool='Photoshop &amp; Bridge'>" +
      "<dc:creator><rdf:Seq><rdf:li>Ana &lt;art lead&gt;</rdf:li></rdf:Seq></dc:creator><dc:rights><rdf:Alt><rdf:li xml:lang='x-default'>&#169; Studio &quot;North&quot;</rdf:li></rdf:Alt></dc:rights>" +
      '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\'w\'?>'
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#884422' } }).withXmp(xmp).png().toFile(at('xmp.png'))
    const res = await generatePreview({ path: at('xmp.png'), kind: 'texture', format: 'png' })
    expect(res.meta).toMatchObject({ author: 'Ana <art lead>', software: 'Photoshop & Bridge', copyright: '© Studio "North"' })
  })
})
