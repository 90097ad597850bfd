'use strict';
// The few pieces of the GitHub Actions runner protocol the tgctl actions need, without
// @actions/core: inputs from INPUT_* variables, workflow commands on stdout (::add-mask::,
// ::error::, ::warning::, ::group::), and the file commands GITHUB_OUTPUT, GITHUB_STATE and
// GITHUB_ENV (heredoc form, with a random delimiter, as @actions/core writes them).

const fs = require('node:fs');
const crypto = require('node:crypto');

/** The value of input `name` (as the runner passes it: INPUT_<NAME>, spaces as underscores). */
function getInput(name, env = process.env) {
  const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  return (value || '').trim();
}

/** A multi-line input as a list: one item a line (commas also separate), blanks and # comments dropped. */
function getList(name, env = process.env) {
  return getInput(name, env)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

/** A boolean input: true/false (YAML 1.2 core schema spellings); `fallback` when empty. */
function getBool(name, fallback, env = process.env) {
  const raw = getInput(name, env);
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new UsageError(`input ${name} must be true or false, not ${JSON.stringify(raw)}`);
}

class UsageError extends Error {}

function escapeData(s) {
  return String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s) {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Writes a workflow command (`::name key=value::message`) on stdout. */
function command(name, message = '', props = {}, out = process.stdout) {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  out.write(`::${name}${p ? ' ' + p : ''}::${escapeData(message)}\n`);
}

/**
 * Masks a secret in the job log: the whole value, and each of its lines (the runner masks a
 * multi-line value only line by line), before anything could print it.
 */
function mask(secret, out = process.stdout) {
  if (!secret) return;
  const seen = new Set();
  const add = (v) => {
    v = v.trim();
    if (v.length < 4 || seen.has(v)) return;
    seen.add(v);
    command('add-mask', v, {}, out);
  };
  add(secret);
  for (const line of String(secret).split(/\r?\n|\\n/)) add(line);
}

const error = (msg, props) => command('error', msg, props);
const warning = (msg, props) => command('warning', msg, props);
const notice = (msg, props) => command('notice', msg, props);
const group = (title) => command('group', title);
const endGroup = () => command('endgroup');

/** Appends `name=value` to a file command (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV). */
function appendFileCommand(variable, name, value, env = process.env) {
  const file = env[variable];
  value = String(value);
  if (!file) {
    // Outside a runner (or a very old one): nothing to write to.
    return false;
  }
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`unexpected delimiter in ${variable} value`);
  }
  fs.appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`, { encoding: 'utf8' });
  return true;
}

const setOutput = (name, value, env) => appendFileCommand('GITHUB_OUTPUT', name, value, env);
const saveState = (name, value, env) => appendFileCommand('GITHUB_STATE', name, value, env);
const exportVariable = (name, value, env) => appendFileCommand('GITHUB_ENV', name, value, env);

/** Puts a directory on PATH for the steps after this one (GITHUB_PATH). */
function addPath(dir, env = process.env) {
  if (!env.GITHUB_PATH) return false;
  fs.appendFileSync(env.GITHUB_PATH, `${dir}\n`, { encoding: 'utf8' });
  return true;
}

/** What the main step saved with saveState, as the runner hands it to post: STATE_<name>. */
function getState(name, env = process.env) {
  return env[`STATE_${name}`] || '';
}

/** Reads the names already written to a file command (both `k=v` and `k<<DELIM` forms). */
function namesIn(variable, env = process.env) {
  const file = env[variable];
  const names = new Set();
  if (!file || !fs.existsSync(file)) return names;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<\s]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      names.add(heredoc[1]);
      while (i + 1 < lines.length && lines[i + 1] !== heredoc[2]) i++;
      i++;
      continue;
    }
    const plain = /^([^=\s]+)=/.exec(lines[i]);
    if (plain) names.add(plain[1]);
  }
  return names;
}

module.exports = {
  UsageError,
  getInput,
  getList,
  getBool,
  command,
  mask,
  error,
  warning,
  notice,
  group,
  endGroup,
  escapeData,
  escapeProperty,
  appendFileCommand,
  setOutput,
  saveState,
  exportVariable,
  addPath,
  getState,
  namesIn,
};
