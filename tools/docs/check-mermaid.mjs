#!/usr/bin/env node
// Parses every ```mermaid block of the Markdown files given as arguments with mermaid's own parser
// (the one the renderers use), so a diagram that would show "Syntax error" on GitHub fails here.
//
// Usage: node check-mermaid.mjs [--json] FILE.md...
// Exit status: 0 when every block parses, 1 when one does not, 2 on a usage error.
// With --json, prints one JSON array of {file, block, line, type, ok, error} on stdout.

import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// mermaid sanitises labels with DOMPurify, which needs a window; jsdom provides one in Node.
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['Element', 'HTMLElement', 'Node', 'DocumentFragment', 'DOMParser', 'NodeFilter']) {
  globalThis[name] ??= dom.window[name];
}

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

/** Yields {block, line, text} for each fenced ```mermaid block (block numbers start at 1). */
export function* mermaidBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  let block = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(\s*)(`{3,}|~{3,})\s*mermaid\s*$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const body = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j].trim().startsWith(fence) && lines[j].trim().replace(/[`~]/g, '') === '')) {
      body.push(lines[j]);
      j += 1;
    }
    block += 1;
    yield { block, line: i + 1, text: body.join('\n') };
    i = j;
  }
}

// mermaid.parse() accepts any text after a gantt task's colon: dates and durations are read only when the
// chart is drawn, and an unknown `after` id silently starts the task today. Compute the tasks as the
// renderer does and reject what it would draw wrongly.
function ganttProblems(db) {
  const tasks = db.getTasks(); // throws "Invalid date:..." like the renderer
  const ids = new Set(tasks.map((task) => task.id));
  const problems = [];
  for (const task of tasks) {
    const name = task.task.trim();
    const refs = [];
    const start = task.raw?.startTime?.startData ?? '';
    if (/^after\s/.test(start)) refs.push(...start.split(/\s+/).slice(1));
    const end = task.raw?.endTime?.data ?? '';
    if (/^until\s/.test(end)) refs.push(...end.split(/\s+/).slice(1));
    for (const ref of refs.filter((id) => id && !ids.has(id))) problems.push(`task "${name}" refers to unknown id "${ref}"`);
    const valid = (date) => date instanceof Date && !Number.isNaN(date.getTime());
    if (!valid(task.startTime) || !valid(task.endTime)) problems.push(`task "${name}" has no valid start or end`);
    else if (!task.milestone && task.endTime <= task.startTime) problems.push(`task "${name}" ends before it starts (bad duration?)`);
  }
  return problems;
}

async function check(text) {
  try {
    const result = await mermaid.parse(text);
    if (!result) return { ok: false, type: null, error: 'not recognised as a diagram' };
    if (result.diagramType === 'gantt') {
      const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
      const problems = ganttProblems(diagram.db);
      if (problems.length) return { ok: false, type: 'gantt', error: problems.join('\n') };
    }
    return { ok: true, type: result.diagramType ?? null, error: null };
  } catch (error) {
    const message = String(error?.message ?? error).split('\n').slice(0, 6).join('\n');
    return { ok: false, type: null, error: message };
  }
}

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const files = args.filter((arg) => arg !== '--json');
if (files.length === 0) {
  process.stderr.write('usage: check-mermaid.mjs [--json] FILE.md...\n');
  process.exit(2);
}

const results = [];
for (const file of files) {
  const markdown = readFileSync(file, 'utf8');
  for (const { block, line, text } of mermaidBlocks(markdown)) {
    results.push({ file, block, line, ...(await check(text)) });
  }
}

const failures = results.filter((result) => !result.ok);
if (asJson) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  for (const r of results) {
    const where = `${r.file} block ${r.block} (line ${r.line})`;
    process.stdout.write(r.ok ? `ok   ${where}: ${r.type}\n` : `FAIL ${where}:\n  ${r.error.replace(/\n/g, '\n  ')}\n`);
  }
  process.stdout.write(`mermaid: ${results.length} blocks checked, ${failures.length} with errors\n`);
}
process.exit(failures.length === 0 ? 0 : 1);
