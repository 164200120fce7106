#!/usr/bin/env node
// Keeps the layers apart (shared/docs/architecture.md): code under packages/* and apps/* never reaches into
// test/ or into another package's files by path, and nothing reaches into a package's src/ from outside it:
// packages are used through their package name and exports ("@rowcast/x", "@rowcast/x/testing").
// Prints each violation as file:line and exits 1 when there is one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.rowcast', 'results']);
const SOURCE = /\.(ts|mts|mjs|js|cjs|vue)$/;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (SOURCE.test(name)) yield path;
  }
}

/** `packages/x` or `apps/x` for a path in one, else the top folder (`test`, `bench`, `scripts`). */
function unitOf(path) {
  const parts = relative(root, path).split(sep);
  return parts[0] === 'packages' || parts[0] === 'apps' ? `${parts[0]}/${parts[1]}` : parts[0];
}

const problems = [];
for (const top of ['packages', 'apps', 'test', 'bench', 'scripts']) {
  for (const file of files(join(root, top))) {
    const unit = unitOf(file);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const [, spec] of line.matchAll(SPECIFIER)) {
        const where = `${relative(root, file)}:${i + 1}`;
        if (/^@rowcast\/[^/]+\/src(\/|$)/.test(spec)) problems.push(`${where}: "${spec}" reaches into a package's src/; import its exports`);
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const targetUnit = unitOf(target);
        if (targetUnit === unit) continue;
        if (targetUnit === 'test' && (unit.startsWith('packages/') || unit.startsWith('apps/'))) {
          problems.push(`${where}: "${spec}" imports test/ from ${unit}; use @rowcast/test-support`);
        } else if (targetUnit.startsWith('packages/') || targetUnit.startsWith('apps/')) {
          problems.push(`${where}: "${spec}" reaches into ${targetUnit} by path; import it by package name`);
        }
      }
    });
  }
}
if (problems.length) {
  console.error(`check-imports: ${problems.length} import(s) across layers:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check-imports: no import crosses a package boundary by path');
