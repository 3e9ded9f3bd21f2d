/**
 * What three's loaders expect from a browser, for Node: they print warnings about features a
 * preview does not use (`THREE.FBXLoader: … not supported`), which would flood `gas add`'s
 * output (and the test log), and FBXLoader reads `window.innerWidth / innerHeight` for a camera's
 * aspect ratio. Messages three prefixes with "THREE." are captured here instead of printed
 * (`GAS_DEBUG=1` prints them too); everything else still prints.
 */

/** why: a long-running `gas serve` previews many models; only the latest warnings are worth keeping */
export const MAX_LOADER_WARNINGS = 100

const captured: string[] = []

/** The loader warnings captured so far in this process, oldest first (at most MAX_LOADER_WARNINGS). */
export function loaderWarnings (): string[] {
  return [...captured]
}

const captureThree = <T extends (...args: unknown[]) => void>(print: T): T => ((...args: unknown[]) => {
  if (typeof args[0] !== 'string' || !args[0].startsWith('THREE.')) {
    print(...args)
    return
  }
  captured.push(args.map((a) => typeof a === 'string' ? a : String(a)).join(' '))
  if (captured.length > MAX_LOADER_WARNINGS) captured.shift()
  if (process.env.GAS_DEBUG === '1') print(...args)
}) as T

let installed = false
export function installThreeEnv (): void {
  if (installed) return
  installed = true
  console.warn = captureThree(console.warn.bind(console))
  console.log = captureThree(console.log.bind(console))
  console.error = captureThree(console.error.bind(console))
}

/** Runs fn with a stand-in `window` (a 1920×1080 viewport) when there is none, as for FBX cameras. */
export function withWindow<T> (fn: () => T): T {
  const g = globalThis as { window?: unknown }
  if (g.window !== undefined) return fn()
  g.window = { innerWidth: 1920, innerHeight: 1080, devicePixelRatio: 1 }
  try { return fn() } finally { delete g.window }
}
