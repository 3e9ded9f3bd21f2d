import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { detectEngineOnDisk, engineOfRoot, type EngineName } from '../repo/engine.js'
import { findIndexEntry, pathOfLine, streamIndex } from '../repo/index-stream.js'
import type { StagingIndex } from '../repo/staging-index.js'
import type { Workspace } from '../repo/workspace.js'
import { SyncPolicy } from './policy.js'
import { RULES_FILE, parseRules, type Rule } from './rules.js'
import type { WantContent } from './want-set.js'
import { writeNewlyWanted } from './fetch-plan.js'
import { historyContentOf } from './overrides.js'

/** `.gas/sync-policy.json`: the last good rules file and the fingerprint the whole-tree cache was built under. */
const STATE_FILE = 'sync-policy.json'
/** why: a rules file is a few KiB; a bigger one is a mistake, and the whole of it is read into memory */
const MAX_RULES_BYTES = 1024 * 1024

interface PolicyState {
  /** asset id and text of the last `.gasrules` that parsed */
  good: { asset: ObjectId, text: string } | null
  /** a bad rules asset already reported (said once) */
  warnedBad: ObjectId | null
  /** fingerprint of the policy the completeTrees cache was last built under */
  fingerprint: string | null
}

export interface LoadedPolicy {
  policy: SyncPolicy
  /** something the user should read once (a bad rules file received from a peer) */
  notice: string | null
}

async function readState (ws: Workspace): Promise<PolicyState> {
  try {
    const value = JSON.parse(await ws.fs.readFile(join(ws.gasDir, STATE_FILE), 'utf8')) as Partial<PolicyState>
    return { good: value.good ?? null, warnedBad: value.warnedBad ?? null, fingerprint: value.fingerprint ?? null }
  } catch {
    // none yet, or damaged: it is a cache of what the rules file and config say
    return { good: null, warnedBad: null, fingerprint: null }
  }
}

async function writeState (ws: Workspace, state: PolicyState): Promise<void> {
  const path = join(ws.gasDir, STATE_FILE)
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  try {
    await ws.fs.writeFile(tmp, JSON.stringify(state, null, 2))
    await ws.fs.rename(tmp, path)
  } catch (err) {
    await ws.fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, path)
  }
}

/** The text of a stored file manifest's content, or undefined when its content is not here. */
export async function readStoredText (ws: Workspace, fileId: ObjectId): Promise<string | undefined> {
  if (!(await ws.store.has(fileId))) return undefined
  const manifest = decodeFileManifest((await ws.store.get(fileId)).body)
  if (manifest.size > MAX_RULES_BYTES) throw new GasError('E_BAD_RULES', `${RULES_FILE} is ${manifest.size} bytes; a rules file is at most ${MAX_RULES_BYTES}`, { file: RULES_FILE, line: 0, reason: 'too large' })
  const parts: Uint8Array[] = []
  for (const chunk of manifest.chunks) {
    if (!(await ws.store.has(chunk.id, 'chunk'))) return undefined
    parts.push((await ws.store.get(chunk.id)).body)
  }
  return Buffer.concat(parts).toString('utf8')
}

/** The engine of the workspace's project: from the files on disk, else from what the index tracks. */
export async function detectEngine (ws: Workspace, index?: StagingIndex): Promise<EngineName | null> {
  const onDisk = await detectEngineOnDisk(ws.fs, ws.root)
  if (onDisk !== null) return onDisk
  if (index !== undefined) {
    const paths = Object.keys(index.entries)
    return engineOfRoot(paths.filter((p) => !p.includes('/')), paths.includes('ProjectSettings/ProjectVersion.txt'))
  }
  // streamed, keeping the top-level names only: a sync must not hold a 200 000-entry index for this
  const rootNames: string[] = []
  let unityVersion = false
  for await (const line of (await streamIndex(ws.fs, ws.gasDir)).lines) {
    const path = pathOfLine(line)
    if (!path.includes('/')) rootNames.push(path)
    else if (path === 'ProjectSettings/ProjectVersion.txt') unityVersion = true
  }
  return engineOfRoot(rootNames, unityVersion)
}

/**
 * The policy in force in this workspace: the tracked `.gasrules` (as the index holds it: the
 * version last checked out or staged), the member's roles, local overrides and the engine.
 * A rules file that does not parse leaves the last good one in force, and `notice` says so once.
 * When the policy differs from the one the whole-tree cache was built under, the cache is cleared,
 * so the next walk looks at every tree again and fetches newly wanted content.
 */
export async function loadWorkspacePolicy (ws: Workspace): Promise<LoadedPolicy> {
  const state = await readState(ws)
  const before = JSON.stringify(state)
  let rules: Rule[] = []
  let notice: string | null = null
  const entry = await findIndexEntry(ws.fs, ws.gasDir, RULES_FILE)
  const fallback = (): Rule[] => state.good === null ? [] : parseRules(state.good.text)
  if (entry === undefined) state.good = null
  else if (entry.asset === state.good?.asset) rules = fallback()
  else {
    try {
      const text = await readStoredText(ws, entry.meta.file)
      if (text === undefined) rules = fallback()
      else {
        rules = parseRules(text)
        state.good = { asset: entry.asset, text }
      }
    } catch (err) {
      if (!(err instanceof GasError && err.code === 'E_BAD_RULES')) throw err
      rules = fallback()
      if (state.warnedBad !== entry.asset) {
        notice = `${err.message}; the previous rules stay in force until ${RULES_FILE} is fixed`
        state.warnedBad = entry.asset
      }
    }
  }
  const policy = new SyncPolicy({ rules, roles: ws.config.roles, overrides: ws.config.selective?.overrides ?? [], engine: await detectEngine(ws) })
  if (state.fingerprint !== policy.fingerprint) {
    await ws.store.completeTrees.clear()
    state.fingerprint = policy.fingerprint
  }
  if (JSON.stringify(state) !== before) await writeState(ws, state)
  return { policy, notice }
}

/**
 * What `gas sync` passes to syncWithPeers: the policy's question and its fingerprint. `reload`,
 * after the sync, writes the files whose content it brought without a checkout (newly wanted),
 * and takes up a rules file the sync brought (its notice, if the file is bad, comes back).
 */
export interface SelectiveSyncOptions {
  wantContent: WantContent
  policyKey: string
  /**
   * false: a sync fetches the content of the versions the refs name (what a checkout needs), not
   * of every older version; `gas restore --version` and `gas fetch --version` get an older one on
   * demand, as Git LFS does. A path new rules bring in costs its current size, not its history's.
   */
  contentOfHistory: boolean
  notice: string | null
  reload: () => Promise<string | null>
  /** `reload`, also giving the policy now in force: a different `policyKey` means the sync brought new rules */
  reloadPolicy: () => Promise<{ notice: string | null, wantContent: WantContent, policyKey: string, contentOfHistory: boolean }>
}

/** why here: the CLI and the API's selective sync take it from here, so both fetch history the same way */
function contentOfHistory (ws: Workspace): boolean {
  return historyContentOf(ws) === 'all'
}

export async function selectiveSyncOptions (ws: Workspace): Promise<SelectiveSyncOptions> {
  const { policy, notice } = await loadWorkspacePolicy(ws)
  const reloadPolicy = async (): Promise<{ notice: string | null, wantContent: WantContent, policyKey: string, contentOfHistory: boolean }> => {
    await writeNewlyWanted(ws, policy.wants)
    const now = await loadWorkspacePolicy(ws)
    return { notice: now.notice, wantContent: now.policy.wants, policyKey: now.policy.fingerprint, contentOfHistory: contentOfHistory(ws) }
  }
  return {
    wantContent: policy.wants,
    policyKey: policy.fingerprint,
    contentOfHistory: contentOfHistory(ws),
    notice,
    reload: async () => (await reloadPolicy()).notice,
    reloadPolicy
  }
}
