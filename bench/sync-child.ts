import { join } from 'node:path'
import { realFs } from '../src/objects/fs.js'
import { FileStore } from '../src/pack/file-store.js'
import { syncRepo } from '../src/peer/sync-engine.js'
import { RefStore } from '../src/refs/ref-store.js'
import { connectSocket } from './socket-transport.js'

/**
 * A receiving peer in its own process, for the kill-and-resume scenario (test and bench): opens a
 * real FileStore in `dir`, syncs from 127.0.0.1:`port`, prints `R <json result>`, exits.
 * While it runs it prints `P <payload bytes received>` lines so the parent can kill it mid-transfer.
 *
 *   GAS_SYNC_CHILD='{"port": 1234, "dir": "/tmp/x"}' node dist/bench/sync-child.js
 */
const args = JSON.parse(process.env.GAS_SYNC_CHILD ?? '{}') as { port: number, dir: string }
const store = await FileStore.open(join(args.dir, 'objects'))
const refs = new RefStore(realFs, args.dir)
const transport = await connectSocket(args.port, 'seeder')
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
process.stdout.write(`R ${JSON.stringify({ fetched: result.fetched, missing: result.missing.length, peers: result.peers, dropped: result.dropped, refs: result.refs.length, rssPeak: process.resourceUsage().maxRSS * 1024 })}\n`)
process.exit(0)
