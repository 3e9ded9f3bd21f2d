import { inflateSync } from 'node:zlib'
import { withSource } from './byte-source.js'

/**
 * Text chunks of a PNG (tEXt, zTXt, iTXt) wherever they sit: libvips reports only those before
 * the image data, while ImageMagick writes its Author/Software/Copyright after it. Only chunk
 * headers are read on the way (IDAT is skipped by seeking); no PNG library exposes the chunks
 * without reading the whole file, so the walk is written here. A damaged chunk list ends the
 * walk and costs only the tags.
 */
export interface PngText { keyword: string, text: string }

const MAX_TEXT_CHUNK = 64 * 1024
const MAX_INFLATED = 64 * 1024
const MAX_CHUNKS = 100_000
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export async function pngTextChunks (path: string): Promise<PngText[]> {
  return await withSource(path, async src => {
    const out: PngText[] = []
    if (src.size < 8) return out
    const sig = await src.readAt(0, 8, 'PNG signature')
    if (!SIGNATURE.every((b, i) => sig[i] === b)) return out
    let offset = 8
    for (let n = 0; n < MAX_CHUNKS && offset + 12 <= src.size; n++) {
      const head = await src.readAt(offset, 8, 'PNG chunk header')
      const length = new DataView(head.buffer, head.byteOffset, 8).getUint32(0, false)
      const type = String.fromCharCode(head[4], head[5], head[6], head[7])
      if (type === 'IEND' || offset + 12 + length > src.size) break
      if ((type === 'tEXt' || type === 'zTXt' || type === 'iTXt') && length <= MAX_TEXT_CHUNK) {
        const entry = parseText(type, await src.readAt(offset + 8, length, `PNG ${type} chunk`))
        if (entry !== null) out.push(entry)
      }
      offset += 12 + length
    }
    return out
  })
}

function parseText (type: string, b: Uint8Array): PngText | null {
  const nul = b.indexOf(0)
  if (nul < 1 || nul > 79) return null
  const keyword = Buffer.from(b.subarray(0, nul)).toString('latin1')
  try {
    if (type === 'tEXt') return { keyword, text: Buffer.from(b.subarray(nul + 1)).toString('latin1') }
    if (type === 'zTXt') return { keyword, text: inflateSync(b.subarray(nul + 2), { maxOutputLength: MAX_INFLATED }).toString('latin1') }
    // iTXt: compression flag, method, language tag\0, translated keyword\0, UTF-8 text
    const compressed = b[nul + 1] === 1
    const lang = b.indexOf(0, nul + 3)
    const translated = lang < 0 ? -1 : b.indexOf(0, lang + 1)
    if (translated < 0) return null
    const body = b.subarray(translated + 1)
    return { keyword, text: (compressed ? inflateSync(body, { maxOutputLength: MAX_INFLATED }) : Buffer.from(body)).toString('utf8') }
  } catch { return null }
}
