import type { Bounds, MeshData } from './mesh.js'

/**
 * Software renderer for model thumbnails: orthographic camera from a fixed three-quarter angle,
 * z-buffer, flat Lambert shading, transparent background. No GPU or browser is needed, so every
 * peer renders the same pixels for the same model.
 */

/** The standard view: camera azimuth (from +Z towards +X) and elevation, both in degrees. */
export const VIEW = { azimuthDeg: 45, elevationDeg: 30, margin: 0.05 } as const
const BASE_COLOR = [196, 202, 214]
const AMBIENT = 0.3

export interface ViewBasis { eye: number[], right: number[], up: number[] }

/** Unit vectors of the standard view: `eye` points from the model towards the camera. */
export function viewBasis (): ViewBasis {
  const az = VIEW.azimuthDeg * Math.PI / 180; const el = VIEW.elevationDeg * Math.PI / 180
  const eye = [Math.cos(el) * Math.sin(az), Math.sin(el), Math.cos(el) * Math.cos(az)]
  const right = normalize(cross([0, 1, 0], eye))
  const up = cross(eye, right)
  return { eye, right, up }
}

/** Pixel scale and centre that fit the bounds' enclosing sphere into the image whatever the angle. */
export function viewFit (bounds: Bounds, size: number): { center: number[], scale: number } {
  const center = [0, 1, 2].map(k => (bounds.min[k] + bounds.max[k]) / 2)
  const radius = Math.max(1e-12, Math.hypot(...[0, 1, 2].map(k => (bounds.max[k] - bounds.min[k]) / 2)))
  return { center, scale: (size / 2) * (1 - 2 * VIEW.margin) / radius }
}

/** Renders meshes to size×size RGBA (alpha 0 where nothing is drawn). */
export function rasterize (meshes: MeshData[], bounds: Bounds, size: number): Uint8Array {
  const { eye, right, up } = viewBasis()
  const { center, scale } = viewFit(bounds, size)
  const light = normalize([eye[0] + 0.5 * up[0] - 0.3 * right[0], eye[1] + 0.5 * up[1] - 0.3 * right[1], eye[2] + 0.5 * up[2] - 0.3 * right[2]])
  const rgba = new Uint8Array(size * size * 4)
  const depth = new Float32Array(size * size).fill(-Infinity)
  const half = size / 2
  for (const mesh of meshes) {
    const pos = mesh.positions
    const n = pos.length / 3
    // project every vertex once: screen x, y (pixels, y down) and depth (towards the camera)
    const sx = new Float32Array(n); const sy = new Float32Array(n); const sz = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const x = pos[i * 3] - center[0]; const y = pos[i * 3 + 1] - center[1]; const z = pos[i * 3 + 2] - center[2]
      sx[i] = half + (x * right[0] + y * right[1] + z * right[2]) * scale
      sy[i] = half - (x * up[0] + y * up[1] + z * up[2]) * scale
      sz[i] = x * eye[0] + y * eye[1] + z * eye[2]
    }
    const idx = mesh.indices
    for (let t = 0; t < mesh.triangleCount; t++) {
      const a = idx[t * 3]; const b = idx[t * 3 + 1]; const c = idx[t * 3 + 2]
      if (a >= n || b >= n || c >= n) continue
      const ax = sx[a]; const ay = sy[a]; const bx = sx[b]; const by = sy[b]; const cx = sx[c]; const cy = sy[c]
      // only pixels whose centre (x + 0.5) lies in the triangle's box can be inside it; a dense
      // mesh's triangles are mostly smaller than a pixel and cover no centre at all
      const minX = Math.max(0, Math.ceil(Math.min(ax, bx, cx) - 0.5)); const maxX = Math.min(size - 1, Math.floor(Math.max(ax, bx, cx) - 0.5))
      if (minX > maxX) continue
      const minY = Math.max(0, Math.ceil(Math.min(ay, by, cy) - 0.5)); const maxY = Math.min(size - 1, Math.floor(Math.max(ay, by, cy) - 0.5))
      if (minY > maxY) continue
      const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
      if (area === 0 || Number.isNaN(area)) continue
      // shaded on its first visible pixel, not before
      let r = -1; let g = 0; let bl = 0
      const inv = 1 / area
      const az = sz[a]; const bz = sz[b]; const cz = sz[c]
      for (let y = minY; y <= maxY; y++) {
        const py = y + 0.5
        for (let x = minX; x <= maxX; x++) {
          const px = x + 0.5
          // barycentric weights; both windings are drawn (models are not reliably consistent)
          const w0 = ((bx - px) * (cy - py) - (by - py) * (cx - px)) * inv
          const w1 = ((cx - px) * (ay - py) - (cy - py) * (ax - px)) * inv
          const w2 = 1 - w0 - w1
          if (w0 < 0 || w1 < 0 || w2 < 0) continue
          const z = w0 * az + w1 * bz + w2 * cz
          const p = y * size + x
          if (z <= depth[p]) continue
          depth[p] = z
          if (r < 0) {
            const shade = shadeOf(pos, a, b, c, light)
            r = BASE_COLOR[0] * shade; g = BASE_COLOR[1] * shade; bl = BASE_COLOR[2] * shade
          }
          rgba[p * 4] = r; rgba[p * 4 + 1] = g; rgba[p * 4 + 2] = bl; rgba[p * 4 + 3] = 255
        }
      }
    }
  }
  return rgba
}

/** Two-sided Lambert on the face normal, with an ambient floor so back-lit faces stay readable. */
function shadeOf (pos: Float32Array | Float64Array, a: number, b: number, c: number, light: number[]): number {
  const ux = pos[b * 3] - pos[a * 3]; const uy = pos[b * 3 + 1] - pos[a * 3 + 1]; const uz = pos[b * 3 + 2] - pos[a * 3 + 2]
  const vx = pos[c * 3] - pos[a * 3]; const vy = pos[c * 3 + 1] - pos[a * 3 + 1]; const vz = pos[c * 3 + 2] - pos[a * 3 + 2]
  const nx = uy * vz - uz * vy; const ny = uz * vx - ux * vz; const nz = ux * vy - uy * vx
  // sqrt, not Math.hypot (several times slower in V8); hypot only where the squares overflow
  let len = Math.sqrt(nx * nx + ny * ny + nz * nz)
  if (len === Infinity) len = Math.hypot(nx, ny, nz)
  if (len === 0) return AMBIENT
  const d = Math.abs((nx * light[0] + ny * light[1] + nz * light[2]) / len)
  return AMBIENT + (1 - AMBIENT) * d
}

function cross (a: number[], b: number[]): number[] { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]] }
function normalize (v: number[]): number[] { const l = Math.hypot(v[0], v[1], v[2]); return [v[0] / l, v[1] / l, v[2] / l] }
