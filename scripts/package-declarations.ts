/**
 * The package's type declarations: one file, index.d.ts, with exactly the public API (what
 * src/index.ts exports, and the types those reach), where tsc writes a .d.ts per module.
 * An API user's compiler reads only that; the per-module files (each with its own imports,
 * re-exports and private declarations) were 116 KB of issue 19's 832 KB floor, the bundle ~45 KB.
 *
 * why rollup-plugin-dts: made for exactly this (bundling tsc's .d.ts output), widely used and
 * kept current with TypeScript; it and rollup run no install script (rollup's native part comes
 * prebuilt from the registry), and it reads the .d.ts files tsc already wrote, so it adds no
 * second compile. (dts-bundle-generator compiles the sources again; api-extractor brings a
 * report/doc toolchain the package does not need.)
 */
import { rollup } from 'rollup'
import { dts } from 'rollup-plugin-dts'
import ts from 'typescript'

const printer = ts.createPrinter({ removeComments: true })

/** Comments and indentation out: a declaration's meaning depends on neither (no declaration has a multi-line template literal). */
export function compactDeclarations (text: string): string {
  return printer.printFile(ts.createSourceFile('index.d.ts', text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)).replace(/^ +/gm, '')
}

/** The declarations `entry` (tsc's index.d.ts) exports, bundled into one module; packages (node:*, dependencies) stay imports. */
export async function bundleDeclarations (entry: string): Promise<string> {
  const bundle = await rollup({
    input: entry,
    plugins: [dts()],
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    onwarn: (warning) => { throw new Error(`declaration bundle: ${warning.message}`) }
  })
  try {
    const { output } = await bundle.generate({ format: 'es' })
    if (output.length !== 1 || output[0].type !== 'chunk') throw new Error(`declaration bundle: expected one file, got ${output.map((o) => o.fileName).join(', ')}`)
    return compactDeclarations(output[0].code)
  } finally {
    await bundle.close()
  }
}
