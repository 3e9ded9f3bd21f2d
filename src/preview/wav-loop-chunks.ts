import { withSource } from './byte-source.js'

/**
 * Loop points and tempo a WAV carries outside RIFF INFO: the `smpl` chunk (sampler loops, as
 * Sound Forge, Wavosaur, Wwise and FMOD write and read them) and the `acid` chunk (ACID / Sony
 * tempo). music-metadata reads neither, and both are fixed little-endian layouts, so they are
 * read here by hand: only the chunk headers are walked (the sample data is skipped, wherever the
 * chunks sit, often after `data`). A damaged chunk list ends the walk; it never fails the preview.
 */
const MAX_CHUNKS = 10_000
const SMPL_HEADER = 36
const SMPL_LOOP = 24
const ACID_BYTES = 24

export async function wavLoopMeta (path: string): Promise<Record<string, unknown>> {
  return await withSource(path, async src => {
    const out: Record<string, unknown> = {}
    if (src.size < 12) return out
    const riff = await src.readAt(0, 12, 'RIFF header')
    const tag = (b: Uint8Array, o: number): string => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3])
    if (tag(riff, 0) !== 'RIFF' || tag(riff, 8) !== 'WAVE') return out
    let offset = 12
    for (let n = 0; n < MAX_CHUNKS && offset + 8 <= src.size; n++) {
      const head = await src.readAt(offset, 8, 'chunk header')
      const id = tag(head, 0)
      const size = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true)
      const body = offset + 8
      // a streaming writer's data chunk of unknown size runs to the end: nothing follows it
      if (id === 'data' && (size === 0xffffffff || size === 0)) break
      if (body + size > src.size) break
      if (id === 'smpl' && size >= SMPL_HEADER) Object.assign(out, smplLoops(await src.readAt(body, Math.min(size, SMPL_HEADER + SMPL_LOOP), 'smpl chunk'), size))
      if (id === 'acid' && size >= ACID_BYTES) Object.assign(out, acidTempo(await src.readAt(body, ACID_BYTES, 'acid chunk')))
      offset = body + size + (size & 1)
    }
    return out
  })
}

/** The first sampler loop (start and end are sample frames, end inclusive as the chunk stores it) and how many there are. */
function smplLoops (b: Uint8Array, size: number): Record<string, unknown> {
  const dv = new DataView(b.buffer, b.byteOffset, b.length)
  const declared = dv.getUint32(28, true)
  const loops = Math.min(declared, Math.floor((size - SMPL_HEADER) / SMPL_LOOP))
  const out: Record<string, unknown> = {}
  const unityNote = dv.getUint32(12, true)
  if (unityNote > 0 && unityNote < 128) out.rootNote = unityNote
  if (loops === 0 || b.length < SMPL_HEADER + SMPL_LOOP) return out
  const start = dv.getUint32(SMPL_HEADER + 8, true)
  const end = dv.getUint32(SMPL_HEADER + 12, true)
  if (end < start) return out
  out['loop.start'] = start
  out['loop.end'] = end
  if (loops > 1) out.loops = loops
  return out
}

/** ACID tempo in beats per minute (a float; written as the tool shows it, without trailing zeros). */
function acidTempo (b: Uint8Array): Record<string, unknown> {
  const tempo = new DataView(b.buffer, b.byteOffset, b.length).getFloat32(20, true)
  return Number.isFinite(tempo) && tempo > 0 && tempo < 1000 ? { bpm: Number(tempo.toFixed(3)) } : {}
}
