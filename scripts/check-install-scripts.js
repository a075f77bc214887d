#!/usr/bin/env node
/*
 * Checks the install-script policy before anything is installed: every package in package-lock.json that has an
 * install script (preinstall/install/postinstall) must be named in package.json "allowScripts", as true (runs) or
 * false (never runs). A pinned entry ("name@version") covers only that version, and — as in npm — only when the lockfile
 * records the package's resolved URL (npm cannot verify a pin without it). Exits 1 listing what is not covered.
 *
 *   node scripts/check-install-scripts.js [ROOT]            check (used by setup.sh)
 *   node scripts/check-install-scripts.js --allowed [ROOT]  print the allowed package names, one per line
 */
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const listAllowed = args[0] === '--allowed';
const root = path.resolve(
  args[listAllowed ? 1 : 0] ?? path.join(__dirname, '..'),
);
const pkg = JSON.parse(
  fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
);
const lock = JSON.parse(
  fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'),
);
const policy = pkg.allowScripts ?? {};

function decision(name, entry) {
  const pinned = `${name}@${entry.version}`;
  if (entry.resolved && Object.hasOwn(policy, pinned)) return policy[pinned];
  if (Object.hasOwn(policy, name)) return policy[name];
  return undefined;
}

const uncovered = [];
const allowed = new Set();
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  if (!entry.hasInstallScript || !where.includes('node_modules/')) continue;
  const name = where.slice(
    where.lastIndexOf('node_modules/') + 'node_modules/'.length,
  );
  const d = decision(name, entry);
  if (d === true) allowed.add(name);
  else if (d !== false)
    uncovered.push(
      `${name}@${entry.version}${entry.optional ? ' (optional)' : ''}`,
    );
}

if (listAllowed) {
  for (const name of [...allowed].sort()) console.log(name);
} else if (uncovered.length > 0) {
  console.error(
    `[setup] ${uncovered.length} package(s) in package-lock.json have install scripts that package.json "allowScripts" does not cover:\n` +
      uncovered.map(u => `  ${u}`).join('\n') +
      '\nReview each script (node_modules/<name>/package.json "scripts"), then add "<name>@<version>": true to let it run,\n' +
      'or "<name>": false to skip it (npm approve-scripts / npm deny-scripts do the same).',
  );
  process.exit(1);
}
