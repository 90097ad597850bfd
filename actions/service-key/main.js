'use strict';
// create | rotate | revoke a service key with tgctl. The API token reaches tgctl through its
// environment; a new key goes straight into a 0600 file (tgctl writes it) and is masked.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const gha = require('../lib/gha');
const tgctl = require('../lib/tgctl');

const COMMANDS = ['create', 'rotate', 'revoke'];

function readInputs(env = process.env) {
  const i = {
    command: gha.getInput('command', env),
    apiToken: gha.getInput('api-token', env),
    network: gha.getInput('network', env),
    serviceAccount: gha.getInput('service-account', env),
    key: gha.getInput('key', env),
    name: gha.getInput('name', env),
    expiresInDays: gha.getInput('expires-in-days', env),
    keyFile: gha.getInput('key-file', env),
    delete: gha.getBool('delete', false, env),
    tgctlVersion: gha.getInput('tgctl-version', env),
    cache: gha.getBool('cache', true, env),
  };
  if (!COMMANDS.includes(i.command)) {
    throw new gha.UsageError(`command must be one of ${COMMANDS.join(', ')}, not ${JSON.stringify(i.command)}`);
  }
  if (!i.apiToken && !env.TWINGATE_API_TOKEN) {
    throw new gha.UsageError('api-token is required (an Admin API token with provision access, from a secret)');
  }
  if (i.command === 'create' && !i.serviceAccount) throw new gha.UsageError('create needs service-account');
  if (i.command !== 'create' && !i.key) throw new gha.UsageError(`${i.command} needs key (the key's ID or name)`);
  if (i.command === 'revoke' && (i.name || i.expiresInDays || i.keyFile)) {
    throw new gha.UsageError('revoke takes no name, expires-in-days or key-file');
  }
  return i;
}

/** The argv of the tgctl command: never a secret in it. */
function serviceKeyArgs(i, keyFile) {
  const args = ['service-key'];
  if (i.command === 'create') {
    args.push('create', '--service-account', i.serviceAccount);
  } else if (i.command === 'rotate') {
    args.push('rotate', i.key);
    if (i.serviceAccount) args.push('--service-account', i.serviceAccount);
    if (i.delete) args.push('--delete-old');
  } else if (i.delete) {
    args.push('delete', i.key, '--revoke');
    if (i.serviceAccount) args.push('--service-account', i.serviceAccount);
  } else {
    args.push('revoke', i.key);
    if (i.serviceAccount) args.push('--service-account', i.serviceAccount);
  }
  if (i.command !== 'revoke') {
    if (i.name) args.push('--name', i.name);
    if (i.expiresInDays) args.push('--expires-in-days', i.expiresInDays);
    args.push('--key-file', keyFile, '--force');
  }
  if (i.network) args.push('--network', i.network);
  args.push('--yes', '-o', 'json');
  return args;
}

async function main(env = process.env) {
  let i;
  try {
    i = readInputs(env);
  } catch (e) {
    gha.error(e.message, { title: 'tgctl service-key' });
    process.exitCode = 1;
    return;
  }
  gha.mask(i.apiToken || env.TWINGATE_API_TOKEN);
  let bin;
  try {
    const found = await tgctl.locate({ version: i.tgctlVersion, cache: i.cache, env, log: (m) => console.log(m) });
    bin = found.path;
    console.log(`tgctl ${found.version || '(unknown version)'} from ${found.source}: ${bin}`);
    if (tgctl.addsToPath(found)) gha.addPath(path.dirname(bin));
  } catch (e) {
    gha.error(`could not install tgctl: ${e.message}`, { title: 'tgctl service-key' });
    process.exitCode = 1;
    return;
  }

  let keyFile = '';
  if (i.command !== 'revoke') {
    keyFile = path.resolve(i.keyFile || path.join(env.RUNNER_TEMP || os.tmpdir(), `tgctl-service-key-${crypto.randomUUID()}.json`));
  }
  const args = serviceKeyArgs(i, keyFile);
  console.log(`Running: tgctl ${args.join(' ')}`);
  const childEnv = tgctl.childEnv({ GITHUB_ACTIONS: env.GITHUB_ACTIONS || 'true', TWINGATE_API_TOKEN: i.apiToken }, env);
  const { code, stdout, error } = await tgctl.run(bin, args, childEnv, { stdout: 'pipe' });
  if (keyFile && fs.existsSync(keyFile)) tgctl.maskServiceKey(fs.readFileSync(keyFile, 'utf8'));
  if (error || code !== 0) {
    const why = error ? `could not run ${bin}: ${error.message}` : tgctl.describeExit(code);
    gha.error(`tgctl service-key ${i.command} failed (${why}); see the lines above`, { title: 'tgctl service-key' });
    process.exitCode = 1;
    return;
  }
  let key = {};
  try {
    // `delete` prints a small object; create, rotate and revoke print the key.
    key = JSON.parse(stdout.trim() || '{}');
  } catch {
    gha.warning('tgctl printed something that is not JSON; outputs key-id and key-name are left empty');
  }
  gha.setOutput('key-id', key.id || '', env);
  gha.setOutput('key-name', key.name || '', env);
  gha.setOutput('key-file', keyFile, env);
  gha.setOutput('expires-at', key.expiresAt || '', env);
  const verb = { create: 'Created', rotate: 'Rotated to', revoke: i.delete ? 'Revoked and deleted' : 'Revoked' }[i.command];
  console.log(`${verb} service key ${key.name ? JSON.stringify(key.name) + ' ' : ''}${key.id || ''}${keyFile ? ` (written to ${keyFile})` : ''}`);
}

if (require.main === module) {
  main().catch((e) => {
    gha.error(`tgctl service-key: ${e && e.message ? e.message : e}`);
    process.exitCode = 1;
  });
}

module.exports = { readInputs, serviceKeyArgs, main };
