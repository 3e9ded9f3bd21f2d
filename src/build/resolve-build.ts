import { GasError } from '../errors.js'
import { decodeBuild, type Build } from '../objects/build.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import type { Workspace } from '../repo/workspace.js'
import { buildRefName, parseBuildSpec } from './build-ref.js'

export interface StoredBuild { id: ObjectId, build: Build }

/** Reads and decodes the build object `id`; E_NOT_FOUND when absent, E_CORRUPT_OBJECT when it is another type. */
export async function readBuild (ws: Workspace, id: ObjectId): Promise<StoredBuild> {
  const object = await ws.store.get(id)
  if (object.type !== 'build') throw new GasError('E_CORRUPT_OBJECT', `${id} is a ${object.type}, not a build`, { id })
  return { id, build: decodeBuild(object.body) }
}

/** NAME@VERSION (a local refs/builds ref) or a build id → the build; E_NOT_FOUND names what was asked. */
export async function resolveBuild (ws: Workspace, spec: string): Promise<StoredBuild> {
  if (isObjectId(spec)) return await readBuild(ws, spec)
  const { name, version } = parseBuildSpec(spec)
  const id = await ws.refs.read(buildRefName(name, version))
  if (id === undefined) throw new GasError('E_NOT_FOUND', `build ${name}@${version} not found here; run \`gas sync\` to learn the team's builds`, { build: spec })
  return await readBuild(ws, id)
}
