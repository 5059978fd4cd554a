import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { benchlabProgram } from '../../cli/program.js';
import { packageRoot } from '../../lab/paths.js';

// The docs say what the program does: every option of every command has its row in docs/commands.md
// with the default --help prints, the README stays a front door, and no relative link is dead.
const COMMANDS_DOC = 'docs/commands.md';
const README_MAX_LINES = 250;
const README_MIN_DOCS_LINKS = 3;
const OPTION_TABLE_HEADER = '| option | default | meaning |';

interface OptionRow {
  flag: string;
  defaultCell: string;
  line: number;
}

interface CommandSection {
  line: number;
  /** One entry per `| option | default | meaning |` table in the section. */
  tables: OptionRow[][];
}

function read(file: string): string {
  return fs.readFileSync(path.join(packageRoot, file), 'utf8');
}

/** The lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    else if (!fenced) lines.push({ text, line: i + 1 });
  });
  return lines;
}

/** A table row's cells; `\|` inside a cell is a pipe, not a column break. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/** The flag a row documents: the first `--name` in the first backticked span that holds one (`-h, --help` is --help). */
function rowFlag(firstCell: string): string | undefined {
  for (const span of firstCell.matchAll(/`([^`]+)`/g)) {
    const flag = /--[a-z][a-z0-9-]*/.exec(span[1]!);
    if (flag) return flag[0];
  }
  return undefined;
}

/** A default cell as a value: backticks and surrounding space do not count. */
function cellValue(cell: string): string {
  return cell.replace(/`/g, '').trim();
}

/** `## benchlab <command>` sections of commands.md and the option tables in each. */
export function commandSections(markdown: string): Map<string, CommandSection> {
  const sections = new Map<string, CommandSection>();
  let current: CommandSection | undefined;
  let table: OptionRow[] | undefined;
  for (const { text, line } of proseLines(markdown)) {
    if (text.startsWith('## ')) {
      table = undefined;
      const name = /^## benchlab (\S+)\s*$/.exec(text)?.[1];
      current = name === undefined ? undefined : { line, tables: [] };
      if (name !== undefined) {
        assert.ok(!sections.has(name), `${COMMANDS_DOC}:${line}: a second "## benchlab ${name}" heading`);
        sections.set(name, current!);
      }
      continue;
    }
    if (!text.startsWith('|')) {
      table = undefined;
      continue;
    }
    if (current === undefined) continue;
    if (cells(text).join(' | ') === cells(OPTION_TABLE_HEADER).join(' | ')) {
      table = [];
      current.tables.push(table);
      continue;
    }
    if (table === undefined || /^\|[\s|:-]+\|$/.test(text.trim())) continue;
    const [first = '', defaultCell = ''] = cells(text);
    const flag = rowFlag(first);
    assert.ok(flag !== undefined, `${COMMANDS_DOC}:${line}: the row's first cell names no --option in backticks: ${text}`);
    table.push({ flag, defaultCell: cellValue(defaultCell), line });
  }
  return sections;
}

/** What --help prints as an option's default: the X of its trailing `(default: X)`, or '' when it shows none. */
export function helpDefault(help: string): string {
  return /\(default: (.*?)\)(?: \(choices: [^)]*\))?$/s.exec(help)?.[1] ?? '';
}

/**
 * The options --help lists for a command: `command.options` and the help option. Each one's text is
 * what --help prints: its description plus the defaults and choices commander adds (a repeatable
 * option's `[]`), so the docs are held to exactly that.
 */
function helpOptions(command: Command): { option: Option; help: string }[] {
  const help = command.createHelp();
  return help.visibleOptions(command).map((option) => ({ option, help: help.optionDescription(option) }));
}

/** Every problem with one command's section, each naming the command and the option. */
function sectionProblems(command: Command, section: CommandSection | undefined): string[] {
  const name = `benchlab ${command.name()}`;
  if (section === undefined) return [`${name}: ${COMMANDS_DOC} has no "## ${name}" heading`];
  if (section.tables.length !== 1) {
    return [`${name}: ${COMMANDS_DOC}:${section.line}: the section has ${section.tables.length} "${OPTION_TABLE_HEADER}" tables, not one`];
  }
  const rows = section.tables[0]!;
  const problems: string[] = [];
  const options = helpOptions(command);
  for (const { option, help } of options) {
    const flag = option.long ?? option.short ?? option.flags;
    const found = rows.filter((row) => row.flag === flag);
    const spelled = option.negate ? `${flag} (a negated flag: the row names it with its --no- prefix)` : flag;
    if (found.length === 0) {
      problems.push(`${name} ${spelled}: no row in ${COMMANDS_DOC}`);
      continue;
    }
    if (found.length > 1) problems.push(`${name} ${flag}: ${found.length} rows (lines ${found.map((row) => row.line).join(', ')}), not one`);
    const expected = helpDefault(help);
    for (const row of found) {
      if (row.defaultCell !== expected) {
        problems.push(`${name} ${flag}: ${COMMANDS_DOC}:${row.line} says default "${row.defaultCell}", --help says "${expected}"`);
      }
    }
  }
  const known = new Set(options.map(({ option }) => option.long));
  for (const row of rows) {
    if (!known.has(row.flag)) problems.push(`${name} ${row.flag}: ${COMMANDS_DOC}:${row.line} documents an option --help does not list`);
  }
  return problems;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const anchor = anchorOf(heading);
    const count = seen.get(anchor) ?? 0;
    anchors.add(count === 0 ? anchor : `${anchor}-${count}`);
    seen.set(anchor, count + 1);
  }
  return anchors;
}

/** Relative link targets outside code: `[text](target)` and `![alt](target)`, with their lines. */
export function relativeLinks(markdown: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  for (const { text, line } of proseLines(markdown)) {
    for (const match of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ target, line });
    }
  }
  return links;
}

/** The markdown files a reader moves between: the README, docs/ and ARCHITECTURE.md. */
function linkedDocs(): string[] {
  const docs = fs
    .readdirSync(path.join(packageRoot, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => `docs/${file}`);
  return ['README.md', 'ARCHITECTURE.md', ...docs];
}

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const { target, line } of relativeLinks(read(file))) {
    const [filePart = '', anchor] = target.split('#');
    const resolved = filePart === '' ? path.join(packageRoot, file) : path.resolve(path.dirname(path.join(packageRoot, file)), decodeURI(filePart));
    if (!fs.existsSync(resolved)) {
      broken.push(`${file}:${line}: ${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${file}:${line}: ${target} (no such heading)`);
    }
  }
  return broken;
}

describe('docs/commands.md against --help', () => {
  const program = benchlabProgram();
  const sections = commandSections(read(COMMANDS_DOC));

  it('has one "## benchlab <command>" section per command, and none for a command that does not exist', () => {
    const names = program.commands.map((command) => command.name());
    assert.deepEqual(
      [...sections.keys()].filter((name) => !names.includes(name)),
      [],
    );
    assert.deepEqual(
      names.filter((name) => !sections.has(name)),
      [],
    );
  });

  for (const command of program.commands) {
    it(`benchlab ${command.name()}: one row per option, with the default --help prints`, () => {
      assert.deepEqual(sectionProblems(command, sections.get(command.name())), []);
    });
  }

  it('the check sees a wrong default, a missing row and a row for no option', () => {
    const doc = [
      '## benchlab demo',
      '',
      OPTION_TABLE_HEADER,
      '| --- | --- | --- |',
      '| `--users N` | `400` | users |',
      '| `--mode open\\|closed` | open | how |',
      '| `--gone` | | an option since removed |',
      '',
    ].join('\n');
    const demo = benchlabProgram().commands.find((command) => command.name() === 'run')!;
    const problems = sectionProblems(demo, commandSections(doc).get('demo'));
    assert.ok(problems.includes(`benchlab run --users: ${COMMANDS_DOC}:5 says default "400", --help says "4000"`), problems.join('\n'));
    assert.ok(!problems.some((problem) => problem.startsWith('benchlab run --mode')), problems.join('\n'));
    assert.ok(problems.includes(`benchlab run --ramp: no row in ${COMMANDS_DOC}`), problems.join('\n'));
    assert.ok(problems.includes(`benchlab run --gone: ${COMMANDS_DOC}:7 documents an option --help does not list`), problems.join('\n'));
  });

  it('reads the default --help prints, with choices after it or none at all', () => {
    assert.equal(helpDefault('arrival schedule (default: uniform) (choices: "uniform", "poisson")'), 'uniform');
    assert.equal(helpDefault('record this fact in the result (repeatable) (default: [])'), '[]');
    assert.equal(helpDefault('how nginx reaches the app'), '');
  });
});

describe('the README and the pages it leads to', () => {
  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = read('README.md').replace(/\n$/, '').split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; details belong in docs/`);
  });

  it(`README.md links at least ${README_MIN_DOCS_LINKS} pages under docs/`, () => {
    const pages = new Set(
      relativeLinks(read('README.md'))
        .map(({ target }) => path.posix.normalize(target.split('#')[0]!))
        .filter((target) => target.startsWith('docs/')),
    );
    assert.ok(pages.size >= README_MIN_DOCS_LINKS, `README.md links ${[...pages].join(', ') || 'nothing'} under docs/`);
  });

  it('every relative link in README.md, ARCHITECTURE.md and docs/*.md resolves to a file (and heading)', () => {
    assert.deepEqual(linkedDocs().flatMap(brokenLinks), []);
  });

  it('shell examples run from a fresh clone: npx benchlab, not a bare benchlab', () => {
    const bare: string[] = [];
    for (const file of linkedDocs()) {
      let shell = false;
      read(file)
        .split('\n')
        .forEach((text, i) => {
          const fence = /^\s*```(\w*)/.exec(text);
          if (fence) shell = !shell && /^(sh|bash|shell|console)$/.test(fence[1]!);
          else if (shell && /^\s*(\$\s+)?benchlab\s/.test(text)) bare.push(`${file}:${i + 1}: ${text.trim()}`);
        });
    }
    assert.deepEqual(bare, []);
  });
});
