import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { IgnoreRules } from './ignore-rules.js'
import { absoluteIn, NESTED_REPOSITORY_MARK, visitFolder, walkWorkspace, type WalkVisitor } from './workspace-walk.js'

/**
 * The walk of a large workspace on two threads: this one and a worker each take half of its
 * folders. why: `gas status` of 100 000 files is 100 000 lstat calls plus a Stats object each, the
 * bulk of its time, and the machine has a second core; the worker costs ~30 ms to start, which only
 * a large workspace repays (status.ts decides). The worker is plain JS evaluated from this string
 * (as parallel-chunker.ts does), so the same code runs from the TypeScript sources under test.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { readdirSync, lstatSync } = require('node:fs')
const { sep } = require('node:path')
const ignoreModule = require(workerData.ignorePath)
const matcher = (ignoreModule.default ?? ignoreModule)().add(workerData.patterns)
const rootSlash = workerData.root.endsWith(sep) ? workerData.root : workerData.root + sep
const toAbs = sep === '/' ? (p) => rootSlash + p : (p) => rootSlash + p.split('/').join(sep)
const paths = []
const numbers = []
const nested = []
const walk = (rel) => {
  let dirents
  try { dirents = readdirSync(toAbs(rel), { withFileTypes: true }) } catch { return }
  if (dirents.some((d) => d.name === workerData.nestedMark)) return nested.push(rel)
  for (const d of dirents) {
    const path = rel + '/' + d.name
    const type = d.isDirectory() || d.isFile() || d.isSymbolicLink() ? d : lstatSync(toAbs(path), { throwIfNoEntry: false })
    if (type === undefined) continue
    if (type.isDirectory()) { if (!matcher.ignores(path + '/')) walk(path) }
    else if (type.isFile()) {
      const st = lstatSync(toAbs(path), { throwIfNoEntry: false })
      if (st !== undefined && st.isFile()) { paths.push(path); numbers.push(st.size, st.mtimeMs, st.ctimeMs, st.ino) }
    }
  }
}
for (const rel of workerData.folders) walk(rel)
const packed = new Float64Array(numbers)
parentPort.postMessage({ paths, numbers: packed, nested }, [packed.buffer])
`

/** Folders the first levels must reach before the walk is split: enough that halves come out near even. */
const SPLIT_AT = 16

interface WorkerResult { paths: string[], numbers: Float64Array, nested: string[] }

function startWorker (root: string, rules: IgnoreRules, folders: string[]): Promise<WorkerResult> {
  const ignorePath = createRequire(import.meta.url).resolve('ignore')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { root, folders, patterns: rules.patterns, ignorePath, nestedMark: NESTED_REPOSITORY_MARK } })
  return new Promise<WorkerResult>((resolve, reject) => {
    worker.once('message', (result: WorkerResult) => { resolve(result); void worker.terminate() })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the status walk worker stopped (exit ${code})`)))
  })
}

/**
 * As walkWorkspace (the local file system only), split across two threads once the first levels
 * hold SPLIT_AT folders; a workspace with fewer folders is walked here alone. The worker stats
 * every file of its half (it does not hold the index); this thread sorts them into tracked, ignored
 * and untracked as walkWorkspace does.
 */
export async function walkWorkspaceParallel<T> (root: string, rules: IgnoreRules, visitor: WalkVisitor<T>): Promise<void> {
  const toAbs = absoluteIn(root)
  let frontier: string[] = []
  visitFolder(root, '', rules, visitor, (rel) => frontier.push(rel), undefined, toAbs)
  while (frontier.length > 0 && frontier.length < SPLIT_AT) {
    const next: string[] = []
    for (const rel of frontier) visitFolder(root, rel, rules, visitor, (sub) => next.push(sub), undefined, toAbs)
    frontier = next
  }
  if (frontier.length < 2) return walkWorkspace(root, rules, visitor, undefined, frontier)
  const theirs = frontier.filter((_, i) => i % 2 === 1)
  // a worker that cannot start or fails leaves its half to this thread: slower, never a different answer
  const result = startWorker(root, rules, theirs).catch(() => undefined)
  walkWorkspace(root, rules, visitor, undefined, frontier.filter((_, i) => i % 2 === 0))
  const done = await result
  if (done === undefined) return walkWorkspace(root, rules, visitor, undefined, theirs)
  const { paths, numbers, nested } = done
  for (const rel of nested) visitor.onUntracked(`${rel}/`)
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]
    const entry = visitor.tracked(path)
    if (entry !== undefined) visitor.onTracked(path, entry, { size: numbers[i * 4], mtimeMs: numbers[i * 4 + 1], ctimeMs: numbers[i * 4 + 2], ino: numbers[i * 4 + 3] })
    else if (!rules.ignores(path)) visitor.onUntracked(path)
  }
}
