/**
 * What three's loaders expect from a browser, for Node: they print warnings about features a
 * preview does not use (`THREE.FBXLoader: … not supported`), which would flood `gas add`'s
 * output, and FBXLoader reads `window.innerWidth / innerHeight` for a camera's aspect ratio.
 * Only messages three prefixes with "THREE." are dropped; everything else still prints.
 */
const quietThree = <T extends (...args: unknown[]) => void>(print: T): T => ((...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('THREE.')) return
  print(...args)
}) as T

let installed = false
export function installThreeEnv (): void {
  if (installed) return
  installed = true
  console.warn = quietThree(console.warn.bind(console))
  console.log = quietThree(console.log.bind(console))
  console.error = quietThree(console.error.bind(console))
}

/** Runs fn with a stand-in `window` (a 1920×1080 viewport) when there is none, as for FBX cameras. */
export function withWindow<T> (fn: () => T): T {
  const g = globalThis as { window?: unknown }
  if (g.window !== undefined) return fn()
  g.window = { innerWidth: 1920, innerHeight: 1080, devicePixelRatio: 1 }
  try { return fn() } finally { delete g.window }
}
