import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeFileManifest } from '../src/objects/file-manifest.js'
import { realFs } from '../src/objects/fs.js'
import { FileStore } from '../src/pack/file-store.js'
import type { PeerSession } from '../src/peer/session/session.js'
import { serveRepo } from '../src/peer/sync/serve-repo.js'
import { RefStore } from '../src/refs/ref-store.js'
import { buildVersion, pseudoRandomStream, setRef, type WrittenVersion } from '../test/net/helpers.js'
import { listenSocket } from './socket-transport.js'

/**
 * Kill-and-resume: a seeder (this process, real FileStore) serves one asset over TCP to a child
 * process (bench/sync-child.ts, real FileStore). The child is killed with SIGKILL once the seeder
 * has sent `killAtBytes`, then started again on the same directory and left to finish. What the
 * seeder sent in total, against the asset's size, is the redundancy of resume.
 */

export interface ResumeRun {
  assetBytes: number
  /** payload bytes the seeder sent to the first (killed) child */
  sentBeforeKill: number
  /** payload bytes the seeder sent to the restarted child */
  sentAfterRestart: number
  /** (sent in total) / (asset bytes + metadata) */
  redundancy: number
  /** the restarted child restored the asset byte for byte */
  identical: boolean
  /** peak RSS of the restarted child */
  childRssPeak: number
  ms: number
}

const here = dirname(fileURLToPath(import.meta.url))
const runningTs = import.meta.url.endsWith('.ts')

export function startChild (args: { role?: 'fetch' | 'seed' | 'build', port?: number, dir: string, assetBytes?: number }): ChildProcess {
  const env = { ...process.env, GAS_SYNC_CHILD: JSON.stringify(args) }
  if (runningTs) {
    const viteNode = resolve(here, '..', 'node_modules', '.bin', 'vite-node')
    return spawn(viteNode, [join(here, 'sync-child.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  }
  return spawn(process.execPath, [join(here, 'sync-child.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] })
}

export interface ChildReport { fetched?: { bytes: number }, bytesSent?: number, missing?: number, peers?: number, rssPeak: number }

export async function childResult (child: ChildProcess): Promise<ChildReport | undefined> {
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
  const line = out.split('\n').find((l) => l.startsWith('R '))
  return line === undefined ? undefined : JSON.parse(line.slice(2))
}

/** Builds the seeder's repository: one asset of `assetBytes` pseudo-random bytes on refs/heads/main. */
export async function buildSeeder (dir: string, assetBytes: number, seed = 'resume'): Promise<{ store: FileStore, refs: RefStore, version: WrittenVersion }> {
  const store = await FileStore.open(join(dir, 'objects'))
  const refs = new RefStore(realFs, dir)
  const version = await buildVersion(store, [{ path: 'big.pak', bytes: pseudoRandomStream(seed, assetBytes) }])
  await store.close()
  await setRef(refs, 'refs/heads/main', version.version)
  return { store, refs, version }
}

export async function runKillResume (opts: { assetBytes: number, killAtBytes: number, workDir?: string }): Promise<ResumeRun> {
  const root = await mkdtemp(join(opts.workDir ?? tmpdir(), 'gas-resume-'))
  try {
    const seeder = await buildSeeder(join(root, 'seeder'), opts.assetBytes)
    const sessions: PeerSession[] = []
    const { server, port } = await listenSocket((t) => {
      serveRepo({ store: seeder.store, refs: seeder.refs, transport: t, peerName: 'seeder' }).then((s) => sessions.push(s), () => {})
    })
    const start = performance.now()
    try {
      const childDir = join(root, 'child')
      const first = startChild({ port, dir: childDir })
      const firstDone = childResult(first)
      let killed = false
      const poll = setInterval(() => {
        const sent = sessions[0]?.ledger.bytesSent ?? 0
        if (!killed && sent >= opts.killAtBytes) {
          killed = true
          first.kill('SIGKILL')
        }
      }, 2)
      await firstDone
      clearInterval(poll)
      const sentBeforeKill = sessions[0]?.ledger.bytesSent ?? 0
      const second = await childResult(startChild({ port, dir: childDir }))
      if (process.env.GAS_KEEP_RESUME !== undefined) console.log('second', JSON.stringify(second))
      const sentAfterRestart = sessions[1]?.ledger.bytesSent ?? 0
      const ms = performance.now() - start
      const check = await FileStore.open(join(childDir, 'objects'))
      const file = seeder.version.assets.get('big.pak')!
      let identical = false
      try {
        identical = second !== undefined && second.missing === 0 && second.peers === 1 && (await sha256Of(check, file.file)) === file.sha256
      } finally {
        await check.closeAll()
      }
      return {
        assetBytes: opts.assetBytes,
        sentBeforeKill,
        sentAfterRestart,
        redundancy: (sentBeforeKill + sentAfterRestart) / opts.assetBytes,
        identical,
        childRssPeak: second?.rssPeak ?? 0,
        ms
      }
    } finally {
      for (const s of sessions) s.close()
      server.close()
      await seeder.store.closeAll()
    }
  } finally {
    if (process.env.GAS_KEEP_RESUME === undefined) await rm(root, { recursive: true, force: true })
    else console.log('kept', root)
  }
}

async function sha256Of (store: FileStore, fileId: string): Promise<string> {
  const manifest = decodeFileManifest((await store.get(fileId)).body)
  const hash = createHash('sha256')
  for (const chunk of manifest.chunks) hash.update((await store.get(chunk.id)).body)
  return hash.digest('hex')
}
