import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

// The import graph of lib/, read with the TypeScript compiler's own parser: type-only imports
// count too (a type import is what closed the old cycle), re-exports count as imports.

/** File (relative to lib/, e.g. 'spec/pool.ts') -> the lib/ files it imports. */
export type ImportGraph = Map<string, string[]>;

/** Every hand-written .ts file under `root` (lib/), without the in-cluster runtime's generated bundles. */
export function libFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

/** The module specifiers of `source`: imports, `export ... from`, `import('...')` types and `require()`. */
export function moduleSpecifiers(source: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The graph of relative imports between the files of `root`. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of libFiles(root)) {
    const path = join(root, file);
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const targets = new Set<string>();
    for (const specifier of moduleSpecifiers(source)) {
      if (!specifier.startsWith('.')) continue;
      const base = resolve(dirname(path), specifier);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (target && target.startsWith(root + '/')) targets.add(relative(root, target));
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every cycle, each as the path that closes it (`a.ts -> b.ts -> a.ts`), one per strongly connected component. */
export function cycles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components, then one shortest cycle through each component's first file.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (v: string) => {
    indices.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) { strongConnect(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strongConnect(v);
  return components.map((component) => shortestCycle(graph, component));
}

function shortestCycle(graph: ImportGraph, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(w)) { previous.set(w, v); queue.push(w); }
    }
  }
  return component;
}

/** The size of every strongly connected component with a cycle (how many files each cycle ties together). */
export function cycleSizes(graph: ImportGraph): number[] {
  const sizes: number[] = [];
  for (const cycle of cycles(graph)) {
    // Count the whole component: every file that reaches and is reached from the cycle's first file.
    const reach = (from: string, edges: ImportGraph) => {
      const seen = new Set([from]); const queue = [from];
      while (queue.length) for (const w of edges.get(queue.shift()!) ?? []) if (!seen.has(w)) { seen.add(w); queue.push(w); }
      return seen;
    };
    const reverse: ImportGraph = new Map();
    for (const [v, ws] of graph) for (const w of ws) reverse.set(w, [...(reverse.get(w) ?? []), v]);
    const forward = reach(cycle[0], graph);
    sizes.push([...reach(cycle[0], reverse)].filter((f) => forward.has(f)).length);
  }
  return sizes;
}
