// The frontend's direct dependencies whose registry `latest` is newer than what is installed,
// including majors `npm outdated` leaves out because they need a newer Node than this machine's.
// Usage: node scripts/npm_latest.mjs frontend
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? 'frontend';
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort();
const rows = [];
for (const name of names) {
  let installed = '-';
  try {
    installed = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    // not installed: shown as "-"
  }
  let latest;
  let engines = '';
  try {
    const info = JSON.parse(execFileSync('npm', ['view', name, 'version', 'engines.node', '--json'], { encoding: 'utf8' }));
    latest = typeof info === 'string' ? info : info.version;
    engines = typeof info === 'object' && info['engines.node'] ? `node ${info['engines.node']}` : '';
  } catch {
    latest = '?';
  }
  if (latest !== installed) rows.push([name, installed, latest, engines]);
}
if (rows.length === 0) console.log('every direct dependency is at its latest release');
for (const [name, installed, latest, engines] of rows) {
  console.log(`${name.padEnd(34)} ${installed.padEnd(12)} ${latest.padEnd(12)} ${engines}`);
}
