import ts from 'typescript'

export interface ApiExport { name: string, kind: 'function' | 'class' | 'type' | 'const' }

/**
 * Every name src/index.ts exports (values and types), read by the TypeScript compiler itself:
 * what docs/api.md must list.
 */
export function apiExports (entry = 'src/index.ts'): ApiExport[] {
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry)
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source)
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`)
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const target = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported
    const f = target.flags
    const kind = (f & ts.SymbolFlags.Function) !== 0 ? 'function' : (f & ts.SymbolFlags.Class) !== 0 ? 'class' : (f & ts.SymbolFlags.Value) === 0 ? 'type' : 'const'
    return { name: exported.name, kind }
  }).sort((a, b) => a.name.localeCompare(b.name))
}

