import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeAsset, type AssetKind } from '../../src/objects/asset.js'
import { chunkStream } from '../../src/objects/chunker.js'
import { decodeFileManifest, encodeFileManifest, type ChunkRef } from '../../src/objects/file-manifest.js'
import { realFs } from '../../src/objects/fs.js'
import type { ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { ObjectStore } from '../../src/objects/store.js'
import { encodeTree, type TreeEntry } from '../../src/objects/tree.js'
import { encodeVersion } from '../../src/objects/version.js'
import { RefStore } from '../../src/refs/ref-store.js'

/**
 * Test repositories written straight with the object encoders: chunks (FastCDC), file manifest,
 * asset, tree, version, plus a ref. Like hypercore's test helpers: small, real components.
 */

export const KiB = 1024
export const MiB = 1024 * KiB

/** Deterministic incompressible bytes (AES-CTR keystream), fast enough for GiB-sized assets. */
export function pseudoRandomBytes (seed: string, length: number): Buffer {
  return keystream(seed, 0, length)
}

/** A stream of `length` deterministic bytes in pieces, so a 4 GiB asset never sits in memory. */
export async function * pseudoRandomStream (seed: string, length: number, piece = 8 * MiB): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < length; offset += piece) yield keystream(seed, offset, Math.min(piece, length - offset))
}

function keystream (seed: string, offset: number, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest()
  const block = Math.floor(offset / 16)
  const iv = Buffer.alloc(16)
  iv.writeBigUInt64BE(BigInt(block), 8)
  const cipher = createCipheriv('aes-256-ctr', key, iv)
  const skip = offset - block * 16
  const out = cipher.update(Buffer.alloc(length + skip))
  return out.subarray(skip)
}

export interface AssetSpec {
  path: string
  /** the content, or a stream of it */
  bytes: Uint8Array | AsyncIterable<Uint8Array>
  kind?: AssetKind
  format?: string
  tags?: Record<string, string>
  /** preview objects to attach (stored as `preview` objects) */
  previews?: Uint8Array[]
}

export interface WrittenAsset {
  path: string
  asset: ObjectId
  file: ObjectId
  chunks: ChunkRef[]
  previews: ObjectId[]
  size: number
  sha256: string
}

export interface WrittenVersion {
  version: ObjectId
  tree: ObjectId
  assets: Map<string, WrittenAsset>
}

/** Chunks `spec.bytes` into `store` and writes its file manifest and asset. */
export async function writeAsset (store: ObjectStore, spec: AssetSpec): Promise<WrittenAsset> {
  const source = spec.bytes instanceof Uint8Array ? (async function * () { yield spec.bytes as Uint8Array })() : spec.bytes
  const hash = createHash('sha256')
  const chunks: ChunkRef[] = []
  let size = 0
  for await (const chunk of chunkStream(source)) {
    hash.update(chunk)
    size += chunk.length
    chunks.push({ id: await store.put('chunk', chunk), length: chunk.length })
  }
  const sha256 = hash.digest('hex')
  const file = await store.put('file', encodeFileManifest({ size, sha256, chunks }))
  const previews: ObjectId[] = []
  for (const p of spec.previews ?? []) previews.push(await store.put('preview', p))
  const asset = await store.put('asset', encodeAsset({
    file, size, sha256, kind: spec.kind ?? 'other', format: spec.format ?? 'bin', tags: spec.tags ?? {}, previews
  }))
  return { path: spec.path, asset, file, chunks, previews, size, sha256 }
}

/** Builds nested trees for `paths` (a/b/c.png) from already written assets. */
export async function writeTree (store: ObjectStore, assets: WrittenAsset[]): Promise<ObjectId> {
  const write = async (prefix: string, items: WrittenAsset[]): Promise<ObjectId> => {
    const entries: TreeEntry[] = []
    const subdirs = new Map<string, WrittenAsset[]>()
    for (const item of items) {
      const rest = item.path.slice(prefix.length)
      const slash = rest.indexOf('/')
      if (slash < 0) entries.push({ name: rest, type: 'asset', id: item.asset })
      else {
        const dir = rest.slice(0, slash)
        subdirs.set(dir, [...(subdirs.get(dir) ?? []), item])
      }
    }
    for (const [dir, list] of subdirs) entries.push({ name: dir, type: 'tree', id: await write(`${prefix}${dir}/`, list) })
    return await store.put('tree', encodeTree({ entries }))
  }
  return await write('', assets)
}

let clockSeconds = 1_800_000_000

export async function writeVersion (store: ObjectStore, opts: { tree: ObjectId, parents?: ObjectId[], message?: string, author?: string }): Promise<ObjectId> {
  return await store.put('version', encodeVersion({
    tree: opts.tree,
    parents: opts.parents ?? [],
    author: { name: opts.author ?? 'tester', publicKey: '0'.repeat(64) },
    time: { seconds: clockSeconds++, offsetMinutes: 540, timeZone: 'Asia/Tokyo' },
    message: opts.message ?? 'test version',
    tags: {},
    signature: null
  }))
}

/** Writes assets, a tree and a version on top of `parents`. */
export async function buildVersion (store: ObjectStore, specs: AssetSpec[], opts: { parents?: ObjectId[], message?: string, reuse?: WrittenAsset[] } = {}): Promise<WrittenVersion> {
  const written: WrittenAsset[] = [...(opts.reuse ?? [])]
  for (const spec of specs) written.push(await writeAsset(store, spec))
  const tree = await writeTree(store, written)
  const version = await writeVersion(store, { tree, parents: opts.parents, message: opts.message })
  return { version, tree, assets: new Map(written.map((a) => [a.path, a])) }
}

/** Reassembles a file from its manifest, verifying each chunk (the store does) and the whole sha256. */
export async function readFileContent (store: ObjectStore, fileId: ObjectId): Promise<Buffer> {
  const manifest = decodeFileManifest((await store.get(fileId)).body)
  const parts: Uint8Array[] = []
  for (const chunk of manifest.chunks) parts.push((await store.get(chunk.id)).body)
  const content = Buffer.concat(parts)
  if (createHash('sha256').update(content).digest('hex') !== manifest.sha256) throw new Error('restored content does not match its sha256')
  return content
}

export interface TempRepo {
  dir: string
  refs: RefStore
  cleanup: () => Promise<void>
}

/** A RefStore in a fresh temporary .gas directory. */
export async function tempRefs (label = 'refs'): Promise<TempRepo> {
  const dir = await mkdtemp(join(tmpdir(), `gas-${label}-`))
  return { dir, refs: new RefStore(realFs, dir), cleanup: async () => await rm(dir, { recursive: true, force: true }) }
}

export async function setRef (refs: RefStore, name: string, id: ObjectId): Promise<void> {
  await refs.update({ name, newId: id, message: 'test', who: 'test', now: Date.now() })
}

/** Objects of every chunk of `assets`: how many bytes a full fetch of their content carries. */
export function contentBytes (assets: Iterable<WrittenAsset>): number {
  let total = 0
  const seen = new Set<string>()
  for (const a of assets) for (const c of a.chunks) if (!seen.has(c.id)) { seen.add(c.id); total += c.length }
  return total
}

/** Resolves after `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Another MemoryStore holding the same objects (a second seeder of the same repository). */
export function cloneStore (from: MemoryStore): MemoryStore {
  const copy = new MemoryStore()
  for (const [id, object] of from.objects) copy.objects.set(id, object)
  return copy
}
