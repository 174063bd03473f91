'use strict';
// Starts the real server with the demo data (tests/interop/run_demo_server.py:
// a new SQLite database, migrated and seeded, on a free port) and stops it.

const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO_ROOT } = require('./contract');

const PYTHON = process.env.PYTHON || path.join(REPO_ROOT, '.venv', 'bin', 'python');
const SCRIPT = path.join(REPO_ROOT, 'tests', 'interop', 'run_demo_server.py');
const START_LIMIT_MS = 60_000;

// Resolves to { address, stop } once the server prints `listening on HOST:PORT`.
function startDemoServer() {
  const child = spawn(PYTHON, [SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    // The server stops when its stdin closes, so it never outlives this process.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));

  async function stop() {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (why) => {
      child.kill('SIGKILL');
      reject(new Error(`${why}\n--- server stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail('the demo server did not start'), START_LIMIT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(`cannot run ${PYTHON}: ${error.message} (run \`make install\`)`);
    });
    const onEarlyExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited with ${code}\n--- server stderr ---\n${stderr}`));
    };
    child.once('exit', onEarlyExit);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const found = /listening on (\S+)/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({ address: found[1], stop });
      }
    });
  });
}

module.exports = { startDemoServer };
