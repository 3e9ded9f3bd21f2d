import { join } from 'node:path'
import type { FileSystem } from '../objects/fs.js'

/**
 * Game engines gas knows: how a project is recognised, which folders are the engine's caches
 * (rebuilt locally from the sources, never tracked or synced by default), and which files travel
 * with another file (a Unity asset without its .meta breaks the project: the GUIDs that link
 * scenes to assets live there).
 */
export type EngineName = 'unity' | 'unreal' | 'godot'

export interface EngineProfile {
  name: EngineName
  /** folders at the project root holding derived data only */
  cacheFolders: string[]
  /** a file `X<suffix>` belongs to `X` and is wanted exactly when `X` is */
  companionSuffixes: string[]
}

export const ENGINES: Record<EngineName, EngineProfile> = {
  unity: { name: 'unity', cacheFolders: ['Library', 'Temp', 'Logs', 'obj'], companionSuffixes: ['.meta'] },
  unreal: { name: 'unreal', cacheFolders: ['Intermediate', 'Saved', 'DerivedDataCache', 'Binaries'], companionSuffixes: [] },
  godot: { name: 'godot', cacheFolders: ['.godot'], companionSuffixes: ['.import'] }
}

/** Suffixes of companion files of every engine: the pairing needs no detection (a .meta beside its asset is Unity's whatever the root holds). */
export const COMPANION_SUFFIXES = ['.meta', '.import']

/**
 * The engine of a project whose root holds these names (a tree's entries or a folder's listing):
 * Unity has ProjectSettings/ProjectVersion.txt (`hasUnityVersion` says whether that file exists),
 * Unreal a *.uproject, Godot a project.godot.
 */
export function engineOfRoot (names: Iterable<string>, hasUnityVersion: boolean): EngineName | null {
  let unreal = false
  let godot = false
  for (const name of names) {
    if (name.endsWith('.uproject')) unreal = true
    if (name === 'project.godot') godot = true
  }
  if (hasUnityVersion) return 'unity'
  if (unreal) return 'unreal'
  return godot ? 'godot' : null
}

/** The engine of the project in folder `dir` on disk (the workspace root), or null. */
export async function detectEngineOnDisk (fs: FileSystem, dir: string): Promise<EngineName | null> {
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const unity = await fs.stat(join(dir, 'ProjectSettings', 'ProjectVersion.txt')).then(() => true, () => false)
  return engineOfRoot(names, unity)
}

/** `X` for a companion file `X.meta` / `X.import`, else undefined. */
export function companionOf (path: string): string | undefined {
  for (const suffix of COMPANION_SUFFIXES) {
    if (path.endsWith(suffix) && path.length > suffix.length && !path.endsWith(`/${suffix}`)) return path.slice(0, -suffix.length)
  }
  return undefined
}
