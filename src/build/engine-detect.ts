import { join } from 'node:path'
import type { FileSystem } from '../objects/fs.js'

export interface EngineInfo { name: string, version: string | null }

/** why: a project file is small text; anything larger is not the file we look for */
const MAX_PROJECT_FILE = 1024 * 1024

async function readSmall (fs: FileSystem, path: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(path)
    if (!st.isFile() || st.size > MAX_PROJECT_FILE) return undefined
    return await fs.readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Unity: ProjectSettings/ProjectVersion.txt holds `m_EditorVersion: 2022.3.10f1`. */
async function unity (fs: FileSystem, dir: string): Promise<EngineInfo | undefined> {
  const text = await readSmall(fs, join(dir, 'ProjectSettings', 'ProjectVersion.txt'))
  if (text === undefined) return undefined
  return { name: 'unity', version: /^m_EditorVersion:\s*(\S+)/m.exec(text)?.[1] ?? null }
}

/** Godot: project.godot's `config/features=PackedStringArray("4.2", "Forward Plus")`; Godot 3 has `config_version=4` only. */
async function godot (fs: FileSystem, dir: string): Promise<EngineInfo | undefined> {
  const text = await readSmall(fs, join(dir, 'project.godot'))
  if (text === undefined) return undefined
  const feature = /^config\/features\s*=\s*PackedStringArray\(\s*"(\d+\.\d+(?:\.\d+)?)"/m.exec(text)?.[1]
  return { name: 'godot', version: feature ?? null }
}

/** Unreal: NAME.uproject is JSON with `"EngineAssociation": "5.3"` (or a GUID for a source build). */
async function unreal (fs: FileSystem, dir: string): Promise<EngineInfo | undefined> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch {
    return undefined
  }
  const project = names.filter((n) => n.endsWith('.uproject')).sort()[0]
  if (project === undefined) return undefined
  const text = await readSmall(fs, join(dir, project))
  let association: unknown
  try {
    association = (JSON.parse(text ?? '') as { EngineAssociation?: unknown }).EngineAssociation
  } catch {
    association = undefined
  }
  return { name: 'unreal', version: typeof association === 'string' && association !== '' ? association : null }
}

/**
 * The engine and its version, read from the first of `dirs` that holds a project file (the build
 * output first, then the project it was built from). Undefined when none says.
 */
export async function detectEngine (fs: FileSystem, dirs: string[]): Promise<EngineInfo | undefined> {
  for (const dir of dirs) {
    for (const probe of [unity, godot, unreal]) {
      const found = await probe(fs, dir)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** `--engine unity@2022.3.10f1` or `--engine godot`. */
export function parseEngineFlag (text: string): EngineInfo {
  const at = text.indexOf('@')
  return at < 0 ? { name: text, version: null } : { name: text.slice(0, at), version: text.slice(at + 1) === '' ? null : text.slice(at + 1) }
}
