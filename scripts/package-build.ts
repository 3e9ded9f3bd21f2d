/**
 * The build that npm packs: dist/src (tsc's output, what a clone runs and debugs) copied to
 * dist/min with every comment, blank and long name taken out — the JS through esbuild's
 * minifier (per file, so each module, worker and `import.meta.url` path stays where it was),
 * the declarations through TypeScript's own printer (esbuild does not read .d.ts).
 * An installed gas runs the same modules, three times smaller on disk (issue 19).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import ts from 'typescript'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DEV_BUILD = join(ROOT, 'dist', 'src')
export const PACKAGE_BUILD = join(ROOT, 'dist', 'min')

async function * walk (dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield * walk(path)
    else yield path
  }
}

const printer = ts.createPrinter({ removeComments: true })

async function minify (path: string, text: string): Promise<string | null> {
  if (path.endsWith('.d.ts')) {
    // why the indentation goes too: it was ~8 KB of the installed package, which issue 19's floor counts
    // (a declaration's meaning never depends on it; no declaration has a multi-line template literal)
    return printer.printFile(ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)).replace(/^ +/gm, '')
  }
  if (path.endsWith('.js')) {
    // names may shorten: nothing looks a function or class up by name (GasError sets its own `name`)
    const out = await transform(text, { minify: true, format: 'esm', target: 'node20', loader: 'js' })
    return out.code
  }
  return null // source maps point at dist/src, which the package does not ship
}

export async function buildPackage (from = DEV_BUILD, to = PACKAGE_BUILD): Promise<{ files: number, bytes: number }> {
  await rm(to, { recursive: true, force: true })
  let files = 0
  let bytes = 0
  for await (const path of walk(from)) {
    const out = await minify(path, await readFile(path, 'utf8'))
    if (out === null) continue
    const target = join(to, relative(from, path))
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, out)
    files++
    bytes += Buffer.byteLength(out)
  }
  const pruned = await pruneDeclarations(to, 'index.d.ts')
  return { files: files - pruned.files, bytes: bytes - pruned.bytes }
}

/**
 * Removes the declarations no public type reaches: an API user's compiler reads only what
 * index.d.ts imports, transitively; the rest (commands, workers, internals) was 40% of the
 * package. Imports are found by their `from '…'` / `import('…')` specifiers, as tsc prints them.
 */
async function pruneDeclarations (root: string, entry: string): Promise<{ files: number, bytes: number }> {
  const reached = new Set<string>()
  const queue = [join(root, entry)]
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (reached.has(path)) continue
    reached.add(path)
    const text = await readFile(path, 'utf8').catch(() => '')
    for (const m of text.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) queue.push(normalize(join(dirname(path), m[1].replace(/\.js$/, '.d.ts'))))
  }
  let files = 0
  let bytes = 0
  for await (const path of walk(root)) {
    if (!path.endsWith('.d.ts') || reached.has(path)) continue
    bytes += Buffer.byteLength(await readFile(path))
    await rm(path)
    files++
  }
  return { files, bytes }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, bytes } = await buildPackage()
  console.error(`package build: ${files} files, ${(bytes / 1024).toFixed(0)} KiB in ${relative(ROOT, PACKAGE_BUILD)}`)
}
