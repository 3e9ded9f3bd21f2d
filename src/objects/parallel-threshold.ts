/** From this size on, a file's cutting and chunk hashing move to the chunking worker (parallel-chunker.ts). */
export const PARALLEL_THRESHOLD = 8 * 1024 * 1024
