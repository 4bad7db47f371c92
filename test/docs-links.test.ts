import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { anchorsOf, DOC_FILES, ROOT } from './markdown';

// Every relative link in README.md and docs/*.md points to a file of the repository, and a
// #fragment to a heading of the Markdown file it names (or of the same file).
interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) links.push({ file, line: i + 1, target: m[1] });
    }
  });
  return links;
}

function problem(link: Link): string | undefined {
  const [path, fragment] = link.target.split('#', 2);
  const target = path === '' ? join(ROOT, link.file) : normalize(join(ROOT, dirname(link.file), decodeURIComponent(path)));
  if (!target.startsWith(ROOT)) return `${link.target} leaves the repository`;
  if (!existsSync(target)) return `${link.target}: no such file`;
  if (fragment !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(fragment)) {
    return `${link.target}: no heading with that anchor`;
  }
  return undefined;
}

describe('links in README.md and docs/', () => {
  const links = DOC_FILES.flatMap(linksOf);

  test('there are links to check', () => {
    expect(links.length).toBeGreaterThan(30);
  });

  test('every relative link points to an existing file and heading', () => {
    const broken = links.flatMap((link) => {
      const what = problem(link);
      return what ? [`${link.file}:${link.line}: ${what}`] : [];
    });
    expect(broken).toEqual([]);
  });

  test('the checker sees a broken link and a broken anchor', () => {
    expect(problem({ file: 'README.md', line: 1, target: 'docs/no-such-page.md' })).toBe('docs/no-such-page.md: no such file');
    expect(problem({ file: 'docs/README.md', line: 1, target: '../README.md#no-such-heading' })).toBe('../README.md#no-such-heading: no heading with that anchor');
    expect(problem({ file: 'docs/README.md', line: 1, target: '../lib/index.ts' })).toBeUndefined();
  });
});
