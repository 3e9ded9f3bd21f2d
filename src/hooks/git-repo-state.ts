import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GasError } from '../errors.js'
import { encodeAsset, type Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { encodeVersion, signedPart, type Version } from '../objects/version.js'
import { checkShortName } from '../refs/ref-name.js'
import { signBytes } from '../repo/identity.js'
import { ingestFile } from '../repo/ingest.js'
import { flattenTree, readAsset, readVersion, writeTree } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'
import { readManifest } from './lfs-store.js'

/**
 * A git repository as gas holds it, under `refs/git/<repo>`: a signed `version` whose tree has
 *   refs               text, one `<sha> <ref name>` per line, and `@<target> HEAD`
 *   packs/<name>.pack  every git pack pushed so far (a push adds one with only the new objects)
 * and whose parent is the state before the push. Peers exchange it as any other shared ref (it
 * fast-forwards like a branch), and a clone fetches the packs as they are: git indexes them.
 */

export const REFS_PATH = 'refs'
export const PACKS_DIR = 'packs'

export interface GitRepoState {
  /** the version holding this state; undefined: nothing pushed yet */
  version: ObjectId | undefined
  /** git ref name → object name (sha1 or sha256 hex) */
  refs: Map<string, string>
  /** what HEAD points at, e.g. refs/heads/main */
  head: string | undefined
  /** pack name (its trailer checksum) → asset id */
  packs: Map<string, ObjectId>
}

export function gitRepoRef (repo: string): string {
  checkShortName(repo, 'repository')
  return `refs/git/${repo}`
}

export function emptyState (): GitRepoState {
  return { version: undefined, refs: new Map(), head: undefined, packs: new Map() }
}

export function encodeRefs (state: Pick<GitRepoState, 'refs' | 'head'>): string {
  const lines = [...state.refs].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([name, sha]) => `${sha} ${name}`)
  if (state.head !== undefined) lines.push(`@${state.head} HEAD`)
  return lines.map((l) => `${l}\n`).join('')
}

export function decodeRefs (text: string): Pick<GitRepoState, 'refs' | 'head'> {
  const refs = new Map<string, string>()
  let head: string | undefined
  for (const line of text.split('\n')) {
    if (line === '') continue
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line)
    const symref = /^@(refs\/\S+) HEAD$/.exec(line)
    if (m !== null) refs.set(m[2], m[1])
    else if (symref !== null) head = symref[1]
    else throw new GasError('E_CORRUPT_OBJECT', `git refs list: unexpected line "${line.slice(0, 80)}"`)
  }
  return { refs, head }
}

/** Reads the state a version holds; its refs file content must be in the store (packs need not be). */
export async function readGitRepoState (store: ObjectStore, version: ObjectId): Promise<GitRepoState> {
  const { tree } = await readVersion(store, version)
  const entries = await flattenTree(store, tree)
  const refsAsset = entries.get(REFS_PATH)
  if (refsAsset === undefined) throw new GasError('E_CORRUPT_OBJECT', `version ${version} is not a git repository state: it has no ${REFS_PATH} file`)
  const text = await readContent(store, await readAsset(store, refsAsset))
  const packs = new Map<string, ObjectId>()
  for (const [path, asset] of entries) {
    const m = /^packs\/([0-9a-f]{40}|[0-9a-f]{64})\.pack$/.exec(path)
    if (m !== null) packs.set(m[1], asset)
  }
  return { version, ...decodeRefs(text), packs }
}

async function readContent (store: ObjectStore, asset: Asset): Promise<string> {
  const manifest = await readManifest(store, asset.file)
  if (manifest === undefined) throw GasError.notFound(`file ${asset.file}`)
  const parts: Buffer[] = []
  for (const chunk of manifest.chunks) parts.push(Buffer.from((await store.get(chunk.id)).body))
  return Buffer.concat(parts).toString('utf8')
}

/** Chunks and stores a file (a pack, the refs list) and returns its asset id. */
export async function storeFileAsset (ws: Workspace, path: string, format: string): Promise<ObjectId> {
  const ingested = await ingestFile(ws.fs, ws.store, path, format)
  await ws.store.flush()
  await ws.store.loose.write('file', ingested.manifest, ingested.fileId)
  const asset: Asset = { file: ingested.fileId, size: ingested.size, sha256: ingested.sha256, kind: format === 'pack' ? 'archive' : 'code', format, tags: {}, previews: [] }
  return await ws.store.put('asset', encodeAsset(asset))
}

/**
 * Records a new state as a version signed by this member, child of `base`, and moves
 * refs/git/<repo> to it with compare-and-swap: a concurrent push from this workspace loses cleanly.
 */
export async function writeGitRepoState (ws: Workspace, opts: { repo: string, base: GitRepoState, refs: Map<string, string>, head: string | undefined, newPack?: { name: string, asset: ObjectId }, message: string }): Promise<GitRepoState> {
  const refsFile = join(tmpdir(), `gas-git-refs-${randomBytes(6).toString('hex')}`)
  const packs = new Map(opts.base.packs)
  if (opts.newPack !== undefined) packs.set(opts.newPack.name, opts.newPack.asset)
  let refsAsset: ObjectId
  try {
    await ws.fs.writeFile(refsFile, encodeRefs({ refs: opts.refs, head: opts.head }))
    refsAsset = await storeFileAsset(ws, refsFile, 'txt')
  } finally {
    await ws.fs.rm(refsFile, { force: true })
  }
  const assets = new Map<string, ObjectId>([[REFS_PATH, refsAsset]])
  for (const [name, asset] of packs) assets.set(`${PACKS_DIR}/${name}.pack`, asset)
  const tree = await writeTree(ws.store, assets)
  const unsigned: Version = {
    tree,
    parents: opts.base.version === undefined ? [] : [opts.base.version],
    author: ws.author,
    time: ws.authorTime(),
    message: opts.message,
    tags: { git: opts.repo },
    signature: null
  }
  const version = await ws.store.put('version', encodeVersion({ ...unsigned, signature: signBytes(ws.identity, signedPart(unsigned)) }))
  await ws.store.flush()
  await ws.refs.update({ name: gitRepoRef(opts.repo), newId: version, expectedOld: opts.base.version ?? null, message: opts.message, who: ws.identity.name, now: ws.clock.now() })
  return { version, refs: new Map(opts.refs), head: opts.head, packs }
}
