import { afterEach } from 'vitest'
import { FileStore } from '../../src/pack/file-store.js'

/**
 * Setup file (vitest.config.ts): every store a test opened and left open is closed after the test.
 * why: an open store holds file handles (its packs, the pack it writes); left to the garbage
 * collector, node warns "Closing file descriptor N on garbage collection" (DEP0137) into the
 * test log, and a later node throws there instead. Tests that close their workspaces are unchanged.
 */
const OPEN = Symbol.for('gas.test.openStores')
type Tracked = typeof FileStore & { [OPEN]?: Set<FileStore> }
const tracked = FileStore as Tracked

// why once: where a worker runs many files (vitest with `isolate: false`) this file runs before
// each, while FileStore stays the module already loaded; wrapping it again per file would stack wrappers
if (tracked[OPEN] === undefined) {
  const open = new Set<FileStore>()
  tracked[OPEN] = open
  const openStore = FileStore.open.bind(FileStore)
  FileStore.open = async (...args: Parameters<typeof FileStore.open>): Promise<FileStore> => {
    const store = await openStore(...args)
    open.add(store)
    const closeAll = store.closeAll.bind(store)
    store.closeAll = async () => { open.delete(store); await closeAll() }
    return store
  }
}

afterEach(async () => {
  const open = tracked[OPEN] ?? new Set()
  for (const store of [...open]) {
    open.delete(store)
    // its folder may be gone already (the test's temporary folder): the handles close all the same
    await store.closeAll().catch(() => {})
  }
})
