import { buildSize } from '../objects/build.js'
import type { ObjectId } from '../objects/id.js'
import { formatAuthorTime } from '../objects/version.js'
import type { Workspace } from '../repo/workspace.js'
import { checkBuildName } from '../objects/build.js'
import { buildContentMissing } from './build-content.js'
import { readBuild } from './resolve-build.js'

export interface ListedBuild {
  name: string
  version: string
  build: ObjectId
  publisher: { name: string, publicKey: string }
  /** ISO-8601 in the publisher's own offset */
  time: string
  platform: string | null
  engine: string | null
  files: number
  size: number
  /** every chunk is here: `gas build fetch` needs no peer */
  local: boolean
}

/** `gas build list [NAME]`: the builds this workspace knows (published, fetched, or learnt by sync), newest first. */
export async function listBuilds (ws: Workspace, opts: { name?: string } = {}): Promise<ListedBuild[]> {
  const prefix = opts.name === undefined ? 'refs/builds/' : `refs/builds/${checkBuildName(opts.name, 'name')}/`
  const out: Array<ListedBuild & { seconds: number }> = []
  for (const ref of await ws.refs.list(prefix)) {
    // a build learnt from a ref whose object has not arrived yet is left out until the next sync
    if (!(await ws.store.has(ref.id))) continue
    const { build } = await readBuild(ws, ref.id)
    const local = !(await buildContentMissing(ws.store, ref.id))
    out.push({
      name: build.name,
      version: build.version,
      build: ref.id,
      publisher: build.publisher,
      time: formatAuthorTime(build.time),
      platform: build.platform,
      engine: build.engine === null ? null : build.engine.version === null ? build.engine.name : `${build.engine.name}@${build.engine.version}`,
      files: build.files.length,
      size: buildSize(build),
      local,
      seconds: build.time.seconds
    })
  }
  // why: builds published within one second (scripts) still list newest version first
  out.sort((a, b) => b.seconds - a.seconds || a.name.localeCompare(b.name) || b.version.localeCompare(a.version, 'en', { numeric: true }))
  return out.map(({ seconds: _, ...rest }) => rest)
}
