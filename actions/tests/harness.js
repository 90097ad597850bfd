'use strict';
// Runs an action's main and post the way the GitHub runner does: `node <file>` with the inputs
// as INPUT_<NAME> (defaults from action.yml included), fresh GITHUB_OUTPUT, GITHUB_STATE,
// GITHUB_ENV and GITHUB_PATH files, RUNNER_TEMP and RUNNER_TOOL_CACHE; then post with the saved
// state as STATE_<name>, the same inputs, and the same runner directories.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');

const ACTIONS = path.resolve(__dirname, '..');
const FAKE_TGCTL = path.join(__dirname, 'fixtures', 'fake-tgctl');
/** The built tgctl: the stand-in has every command line it gets checked by its parser. */
const BUILT_TGCTL = path.join(process.env.TGCTL_BIN_DIR || path.join(process.env.CARGO_TARGET_DIR || path.resolve(ACTIONS, '..', 'target'), 'debug'), 'tgctl');

/** The defaults of an action.yml's inputs (a small reader for the plain layout we write). */
function inputDefaults(action) {
  const text = fs.readFileSync(path.join(ACTIONS, action, 'action.yml'), 'utf8');
  const block = /^inputs:\n([\s\S]*?)^\S/m.exec(text + '\nend');
  const defaults = {};
  let current = null;
  for (const line of block[1].split('\n')) {
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (name) current = name[1];
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && current) defaults[current] = def[1].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return defaults;
}

/** Parses a file command file (`k=v` lines and `k<<DELIM` heredocs) into an object. */
function parseFileCommand(file) {
  const out = {};
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<\s]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const value = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]);
      out[heredoc[1]] = value.join('\n');
      continue;
    }
    const plain = /^([^=\s]+)=(.*)$/.exec(lines[i]);
    if (plain) out[plain[1]] = plain[2];
  }
  return out;
}

/** A runner: directories shared by the steps of one job. */
function newRunner(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tgctl-action-test-'));
  const dirs = { root, temp: path.join(root, 'temp'), toolCache: path.join(root, 'tool-cache'), log: path.join(root, 'fake-log') };
  for (const d of [dirs.temp, dirs.toolCache, dirs.log]) fs.mkdirSync(d, { recursive: true });
  if (t) t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  return dirs;
}

let stepCounter = 0;

/**
 * Runs `node actions/<action>/<entry>` as one step. `inputs` are by input name; `env` is added to
 * a clean environment (PATH, HOME, the runner variables).
 */
function runStep(runner, action, entry, { inputs = {}, env = {}, state = {}, timeoutMs = 120000 } = {}) {
  const n = ++stepCounter;
  const files = {};
  for (const f of ['output', 'state', 'env', 'path']) {
    files[f] = path.join(runner.root, `${f}-${n}`);
    fs.writeFileSync(files[f], '');
  }
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || runner.root,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: runner.temp,
    RUNNER_TOOL_CACHE: runner.toolCache,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    FAKE_TGCTL_LOG: runner.log,
    ...(fs.existsSync(BUILT_TGCTL) ? { TGCTL_PARSER_BIN: BUILT_TGCTL } : {}),
    ...env,
  };
  for (const [k, v] of Object.entries({ ...inputDefaults(action), ...inputs })) {
    childEnv[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  }
  for (const [k, v] of Object.entries(state)) childEnv[`STATE_${k}`] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ACTIONS, action, entry)], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${action}/${entry} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        log: stdout + stderr,
        outputs: parseFileCommand(files.output),
        state: parseFileCommand(files.state),
        env: parseFileCommand(files.env),
        path: fs.readFileSync(files.path, 'utf8').split('\n').filter(Boolean),
      });
    });
  });
}

/** main, then post with main's state: what the runner does for an action with `post:`. */
async function runMainAndPost(runner, action, opts = {}) {
  const main = await runStep(runner, action, 'main.js', opts);
  const post = await runStep(runner, action, 'post.js', { ...opts, ...(opts.postOpts || {}), state: main.state });
  return { main, post };
}

/**
 * The runner hides `::add-mask::` lines and masks what they register. Anything else that
 * shows the secret would reach the job log: fail.
 */
function assertNoSecret(log, secret, what = 'the log') {
  for (const line of log.split('\n')) {
    if (line.startsWith('::add-mask::')) continue;
    assert.ok(!line.includes(secret), `${what} shows the secret: ${line.slice(0, 200)}`);
  }
}

/** Whether `secret` (or each of its lines) was registered with ::add-mask::. */
function masked(log, secret) {
  const masks = new Set(log.split('\n').filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length)));
  return masks.has(secret.trim());
}

function calls(runner) {
  const f = path.join(runner.log, 'calls');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

function childEnvSeen(runner, verb) {
  return parseFileCommand(path.join(runner.log, `env-${verb}`));
}

module.exports = {
  ACTIONS,
  FAKE_TGCTL,
  inputDefaults,
  parseFileCommand,
  newRunner,
  runStep,
  runMainAndPost,
  assertNoSecret,
  masked,
  calls,
  childEnvSeen,
};
