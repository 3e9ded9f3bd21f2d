/**
 * `into.set(bytes, at)`, through memcpy. why: chunks may live in a SharedArrayBuffer (ingest's,
 * shared with the chunking worker), and V8 copies out of shared memory with relaxed atomic word
 * moves, ~1.5× slower here than the memcpy Buffer#fill uses for a buffer value (profiled: 7% of
 * `gas add`; 132 ms of a 512 MiB sync while its frames were shared memory).
 */
export function copyBytes (into: Uint8Array, at: number, bytes: Uint8Array): void {
  if (bytes.length === 0) return
  const target = Buffer.isBuffer(into) ? into : Buffer.from(into.buffer, into.byteOffset, into.byteLength)
  target.fill(bytes, at, at + bytes.length)
}

/** A copy of `bytes` in memory of its own (not shared), made through memcpy as copyBytes. */
export function copyOf (bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length)
  copyBytes(copy, 0, bytes)
  return copy
}
