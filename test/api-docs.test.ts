import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

// Every exported props interface documents each field, and each optional field its default: the
// API reference in docs/api (npm run docs) is generated from exactly these comments.
const LIB = join(__dirname, '..', 'lib');
// lib/ and lib/spec (the props), and lib/validate with its rule folders (admission/, fleet-checks/, fleet-summary/).
const files = [
  ...[LIB, join(LIB, 'spec')].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f))),
  ...readdirSync(join(LIB, 'validate'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(LIB, 'validate', f)),
];
// The public API: what lib/index.ts names, and everything lib/validate exports (its index re-exports all).
const INDEX_EXPORTS = new Set([...readFileSync(join(LIB, 'index.ts'), 'utf8').matchAll(/export (?:type )?\{([^}]*)\}/g)]
  .flatMap((m) => m[1].split(',').map((name) => name.trim())));
const isPublic = (file: string, name: string) => file.startsWith(join(LIB, 'validate')) || INDEX_EXPORTS.has(name);

interface Field {
  readonly where: string;
  readonly optional: boolean;
  readonly doc: string;
  readonly tags: string[];
}

function exportedFields(): Field[] {
  const fields: Field[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
      if (!isPublic(file, node.name.text)) return;
      for (const member of node.members) {
        if (!ts.isPropertySignature(member)) continue;
        const jsDoc = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
        fields.push({
          where: `${node.name.text}.${member.name.getText(source)}`,
          optional: member.questionToken !== undefined,
          doc: jsDoc.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').trim(),
          tags: ts.getJSDocTags(member).map((t) => t.tagName.text),
        });
      }
    });
  }
  return fields;
}

describe('API documentation', () => {
  const fields = exportedFields();

  test('covers the props interfaces', () => {
    expect(fields.length).toBeGreaterThan(60);
    expect(fields.map((f) => f.where)).toEqual(expect.arrayContaining([
      'RunnerChartProps.replicas', 'RunnerVmSizeOptions.cpu', 'RunnerRegistrationOptions.runnerLabels', 'RunnerSetupOptions.docker', 'RunnerCloudInitProps.release', 'FleetCheckOptions.externalVolumes',
    ]));
  });

  test('every exported field has a description', () => {
    expect(fields.filter((f) => f.doc.length === 0).map((f) => f.where)).toEqual([]);
  });

  test('every optional field states its @default', () => {
    expect(fields.filter((f) => f.optional && !f.tags.includes('default')).map((f) => f.where)).toEqual([]);
  });
});
