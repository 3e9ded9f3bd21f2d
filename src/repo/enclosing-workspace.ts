import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * The workspace root above `dir` (not `dir` itself), or undefined: `gas init` in a folder of a
 * workspace makes a second, separate one, which a new user rarely means; init says so.
 */
export function enclosingWorkspace (dir: string): string | undefined {
  let at = dirname(resolve(dir))
  for (;;) {
    if (existsSync(join(at, '.gas', 'config.json'))) return at
    const parent = dirname(at)
    if (parent === at) return undefined
    at = parent
  }
}
