#!/usr/bin/env node
// Every workspace declares what it imports: runtime code's imports in `dependencies`, its ./testing modules' in
// `dependencies` or `peerDependencies`, tests' and build files' in any of its dependency lists. Packages hoisted
// to the root node_modules resolve whether declared or not, so only this check (with knip for the other
// direction: nothing declared that is not used) keeps the manifests true. Exits 1 listing each gap.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
const BUILTIN = new Set(builtinModules);

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (/\.(ts|mts|mjs|js|cjs|vue)$/.test(name)) yield path;
  }
}

/** Package names a file imports (comments stripped, relative and built-in modules left out). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const names = new Set();
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    if (!BUILTIN.has(name)) names.add(name);
  }
  return names;
}

/** `test` (tests, fixtures, build config), `testing` (a package's ./testing modules) or `runtime`. */
function roleOf(file) {
  if (/\.test\.ts$|\/test-fixtures\/|vite\.config\.ts$|\.int\.test\.ts$/.test(file)) return 'test';
  if (file.includes('/src/testing/')) return 'testing';
  return 'runtime';
}

const workspaces = rootManifest.workspaces.flatMap((pattern) =>
  pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`) : [pattern],
);
const problems = [];
for (const ws of workspaces) {
  const manifestPath = join(root, ws, 'package.json');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    continue; // not a package (a stray folder)
  }
  const allowed = {
    runtime: new Set(Object.keys(manifest.dependencies ?? {})),
    testing: new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]),
    test: new Set(['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(manifest[k] ?? {}))),
  };
  for (const field of ['license', 'engines']) if (!manifest[field]) problems.push(`${ws}/package.json: no "${field}"`);
  for (const file of sources(join(root, ws))) {
    const role = ws === 'test/support' ? 'runtime' : roleOf(file);
    for (const name of importsOf(file)) {
      if (name === manifest.name || allowed[role].has(name)) continue;
      const list = role === 'runtime' ? 'dependencies' : role === 'testing' ? 'dependencies or peerDependencies' : 'devDependencies';
      problems.push(`${relative(root, file)}: imports "${name}", not in ${ws}/package.json ${list}`);
    }
  }
}
if (problems.length) {
  console.error(`check-manifests: ${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`check-manifests: ${workspaces.length} workspaces declare what they import`);
