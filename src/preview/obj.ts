import { readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { emptyBounds, Grow, type MeshData, type ModelInfo } from './mesh.js'

/**
 * Streaming OBJ reader. Not three's OBJLoader: that one splits the whole file into a JS array of
 * line strings and un-indexes every face into per-corner arrays, which for a million-triangle
 * model (bench/preview.ts grid) took 4.1 s and 815 MiB RSS
 * for the parse alone; this pass reads the bytes once in blocks, parses numbers
 * in place and keeps shared vertices indexed: ~0.35 s and ~150 MiB for the same file.
 */

/** A single line longer than this is not OBJ text. */
const MAX_LINE_BYTES = 1 << 20
/** Companion .mtl files are small text; a larger one is not worth reading for a preview. */
const MAX_MTL_BYTES = 1 << 20

export async function parseObj (src: ByteSource): Promise<{ info: ModelInfo, meshes: MeshData[] }> {
  const positions = new Grow(n => new Float64Array(n), 3 * 4096)
  const indices = new Grow(n => new Uint32Array(n), 3 * 8192)
  const bounds = emptyBounds()
  const materials: string[] = []
  const libraries: string[] = []
  let triangles = 0
  let lineNo = 0
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid OBJ: line ${lineNo}: ${why}`)
  const latin1 = new TextDecoder('latin1')
  // number fields end where parseNumber's caller stops; kept here so the hot path allocates nothing
  let fieldEnd = 0
  const field = (b: Uint8Array, p: number, end: number, stopAtSlash: boolean): number => {
    while (p < end && (b[p] === 32 || b[p] === 9)) p++
    const s = p
    while (p < end && b[p] !== 32 && b[p] !== 9 && !(stopAtSlash && b[p] === 47 /* / */)) p++
    fieldEnd = p
    return s === p ? NaN : parseNumber(b, s, p)
  }

  const parseLine = (b: Uint8Array, start: number, end: number): void => {
    lineNo++
    let p = start
    while (p < end && (b[p] === 32 || b[p] === 9)) p++
    if (p >= end || b[p] === 35 /* # */) return
    const c0 = b[p]; const c1 = p + 1 < end ? b[p + 1] : 32
    if (c0 === 118 /* v */ && (c1 === 32 || c1 === 9)) {
      const x = field(b, p + 2, end, false)
      const y = field(b, fieldEnd, end, false)
      const z = field(b, fieldEnd, end, false)
      if (Number.isNaN(x) || Number.isNaN(y) || Number.isNaN(z)) throw bad('vertex needs three numbers')
      if (x < bounds.min[0]) bounds.min[0] = x
      if (x > bounds.max[0]) bounds.max[0] = x
      if (y < bounds.min[1]) bounds.min[1] = y
      if (y > bounds.max[1]) bounds.max[1] = y
      if (z < bounds.min[2]) bounds.min[2] = z
      if (z > bounds.max[2]) bounds.max[2] = z
      positions.push3(x, y, z)
      return
    }
    if (c0 === 102 /* f */ && (c1 === 32 || c1 === 9)) {
      p += 2
      // a polygon is fanned out from its first corner as its corners are read: no per-face array
      let corners = 0; let first = 0; let prev = 0
      const count = positions.length / 3
      while (p < end) {
        while (p < end && (b[p] === 32 || b[p] === 9)) p++
        if (p >= end) break
        let idx = field(b, p, end, true)
        p = fieldEnd
        while (p < end && b[p] !== 32 && b[p] !== 9) p++ // skip /vt/vn
        if (!Number.isInteger(idx) || idx === 0) throw bad('face needs vertex indices')
        if (idx < 0) idx = count + idx + 1 // negative: relative to the vertices read so far
        if (idx < 1 || idx > count) throw bad(`face refers to vertex ${idx} but only ${count} are defined`)
        if (corners === 0) first = idx - 1
        else if (corners >= 2) indices.push3(first, prev, idx - 1)
        prev = idx - 1
        corners++
      }
      if (corners < 3) throw bad('face with fewer than three vertices')
      triangles += corners - 2
      return
    }
    // only usemtl/mtllib matter here: vt, vn and the rest are skipped without making a string
    if (c0 !== 117 /* u */ && c0 !== 109 /* m */) return
    const word = keyword(b, p, end)
    if (word === 'usemtl' || word === 'mtllib') {
      const arg = latin1.decode(b.subarray(p + word.length, end)).trim()
      if (word === 'usemtl' && arg !== '' && !materials.includes(arg)) materials.push(arg)
      if (word === 'mtllib') for (const lib of arg.split(/\s+/)) if (lib !== '' && !libraries.includes(lib)) libraries.push(lib)
    }
    // every other statement (vt, vn, o, g, s, l, curves…) carries nothing a preview shows
  }

  for (;;) {
    const unread = src.remaining - src.available
    if (src.available === 0 && unread === 0) break
    if (unread > 0 && src.bytes.subarray(src.pos, src.end).lastIndexOf(10) < 0) {
      // no complete line in the window: fill it (growing it only for very long lines)
      if (src.available >= MAX_LINE_BYTES) throw bad(`a line longer than ${MAX_LINE_BYTES} bytes; this is not OBJ text`)
      const room = src.bytes.length > src.available ? src.bytes.length : src.available + 65536
      await src.need(Math.min(src.available + unread, room), 'OBJ line')
      continue
    }
    const b = src.bytes; const end = src.end
    let s = src.pos
    for (let i = s; i < end; i++) {
      const c = b[i]
      if (c >= 32) continue
      if (c === 10) { parseLine(b, s, i > s && b[i - 1] === 13 ? i - 1 : i); s = i + 1 } else if (c < 9 || c > 13) {
        lineNo++
        throw bad('binary data in a text format')
      }
    }
    if (unread === 0 && s < end) { parseLine(b, s, b[end - 1] === 13 ? end - 1 : end); s = end }
    src.pos = s
  }
  const vertices = positions.length / 3
  if (vertices === 0) throw GasError.malformedAsset(src.path, 'not a valid OBJ: no vertices')
  const textures = await mtlTextures(src.path, libraries)
  return {
    info: { vertices, triangles, bounds, materials, textures, animations: 0, bones: 0, materialLibraries: libraries },
    meshes: [{ positions: positions.data, indices: indices.data, triangleCount: triangles }]
  }
}

function keyword (b: Uint8Array, p: number, end: number): string {
  let q = p
  while (q < end && q - p < 16 && b[q] !== 32 && b[q] !== 9) q++
  return String.fromCharCode(...b.subarray(p, q))
}

/**
 * Decimal number from bytes without making a string. The mantissa accumulates in a double: up
 * to 15 significant digits the result is exact, beyond that it is within a few ulps, far below
 * anything a preview (or a 1e-6 bounds check) can see. Only huge exponents go through Number.
 */
function parseNumber (b: Uint8Array, s: number, e: number): number {
  let p = s
  let neg = false
  if (b[p] === 45) { neg = true; p++ } else if (b[p] === 43) p++
  let mant = 0; let scale = 0; let any = false
  while (p < e && b[p] >= 48 && b[p] <= 57) { mant = mant * 10 + b[p] - 48; p++; any = true }
  if (p < e && b[p] === 46) {
    p++
    while (p < e && b[p] >= 48 && b[p] <= 57) { mant = mant * 10 + b[p] - 48; scale++; p++; any = true }
  }
  if (!any) return NaN
  let exp = 0
  if (p < e && (b[p] === 101 || b[p] === 69)) {
    p++
    let eneg = false
    if (b[p] === 45) { eneg = true; p++ } else if (b[p] === 43) p++
    let anyExp = false
    while (p < e && b[p] >= 48 && b[p] <= 57) { exp = exp * 10 + b[p] - 48; p++; anyExp = true }
    if (!anyExp) return NaN
    if (eneg) exp = -exp
  }
  if (p !== e) return NaN
  const pow = exp - scale
  if (pow > 300 || pow < -300) return Number(String.fromCharCode(...b.subarray(s, e)))
  const v = pow >= 0 ? mant * POW10[Math.min(pow, 22)] * (pow > 22 ? 10 ** (pow - 22) : 1) : pow >= -22 ? mant / POW10[-pow] : mant / 10 ** -pow
  return neg ? -v : v
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/** Texture files named by the .mtl libraries next to the OBJ; missing libraries are skipped. */
async function mtlTextures (objPath: string, libraries: string[]): Promise<string[]> {
  const textures: string[] = []
  for (const lib of libraries) {
    if (lib.includes('..') || lib.startsWith('/')) continue // only companions in the model's own folder
    const file = join(dirname(objPath), lib)
    try {
      if ((await stat(file)).size > MAX_MTL_BYTES) continue
      const text = await readFile(file, 'latin1')
      for (const line of text.split(/\r?\n/)) {
        const m = /^\s*(map_\w+|bump|disp|decal|norm|refl)\s+(.+)$/i.exec(line)
        if (m === null) continue
        const name = m[2].trim().split(/\s+/).pop() ?? '' // options (-s 1 1 1 …) come before the file name
        if (name !== '' && !textures.includes(name)) textures.push(name)
      }
    } catch { /* a missing or unreadable .mtl only means fewer facts */ }
  }
  return textures
}
