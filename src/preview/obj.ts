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
  const r = new ObjReader(src.path)
  for (;;) {
    const unread = src.remaining - src.available
    const lastNewline = src.bytes.subarray(src.pos, src.end).lastIndexOf(10)
    if (lastNewline >= 0) {
      r.parseLines(src.bytes, src.pos, src.pos + lastNewline + 1)
      src.pos += lastNewline + 1
    }
    if (unread === 0) {
      // a last line without its newline: parsed from a copy that has one
      if (src.available > 0) {
        const line = new Uint8Array(src.available + 1)
        line.set(src.bytes.subarray(src.pos, src.end)); line[src.available] = 10
        r.parseLines(line, 0, line.length)
        src.pos = src.end
      }
      break
    }
    // no complete line left in the window: fill it (growing it only for very long lines)
    if (src.available >= MAX_LINE_BYTES) { r.lineNo++; throw r.bad(`a line longer than ${MAX_LINE_BYTES} bytes; this is not OBJ text`) }
    const room = src.bytes.length > src.available ? src.bytes.length : src.available + 65536
    await src.need(Math.min(src.available + unread, room), 'OBJ line')
  }
  const { positions, indices, bounds, materials, libraries, triangles } = r
  const vertices = positions.length / 3
  if (vertices === 0) throw GasError.malformedAsset(src.path, 'not a valid OBJ: no vertices')
  const textures = await mtlTextures(src.path, libraries)
  return {
    info: { vertices, triangles, bounds, materials, textures, animations: 0, bones: 0, materialLibraries: libraries },
    meshes: [{ positions: positions.data, indices: indices.data, triangleCount: triangles }]
  }
}

/**
 * The parse state and line scanners. A class, not closures made per file: the optimised
 * parseLines calls these methods, and fresh closures for every file were new call targets that
 * threw its optimised code away (and had it recompiled) at the start of each model.
 */
class ObjReader {
  readonly positions = new Grow(n => new Float64Array(n), 3 * 4096)
  readonly indices = new Grow(n => new Uint32Array(n), 3 * 8192)
  readonly bounds = emptyBounds()
  readonly materials: string[] = []
  readonly libraries: string[] = []
  triangles = 0
  lineNo = 0
  private readonly latin1 = new TextDecoder('latin1')

  constructor (private readonly path: string) {}

  bad (why: string): GasError { return GasError.malformedAsset(this.path, `not a valid OBJ: line ${this.lineNo}: ${why}`) }

  // Every line handed to parseLines ends with \n, so the scanners below stop at it without bounds
  // checks, and each byte is read once: v and f lines are parsed as they are scanned, every other
  // line is only skipped to its end (checked for control bytes, which OBJ text never has).
  skipLine (b: Uint8Array, p: number): number {
    for (;;) {
      const c = b[p++]
      if (c >= 32) continue
      if (c === 10) return p
      if (c < 9 || c > 13) throw this.bad('binary data in a text format')
    }
  }

  // a number ends at a blank or the line's end; anything else (1.5x, 1/2 in a vertex) is not one
  numberField (b: Uint8Array, p: number): number {
    let c = b[p]
    while (c === 32 || c === 9) c = b[++p]
    const v = readNumber(b, p)
    c = b[numEnd]
    return c === 32 || c === 9 || c === 10 || c === 13 ? v : NaN
  }

  vertexLine (b: Uint8Array, p: number): number {
    const x = this.numberField(b, p)
    const y = this.numberField(b, numEnd)
    const z = this.numberField(b, numEnd)
    if (Number.isNaN(x) || Number.isNaN(y) || Number.isNaN(z)) throw this.bad('vertex needs three numbers')
    const { min, max } = this.bounds
    if (x < min[0]) min[0] = x
    if (x > max[0]) max[0] = x
    if (y < min[1]) min[1] = y
    if (y > max[1]) max[1] = y
    if (z < min[2]) min[2] = z
    if (z > max[2]) max[2] = z
    this.positions.push3(x, y, z)
    return this.skipLine(b, numEnd) // a w or vertex colours may follow
  }

  faceLine (b: Uint8Array, p: number): number {
    // a polygon is fanned out from its first corner as its corners are read: no per-face array
    let corners = 0; let first = 0; let prev = 0
    const count = this.positions.length / 3
    for (;;) {
      let c = b[p]
      while (c === 32 || c === 9 || c === 13) c = b[++p]
      if (c === 10) { p++; break }
      let idx = readNumber(b, p)
      p = numEnd; c = b[p]
      if (c === 47 /* / */) { while (c !== 32 && c !== 9 && c !== 13 && c !== 10) c = b[++p] } else if (c !== 32 && c !== 9 && c !== 13 && c !== 10) idx = NaN
      if (!Number.isInteger(idx) || idx === 0) throw this.bad('face needs vertex indices')
      if (idx < 0) idx = count + idx + 1 // negative: relative to the vertices read so far
      if (idx < 1 || idx > count) throw this.bad(`face refers to vertex ${idx} but only ${count} are defined`)
      if (corners === 0) first = idx - 1
      else if (corners >= 2) this.indices.push3(first, prev, idx - 1)
      prev = idx - 1
      corners++
    }
    if (corners < 3) throw this.bad('face with fewer than three vertices')
    this.triangles += corners - 2
    return p
  }

  keywordLine (b: Uint8Array, p: number): number {
    const next = this.skipLine(b, p)
    const word = keyword(b, p, next - 1)
    if (word === 'usemtl' || word === 'mtllib') {
      const arg = this.latin1.decode(b.subarray(p + word.length, next - 1)).trim()
      if (word === 'usemtl' && arg !== '' && !this.materials.includes(arg)) this.materials.push(arg)
      if (word === 'mtllib') for (const lib of arg.split(/\s+/)) if (lib !== '' && !this.libraries.includes(lib)) this.libraries.push(lib)
    }
    return next
  }

  parseLines (b: Uint8Array, p: number, limit: number): void {
    while (p < limit) {
      this.lineNo++
      let c = b[p]
      while (c === 32 || c === 9) c = b[++p]
      const c1 = b[p + 1]
      if (c === 118 /* v */ && (c1 === 32 || c1 === 9)) p = this.vertexLine(b, p + 2)
      else if (c === 102 /* f */ && (c1 === 32 || c1 === 9)) p = this.faceLine(b, p + 2)
      // only usemtl/mtllib matter besides: vt, vn, o, g, s, l, curves… carry nothing a preview shows
      else if (c === 117 /* u */ || c === 109 /* m */) p = this.keywordLine(b, p)
      else p = this.skipLine(b, p)
    }
  }
}

function keyword (b: Uint8Array, p: number, end: number): string {
  let q = p
  while (q < end && q - p < 16 && b[q] !== 32 && b[q] !== 9) q++
  return String.fromCharCode(...b.subarray(p, q))
}

/** Where the last readNumber stopped: the first byte after the number. */
let numEnd = 0

/**
 * Decimal number from bytes without making a string, read up to the first byte that cannot
 * continue it (numEnd); NaN when there are no digits. The mantissa accumulates in a double: up
 * to 15 significant digits the result is exact, beyond that it is within a few ulps, far below
 * anything a preview (or a 1e-6 bounds check) can see. Only huge exponents go through Number.
 */
function readNumber (b: Uint8Array, s: number): number {
  let p = s
  let c = b[p]
  let neg = false
  if (c === 45) { neg = true; c = b[++p] } else if (c === 43) c = b[++p]
  let mant = 0; let scale = 0; let any = false
  while (c >= 48 && c <= 57) { mant = mant * 10 + c - 48; c = b[++p]; any = true }
  if (c === 46) {
    c = b[++p]
    while (c >= 48 && c <= 57) { mant = mant * 10 + c - 48; scale++; c = b[++p]; any = true }
  }
  if (!any) { numEnd = p; return NaN }
  let exp = 0
  if (c === 101 || c === 69) {
    c = b[++p]
    let eneg = false
    if (c === 45) { eneg = true; c = b[++p] } else if (c === 43) c = b[++p]
    let anyExp = false
    while (c >= 48 && c <= 57) { exp = exp * 10 + c - 48; c = b[++p]; anyExp = true }
    if (!anyExp) { numEnd = p; return NaN }
    if (eneg) exp = -exp
  }
  numEnd = p
  const pow = exp - scale
  if (pow > 300 || pow < -300) return Number(String.fromCharCode(...b.subarray(s, p)))
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
