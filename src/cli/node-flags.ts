/**
 * The V8 flags `bin/gas` starts node with (in its shebang: keep the two in step; a test checks).
 * Apps that embed gas and move data fast should start node with them too.
 *
 * why --initial-old-space-size=128 (MB): every frame received is a fresh 64 KiB ArrayBuffer made
 * by node-datachannel, ~1000 a second, and V8 counts those bytes against the old generation's
 * limit until a mark-compact. A process with a small heap has its limit only ~20 MB above the
 * live heap, so while receiving it ran a full mark-compact every few megabytes, whose marking
 * threads took the CPU the data channel's own threads need (one process serving and fetching
 * 1 GiB: ~210 mark-compacts, sync at 0.75× raw; with this floor under the limit: ~20, 0.85–1.0×).
 * The heap still grows only with what is live; the floor only delays collecting garbage.
 */
export const GAS_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']
