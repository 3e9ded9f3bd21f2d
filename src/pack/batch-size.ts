import { ENTRY_HEADER } from './pack-entry.js'

/** Bytes gathered before one write(2): fewer syscalls without holding much. */
export const WRITE_BUFFER = 2 * 1024 * 1024
/** Entries up to this size share the batch buffer (a chunk is at most 256 KiB; zstd may add a little). */
const MAX_INLINE_ENTRY = 512 * 1024
/** One write batch of a pack writer: a full WRITE_BUFFER and the entry that overflowed it. */
export const BATCH_BYTES = WRITE_BUFFER + ENTRY_HEADER + MAX_INLINE_ENTRY
