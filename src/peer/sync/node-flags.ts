/**
 * V8 flags for a node process that moves data through gas fast, both peers in one process or
 * an app that embeds gas; the bench starts its in-process sync figures with them. `bin/gas`
 * does not use them: a CLI process serving or fetching has a small heap with little garbage
 * (measured: 14 and 2 mark-compacts per 512 MiB), and the floor below would cost `gas add` of a
 * 4 GiB file ~60 MiB more peak RSS (234 → 293 MiB).
 *
 * why --initial-old-space-size=128 (MB): every frame received is a fresh 64 KiB ArrayBuffer made
 * by node-datachannel, ~1000 a second, and V8 counts those bytes against the old generation's
 * limit until a mark-compact. With a heap of a few dozen MB the limit sits ~20 MB above the live
 * heap, so a process serving and fetching ran a full mark-compact every few megabytes, whose
 * marking threads took the CPU the data channel's own threads need (1 GiB in one process: ~210
 * mark-compacts, 0.75× raw; with this floor under the limit 20–36, 0.8–1.0×).
 */
export const GAS_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']
