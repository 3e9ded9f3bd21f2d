/** Geometry handed from the model parsers to the rasteriser: world-space, indexed triangles. */
export interface MeshData {
  positions: Float32Array | Float64Array
  indices: Uint32Array
  /** number of triangles in indices (indices may be over-allocated) */
  triangleCount: number
}

export interface Bounds { min: [number, number, number], max: [number, number, number] }

export function emptyBounds (): Bounds { return { min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] } }

export interface ModelInfo {
  vertices: number
  triangles: number
  bounds: Bounds | null
  materials: string[]
  textures: string[]
  animations: number
  bones: number
  [key: string]: unknown
}

/** Growable typed array; avoids boxing a million numbers in a JS array. */
export class Grow<T extends Float64Array | Uint32Array> {
  data: T
  length = 0
  constructor (private readonly make: (n: number) => T, initial = 1024) { this.data = make(initial) }
  push3 (a: number, b: number, c: number): void {
    if (this.length + 3 > this.data.length) this.grow()
    const d = this.data; const l = this.length
    d[l] = a; d[l + 1] = b; d[l + 2] = c
    this.length = l + 3
  }

  private grow (): void {
    const next = this.make(this.data.length * 2)
    next.set(this.data as any)
    this.data = next
  }
}
