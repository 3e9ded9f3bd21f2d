import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { ffmpeg, tool } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * Embedded metadata the other tests do not reach: XMP in an image (as libvips writes it, no EXIF
 * beside it) and RIFF INFO in a WAV and Vorbis comments in a FLAC (as ffmpeg writes them, read
 * back with ffprobe as the reference).
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

/** The container's tags as ffprobe reads them, keys lower-cased. */
function ffprobeTags (path: string): Record<string, string> {
  const out = JSON.parse(tool('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', path])) as { format?: { tags?: Record<string, string> } }
  return Object.fromEntries(Object.entries(out.format?.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
}

describe('embedded metadata as meta tags', () => {
  it('XMP of a PNG: creator, tool, rights and title', async () => {
    const xmp = '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Substance Painter 9">' +
      '<dc:creator><rdf:Seq><rdf:li>Grace Hopper</rdf:li></rdf:Seq></dc:creator><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Studio South</rdf:li></rdf:Alt></dc:rights>' +
      '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Mossy Rock</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#446622' } }).withXmp(xmp).png().toFile(at('rock.png'))
    // the file carries the packet (libvips as the writer), and the preview reads it back
    expect((await sharp(at('rock.png')).metadata()).xmp?.toString('utf8')).toContain('Grace Hopper')
    const res = await generatePreview({ path: at('rock.png'), kind: 'texture', format: 'png' })
    expect(res.meta).toMatchObject({ author: 'Grace Hopper', software: 'Substance Painter 9', copyright: 'Studio South', title: 'Mossy Rock' })
  })

  it('RIFF INFO of a WAV: title and artist as ffprobe reads them', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', '-c:a', 'pcm_s16le', '-metadata', 'title=Door Creak', '-metadata', 'artist=Foley Crew', at('creak.wav'))
    expect(readFileSync(at('creak.wav')).includes(Buffer.from('INAM'))).toBe(true)
    const ref = ffprobeTags(at('creak.wav'))
    expect(ref).toMatchObject({ title: 'Door Creak', artist: 'Foley Crew' })
    const res = await generatePreview({ path: at('creak.wav'), kind: 'audio', format: 'wav' })
    expect(res.meta).toMatchObject({ title: ref.title, artist: ref.artist })
  })

  it('Vorbis comments of a FLAC: title, artist and BPM as ffprobe reads them', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', '-c:a', 'flac', '-metadata', 'title=Footsteps', '-metadata', 'artist=Foley', '-metadata', 'BPM=96', at('steps.flac'))
    const ref = ffprobeTags(at('steps.flac'))
    expect(ref).toMatchObject({ title: 'Footsteps', artist: 'Foley', bpm: '96' })
    const res = await generatePreview({ path: at('steps.flac'), kind: 'audio', format: 'flac' })
    expect(res.meta).toMatchObject({ title: ref.title, artist: ref.artist, bpm: ref.bpm })
  })
})
