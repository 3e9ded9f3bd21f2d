/**
 * Which modules of the package build a user's path can load: from the entry points (the API,
 * bin/gas's and bin/git-remote-gas's modules), through static imports, `import('./x.js')`,
 * `import(`./commands/${name}.js`)` (every file the pattern matches) and workers started from
 * `new URL('./x.js', import.meta.url)`. What none reaches (the bench's and tests' simulated
 * transports, the CLI reference the docs script writes, type-only modules) is not shipped.
 *
 * why esbuild: it already minifies the package, and its bundler's metafile is the module graph,
 * pattern imports included; nothing is written (the package keeps one file per module).
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, normalize, relative } from 'node:path'
import { build } from 'esbuild'

/** bin/gas loads cli/quick-start.js, bin/git-remote-gas hooks/remote-helper-main.js; package.json's exports index.js. */
export const PACKAGE_ENTRIES = ['index.js', 'cli/quick-start.js', 'hooks/remote-helper-main.js']

/** Workers a module starts by URL (preview/pool.ts: `new URL('./worker.js', import.meta.url)`), which no import names. */
function workerUrls (path: string, text: string): string[] {
  return [...text.matchAll(/new URL\(\s*["'`](\.{1,2}\/[^"'`$]+\.js)["'`]\s*,\s*import\.meta\.url\s*\)/g)].map((m) => normalize(join(dirname(path), m[1])))
}

/** The package-relative paths of the .js modules under `root` that the entries reach. */
export async function reachedModules (root: string, entries = PACKAGE_ENTRIES): Promise<Set<string>> {
  const reached = new Set<string>()
  let next = entries.map((entry) => join(root, entry))
  while (next.length > 0) {
    const result = await build({
      entryPoints: next,
      absWorkingDir: root,
      bundle: true,
      splitting: true,
      write: false,
      outdir: join(root, '.reach'),
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      metafile: true,
      logLevel: 'silent'
    })
    const found: string[] = []
    for (const input of Object.keys(result.metafile.inputs)) {
      const path = join(root, input)
      if (reached.has(relative(root, path))) continue
      reached.add(relative(root, path))
      found.push(...workerUrls(path, await readFile(path, 'utf8')))
    }
    next = found.filter((path) => !reached.has(relative(root, path)))
  }
  return reached
}
