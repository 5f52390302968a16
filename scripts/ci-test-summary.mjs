// Reads vitest's JSON report (and its log) after a failed `npm test`; prints every
// failed test and every test left running when its worker died, to stderr. Prints
// to stdout the files to run again, only when a dead worker is the sole failure.
// Exit 1 when the report is missing or unreadable.
import * as fs from 'node:fs';
import * as path from 'node:path';

const [reportPath, logPath] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
} catch (err) {
  console.error(`no vitest JSON report at ${reportPath}: ${err.message}`);
  process.exit(1);
}
const log = logPath && fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
const rel = (f) => path.relative(process.cwd(), f);
const failed = [];
const crashedFiles = new Set();
for (const file of report.testResults) {
  if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed')) {
    failed.push(`${rel(file.name)}: ${(file.message || 'failed').split('\n')[0]}`);
  }
  for (const a of file.assertionResults) {
    if (a.status === 'failed') failed.push(`${rel(file.name)} > ${a.fullName}: ${(a.failureMessages[0] || '').split('\n')[0]}`);
    if (a.status === 'pending' && file.status === 'passed') crashedFiles.add(rel(file.name));
  }
}
const workerDied = /Worker exited unexpectedly/.test(log);
for (const f of failed) console.error(`FAILED ${f}`);
for (const f of crashedFiles) console.error(`LEFT RUNNING when a worker ${workerDied ? 'died' : 'stopped'}: ${f}`);
if (failed.length === 0 && crashedFiles.size === 0) console.error('no failed test in the report: see the errors above');
if (failed.length === 0 && workerDied && crashedFiles.size > 0) console.log([...crashedFiles].join(' '));
