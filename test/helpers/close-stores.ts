import { afterEach } from 'vitest'
import { FileStore } from '../../src/pack/file-store.js'

/**
 * Setup file (vitest.config.ts): every store a test opened and left open is closed after the test.
 * why: an open store holds file handles (its packs, the pack it writes); left to the garbage
 * collector, node warns "Closing file descriptor N on garbage collection" (DEP0137) into the
 * test log, and a later node throws there instead. Tests that close their workspaces are unchanged.
 */
const open = new Set<FileStore>()
const openStore = FileStore.open.bind(FileStore)
FileStore.open = async (...args: Parameters<typeof FileStore.open>): Promise<FileStore> => {
  const store = await openStore(...args)
  open.add(store)
  const closeAll = store.closeAll.bind(store)
  store.closeAll = async () => { open.delete(store); await closeAll() }
  return store
}

afterEach(async () => {
  for (const store of [...open]) {
    open.delete(store)
    // its folder may be gone already (the test's temporary folder): the handles close all the same
    await store.closeAll().catch(() => {})
  }
})
