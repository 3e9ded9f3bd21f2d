/**
 * The build that npm packs: dist/src (tsc's output, what a clone runs and debugs) copied to
 * dist/min with every comment, blank and local name taken out — the JS through esbuild's
 * minifier (per file, so each module, worker and `import.meta.url` path stays where it was, and a
 * stack trace names the module it passed through), the declarations bundled into one index.d.ts
 * (scripts/package-declarations.ts). Modules no user path loads are left out
 * (scripts/package-reach.ts). An installed gas runs the same modules, four times smaller on
 * disk (issue 19).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { bundleDeclarations } from './package-declarations.js'
import { reachedModules } from './package-reach.js'

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

/**
 * Minified module text. why no `format`: esbuild then keeps the module's exported names on
 * their functions and classes (`export class Workspace`, not `class n … export{n as Workspace}`),
 * so `Workspace.name`, `err.constructor.name` and the stack frames of every exported function
 * read as in the source, for ~2 KB; local and private names still shorten (nothing looks
 * them up by name). Keeping every name (`keepNames`) would cost ~56 KB of `__name` calls.
 */
async function minifyModule (text: string): Promise<string> {
  return (await transform(text, { minify: true, target: 'node20', loader: 'js' })).code
}

export async function buildPackage (from = DEV_BUILD, to = PACKAGE_BUILD): Promise<{ files: number, bytes: number }> {
  await rm(to, { recursive: true, force: true })
  for await (const path of walk(from)) {
    // source maps point at dist/src, which the package does not ship; declarations are bundled below
    if (!path.endsWith('.js')) continue
    const target = join(to, relative(from, path))
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, await minifyModule(await readFile(path, 'utf8')))
  }
  const reached = await reachedModules(to)
  let files = 0
  let bytes = 0
  for await (const path of walk(to)) {
    if (!reached.has(relative(to, path))) {
      await rm(path)
      continue
    }
    files++
    bytes += (await readFile(path)).length
  }
  const declarations = await bundleDeclarations(join(from, 'index.d.ts'))
  await writeFile(join(to, 'index.d.ts'), declarations)
  return { files: files + 1, bytes: bytes + Buffer.byteLength(declarations) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, bytes } = await buildPackage()
  console.error(`package build: ${files} files, ${(bytes / 1024).toFixed(0)} KiB in ${relative(ROOT, PACKAGE_BUILD)}`)
}
