import { GasError } from '../errors.js'
import { checkBuildName } from '../objects/build.js'

/** refs/builds/NAME/VERSION: set once, never moved. */
export function buildRefName (name: string, version: string): string {
  return `refs/builds/${checkBuildName(name, 'name')}/${checkBuildName(version, 'version')}`
}

/** "NAME@VERSION" → its parts (the last '@' splits, so a name holds none). */
export function parseBuildSpec (spec: string): { name: string, version: string } {
  const at = spec.lastIndexOf('@')
  if (at <= 0 || at === spec.length - 1) throw GasError.badArgument(`"${spec}" is not NAME@VERSION (e.g. game-win64@1.3.0)`)
  const name = spec.slice(0, at)
  const version = spec.slice(at + 1)
  checkBuildName(name, 'name')
  checkBuildName(version, 'version')
  return { name, version }
}
