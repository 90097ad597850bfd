'use strict';
// main: find or install tgctl, then `tgctl connect --wait` with the inputs mapped one to one.
// Secrets reach tgctl through its environment only: TWINGATE_SERVICE_KEY and TWINGATE_API_TOKEN,
// or with `provider: firezone` FIREZONE_TOKEN (the `service-key` input) and FIREZONE_API_TOKEN.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const gha = require('../lib/gha');
const tgctl = require('../lib/tgctl');

/** Reads and checks the inputs; throws UsageError on a combination that cannot work. */
function readInputs(env = process.env) {
  const i = {
    serviceKey: gha.getInput('service-key', env),
    serviceKeyFile: gha.getInput('service-key-file', env),
    apiToken: gha.getInput('api-token', env),
    serviceAccount: gha.getInput('service-account', env),
    brokerUrl: gha.getInput('broker-url', env),
    brokerAudience: gha.getInput('broker-audience', env),
    network: gha.getInput('network', env),
    timeout: gha.getInput('timeout', env),
    resolve: gha.getList('resolve', env),
    probe: gha.getList('probe', env),
    requirePrivate: gha.getBool('require-private', false, env),
    tgctlVersion: gha.getInput('tgctl-version', env),
    clientVersion: gha.getInput('client-version', env),
    install: gha.getInput('install', env) || 'auto',
    clientCache: gha.getInput('client-cache', env) || path.join(env.HOME || os.homedir(), '.cache', 'tgctl', 'twingate-client'),
    dockerDns: gha.getBool('docker-dns', false, env),
    cache: gha.getBool('cache', true, env),
    provider: gha.getInput('provider', env),
    networkMode: gha.getInput('network-mode', env),
  };
  const firezone = isFirezone(i.provider);
  const names = secretNames(i.provider);
  const keySources = [
    i.serviceKey && 'service-key',
    i.serviceKeyFile && 'service-key-file',
    i.serviceAccount && 'service-account',
    i.brokerUrl && 'broker-url',
  ].filter(Boolean);
  if (keySources.length > 1) {
    throw new gha.UsageError(`give only one of service-key, service-key-file, api-token + service-account and broker-url (got ${keySources.join(', ')})`);
  }
  if (i.brokerUrl && firezone) {
    throw new gha.UsageError('broker-url is for Twingate (tgctl-broker mints Twingate service keys)');
  }
  if (i.brokerUrl && !env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    throw new gha.UsageError('broker-url needs the job\'s OIDC token: give the job `permissions: id-token: write`');
  }
  if (i.apiToken && !i.serviceAccount) {
    throw new gha.UsageError('api-token is given without service-account: say which service account to mint this job\'s key for');
  }
  if (i.serviceAccount && !i.apiToken && !env[names.apiToken]) {
    throw new gha.UsageError(
      firezone
        ? 'service-account needs api-token (a Firezone API token, from a secret)'
        : 'service-account needs api-token (an Admin API token with provision access, from a secret)',
    );
  }
  if (i.requirePrivate && i.resolve.length === 0) {
    throw new gha.UsageError('require-private needs resolve: the host names whose addresses must be private');
  }
  if (!['auto', 'never'].includes(i.install)) {
    throw new gha.UsageError(`install must be auto or never, not ${JSON.stringify(i.install)}`);
  }
  if (keySources.length === 0 && !env[names.key]) {
    throw new gha.UsageError(
      firezone
        ? 'no Firezone token: set service-key (the service-account token, from a secret), service-key-file, or api-token + service-account'
        : 'no service key: set service-key (from a secret), service-key-file, or api-token + service-account',
    );
  }
  return i;
}

/**
 * Why this runner cannot connect, or null. The runner says what it is in RUNNER_OS (Linux,
 * Windows, macOS). Twingate publishes no headless client for macOS (its own action refuses
 * macOS too: Twingate/github-action issues #6 and #43), and tgctl supervises the Linux clients.
 */
function platformProblem(env = process.env) {
  const os = env.RUNNER_OS || { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }[process.platform] || process.platform;
  if (os === 'Linux') return null;
  if (os === 'macOS') return 'Twingate has no headless macOS client: run this job on a Linux runner (runs-on: ubuntu-latest)';
  return `tgctl connect supervises the Linux headless clients: run this job on a Linux runner (this one is ${os})`;
}

function isFirezone(provider) {
  return (provider || '').trim().toLowerCase() === 'firezone';
}

/** The environment variables that carry the credential and the API token for a provider. */
function secretNames(provider) {
  return isFirezone(provider)
    ? { key: 'FIREZONE_TOKEN', apiToken: 'FIREZONE_API_TOKEN' }
    : { key: 'TWINGATE_SERVICE_KEY', apiToken: 'TWINGATE_API_TOKEN' };
}

/** The argv of `tgctl connect`: never a secret in it. */
function connectArgs(i, envFile) {
  const args = ['connect', '--wait'];
  if (i.serviceKeyFile) args.push(isFirezone(i.provider) ? '--token-file' : '--service-key-file', i.serviceKeyFile);
  if (i.serviceAccount) args.push('--mint', '--service-account', i.serviceAccount);
  if (i.brokerUrl) {
    args.push('--broker', i.brokerUrl);
    if (i.brokerAudience) args.push('--audience', i.brokerAudience);
  }
  if (i.network) args.push('--network', i.network);
  if (i.timeout) args.push('--timeout', i.timeout);
  for (const host of i.resolve) args.push('--resolve', host);
  if (i.requirePrivate) args.push('--require-private');
  for (const target of i.probe) args.push('--probe', target);
  args.push('--install', i.install);
  if (i.clientVersion) args.push('--client-version', i.clientVersion);
  if (i.dockerDns) args.push('--docker-dns');
  if (i.provider) args.push('--provider', i.provider);
  if (i.networkMode) args.push('--network-mode', i.networkMode);
  if (envFile) args.push('--env-file', envFile);
  return args;
}

/** Variables tgctl exported (proxy settings and the like) go to the steps after this one. */
function exportEnvFile(envFile) {
  if (!envFile || !fs.existsSync(envFile)) return;
  try {
    for (const [name, value] of tgctl.parseEnvFile(fs.readFileSync(envFile, 'utf8'))) {
      gha.exportVariable(name, value);
      console.log(`Exported ${name} to the following steps`);
    }
  } finally {
    fs.rmSync(envFile, { force: true });
  }
}

async function main(env = process.env) {
  let inputs;
  try {
    inputs = readInputs(env);
  } catch (e) {
    gha.error(e.message, { title: 'tgctl connect' });
    process.exitCode = 1;
    return;
  }
  const unsupported = platformProblem(env);
  if (unsupported) {
    gha.error(unsupported, { title: 'tgctl connect' });
    process.exitCode = 1;
    return;
  }
  // Masks first: nothing below may print a secret unmasked.
  const names = secretNames(inputs.provider);
  tgctl.maskServiceKey(inputs.serviceKey || env[names.key]);
  gha.mask(inputs.apiToken || env[names.apiToken]);

  let bin;
  gha.group('Install tgctl');
  try {
    const found = await tgctl.locate({ version: inputs.tgctlVersion, cache: inputs.cache, env, log: (m) => console.log(m) });
    bin = found.path;
    console.log(`tgctl ${found.version || '(unknown version)'} from ${found.source}: ${bin}`);
    if (tgctl.addsToPath(found)) gha.addPath(path.dirname(bin));
  } catch (e) {
    gha.endGroup();
    gha.error(`could not install tgctl: ${e.message}`, { title: 'tgctl connect' });
    process.exitCode = 1;
    return;
  }
  gha.endGroup();

  gha.saveState('tgctl', bin);
  if (inputs.apiToken) gha.saveState('minted', 'true');
  const tmp = env.RUNNER_TEMP || os.tmpdir();
  const envFile = path.join(tmp, `tgctl-connect-${crypto.randomUUID()}.env`);
  const args = connectArgs(inputs, envFile);
  // Saved before starting, so post cleans up whatever happens from here on.
  gha.saveState('connect', 'started');
  console.log(`Running: tgctl ${args.join(' ')}`);
  const childEnv = tgctl.childEnv(
    {
      GITHUB_ACTIONS: env.GITHUB_ACTIONS || 'true',
      [names.key]: inputs.serviceKey,
      [names.apiToken]: inputs.apiToken,
      TGCTL_CLIENT_CACHE: isFirezone(inputs.provider) ? undefined : inputs.clientCache,
    },
    env,
  );
  const { code, error } = await tgctl.run(bin, args, childEnv);
  exportEnvFile(envFile);

  const written = gha.namesIn('GITHUB_OUTPUT', env);
  if (code === 0) {
    if (!written.has('status')) gha.setOutput('status', 'online', env);
    return;
  }
  if (!written.has('status')) gha.setOutput('status', code === 7 ? 'timeout' : 'failed', env);
  const why = error ? `could not run ${bin}: ${error.message}` : `tgctl connect failed (${tgctl.describeExit(code)})`;
  gha.error(`${why}; see the lines above. Cleanup runs in this action's post step.`, { title: 'tgctl connect' });
  process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e) => {
    gha.error(`tgctl connect: ${e && e.message ? e.message : e}`);
    process.exitCode = 1;
  });
}

module.exports = { readInputs, connectArgs, secretNames, platformProblem, main };
