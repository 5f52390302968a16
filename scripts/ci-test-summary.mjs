// Reads vitest's JSON report (and its log) after a failed `npm test`; prints every
// failed test and every test left running when its worker died, to stderr. Prints
// to stdout the files to run once more: those of the failed and crashed tests, when
// they are at most MAX_RETRY_FILES files (as Apache Kafka's build retries a failed
// test once unless too many failed: many failures are a defect, not a flake).
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
const MAX_RETRY_FILES = 2;
const failed = [];
const failedFiles = new Set();
const crashedFiles = new Set();
for (const file of report.testResults) {
  if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed')) {
    failed.push(`${rel(file.name)}: ${(file.message || 'failed').split('\n')[0]}`);
    failedFiles.add(rel(file.name));
  }
  for (const a of file.assertionResults) {
    if (a.status === 'failed') {
      failed.push(`${rel(file.name)} > ${a.fullName}: ${(a.failureMessages[0] || '').split('\n')[0]}`);
      failedFiles.add(rel(file.name));
    }
    if (a.status === 'pending' && file.status === 'passed') crashedFiles.add(rel(file.name));
  }
}
const workerDied = /Worker exited unexpectedly/.test(log);
for (const f of failed) console.error(`FAILED ${f}`);
for (const f of crashedFiles) console.error(`LEFT RUNNING when a worker ${workerDied ? 'died' : 'stopped'}: ${f}`);
if (failed.length === 0 && crashedFiles.size === 0) console.error('no failed test in the report: see the errors above');
const again = new Set([...failedFiles, ...crashedFiles]);
if (again.size > MAX_RETRY_FILES) console.error(`${again.size} files failed: more than ${MAX_RETRY_FILES}, none is run again`);
else if (again.size > 0) console.log([...again].join(' '));
