import { createRequire } from 'node:module'
import type picomatchType from 'picomatch'

/** why lazy: only commands that match globs pay for loading picomatch (synchronous, hence require) */
const requireHere = createRequire(import.meta.url)
const picomatch = (): typeof picomatchType => requireHere('picomatch') as typeof picomatchType
import { GasError } from '../errors.js'
import { ASSET_KINDS } from '../objects/asset.js'
import { readIndex } from './staging-index.js'
import type { Workspace } from './workspace.js'

export interface FoundAsset { path: string, kind: string, format: string, size: number, tags: Record<string, string> }

/** Tracked assets matching every given filter: tags (KEY=VALUE, all must hold), kind, path glob. */
/** `tags`: each KEY with that VALUE; `tagKeys`: each KEY with any value (`--tag KEY`, as `.gasrules`' `tag:KEY`). */
export async function findAssets (ws: Workspace, opts: { tags?: Record<string, string>, tagKeys?: string[], kind?: string, path?: string } = {}): Promise<FoundAsset[]> {
  if (opts.kind !== undefined && !(ASSET_KINDS as readonly string[]).includes(opts.kind)) {
    throw GasError.badArgument(`unknown kind "${opts.kind}"; one of ${ASSET_KINDS.join(', ')}`)
  }
  const matchPath = opts.path !== undefined ? picomatch()(opts.path, { dot: true }) : () => true
  const index = await readIndex(ws.fs, ws.gasDir)
  const out: FoundAsset[] = []
  for (const [path, entry] of Object.entries(index.entries)) {
    const m = entry.meta
    if (opts.kind !== undefined && m.kind !== opts.kind) continue
    if (!matchPath(path)) continue
    if (!Object.entries(opts.tags ?? {}).every(([k, v]) => m.tags[k] === v)) continue
    if (!(opts.tagKeys ?? []).every((k) => m.tags[k] !== undefined)) continue
    out.push({ path, kind: m.kind, format: m.format, size: m.size, tags: m.tags })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1))
}
