import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The documents a reader follows links between: the README, every guide, the flow format. */
function documents(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), join(root, 'flows', 'README.md'), ...docs];
}

/** Relative link targets of a markdown file, outside fenced code blocks, without their anchors. */
export function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    // Inline code may show link-like text (`[x](y)`) that is not a link.
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      out.push(decodeURIComponent(target.split('#')[0]!));
    }
  }
  return out;
}

describe('documentation links', () => {
  it('finds relative links and skips anchors, URLs and code', () => {
    const md = ['[a](docs/a.md#x) [b](https://x.org) [c](#top)', '`[d](nope.md)`', '```', '[e](nope.md)', '```', '[f](../g.md "t")'].join('\n');
    expect(relativeLinks(md)).toEqual(['docs/a.md', '../g.md']);
  });

  it('every relative link in README.md, flows/README.md and docs/*.md points at an existing file', () => {
    const broken: string[] = [];
    for (const file of documents()) {
      for (const target of relativeLinks(readFileSync(file, 'utf8'))) {
        if (!existsSync(resolve(dirname(file), target))) broken.push(`${relative(root, file)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every guide in docs/ can be reached from the README by following links', () => {
    const seen = new Set<string>();
    const queue = [join(root, 'README.md')];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file) || !file.endsWith('.md') || !existsSync(file)) continue;
      seen.add(file);
      for (const target of relativeLinks(readFileSync(file, 'utf8'))) queue.push(resolve(dirname(file), target));
    }
    const unreachable = documents().filter((f) => !seen.has(f)).map((f) => relative(root, f));
    expect(unreachable).toEqual([]);
  });
});
