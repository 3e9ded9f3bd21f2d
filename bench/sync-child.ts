import { join } from 'node:path'
import { realFs } from '../src/objects/fs.js'
import { FileStore } from '../src/pack/file-store.js'
import { syncRepo } from '../src/peer/sync/sync-engine.js'
import { serveRepo } from '../src/peer/sync/serve-repo.js'
import { RefStore } from '../src/refs/ref-store.js'
import { buildVersion, pseudoRandomStream, setRef } from '../test/net/helpers.js'
import { connectSocket, listenSocket } from './socket-transport.js'

/**
 * One peer in its own process, for the kill-and-resume and peak-RSS figures (test and bench).
 *   role "fetch": opens a real FileStore in `dir`, syncs from 127.0.0.1:`port`, prints
 *     `P <bytes stored>` while it runs and `R <json>` at the end, exits.
 *   role "build": writes one asset of `assetBytes` into a FileStore in `dir` (refs/heads/main), exits.
 *   role "seed": opens the FileStore in `dir`, listens, prints `L <port>`, serves one peer until
 *     it leaves, prints `R <json>`, exits. Built by another process, so its RSS is serving alone.
 *
 *   GAS_SYNC_CHILD='{"role": "fetch", "port": 1234, "dir": "/tmp/x"}' node dist/bench/sync-child.js
 */
interface ChildArgs { role?: 'fetch' | 'seed' | 'build', port?: number, dir: string, assetBytes?: number }
const args = JSON.parse(process.env.GAS_SYNC_CHILD ?? '{}') as ChildArgs
const store = await FileStore.open(join(args.dir, 'objects'))
const refs = new RefStore(realFs, args.dir)
const rssPeak = (): number => process.resourceUsage().maxRSS * 1024

if (args.role === 'build') {
  const version = await buildVersion(store, [{ path: 'big.pak', bytes: pseudoRandomStream('rss', args.assetBytes ?? 0) }])
  await store.closeAll()
  await setRef(refs, 'refs/heads/main', version.version)
  process.stdout.write(`R ${JSON.stringify({ rssPeak: rssPeak() })}\n`)
  process.exit(0)
}

if (args.role === 'seed') {
  const served = new Promise<number>((resolve) => {
    void listenSocket((transport) => {
      serveRepo({ store, refs, transport, peerName: 'seeder' }).then((session) => {
        session.onClose(() => resolve(session.ledger.bytesSent))
      }, () => resolve(0))
    }).then(({ port }) => process.stdout.write(`L ${port}\n`))
  })
  const bytesSent = await served
  process.stdout.write(`R ${JSON.stringify({ bytesSent, rssPeak: rssPeak() })}\n`)
  process.exit(0)
}

if (process.env.GAS_SYNC_CHILD_MEM !== undefined) {
  setInterval(() => {
    const m = process.memoryUsage()
    process.stderr.write(`mem rss ${m.rss >> 20} heap ${m.heapUsed >> 20}/${m.heapTotal >> 20} external ${m.external >> 20} arrayBuffers ${m.arrayBuffers >> 20} MiB\n`)
  }, 1000).unref()
}
const transport = await connectSocket(args.port ?? 0, 'seeder')
let lastReported = -1
const result = await syncRepo({
  store,
  refs,
  transports: [transport],
  peerName: 'child',
  lingerIdleMs: 0,
  onProgress: (p) => {
    if (p.bytes !== lastReported) {
      lastReported = p.bytes
      process.stdout.write(`P ${p.bytes}\n`)
    }
  }
})
await store.closeAll()
process.stdout.write(`R ${JSON.stringify({ fetched: result.fetched, missing: result.missing.length, peers: result.peers, dropped: result.dropped, refs: result.refs.length, rssPeak: rssPeak() })}\n`)
process.exit(0)
