import { withSource } from './byte-source.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Lines shown as an excerpt of code or text documents. */
const EXCERPT_LINES = 40
const EXCERPT_BYTES = 4096

/** Code and text documents: size, line count, and the opening lines; binary documents just size. */
export async function textPreview (opts: GenerateOpts): Promise<PreviewParts> {
  return await withSource(opts.path, async src => {
    let lines = 0
    let binary = false
    let lastByte = -1
    const head: number[] = []
    while (src.remaining > 0) {
      await src.need(Math.min(src.remaining, 1 << 20), 'text')
      const b = src.bytes
      for (let i = src.pos; i < src.end; i++) {
        const c = b[i]
        if (c === 10) lines++
        else if (c === 0) binary = true
        if (head.length < EXCERPT_BYTES) head.push(c)
      }
      if (src.end > src.pos) lastByte = b[src.end - 1]
      src.pos = src.end
    }
    if (lastByte !== -1 && lastByte !== 10) lines++
    const info: Record<string, unknown> = { bytes: src.size }
    if (binary) return { info: { ...info, binary: true }, image: null, clip: null }
    const text = new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(head))
    info.lines = lines
    info.excerpt = text.split('\n').slice(0, EXCERPT_LINES).join('\n')
    return { info, image: null, clip: null }
  })
}
