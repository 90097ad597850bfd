'use strict';
// post: `tgctl disconnect`, after success, failure or cancellation of the job. Best effort: every
// problem is a warning, never a failed job. tgctl's own state file says what connect did.

const gha = require('../lib/gha');
const tgctl = require('../lib/tgctl');

/** The argv of `tgctl disconnect`: never a secret in it. */
function disconnectArgs(env = process.env) {
  const args = ['disconnect'];
  const network = gha.getInput('network', env);
  if (network) args.push('--network', network);
  return args;
}

async function post(env = process.env) {
  try {
    if (gha.getState('connect', env) !== 'started') {
      console.log('tgctl connect did not start in this job; nothing to disconnect.');
      return;
    }
    const bin = gha.getState('tgctl', env) || env.TGCTL_BIN || tgctl.which('tgctl', env);
    if (!bin) {
      gha.warning('tgctl disconnect: tgctl is not found; the connection could not be cleaned up');
      return;
    }
    const apiToken = gha.getInput('api-token', env);
    gha.mask(apiToken);
    const args = disconnectArgs(env);
    console.log(`Running: tgctl ${args.join(' ')}`);
    // Firezone: the API token deletes the minted token and this job's client record.
    const firezone = (gha.getInput('provider', env) || '').trim().toLowerCase() === 'firezone';
    const tokenVar = firezone ? 'FIREZONE_API_TOKEN' : 'TWINGATE_API_TOKEN';
    const childEnv = tgctl.childEnv({ GITHUB_ACTIONS: env.GITHUB_ACTIONS || 'true', [tokenVar]: apiToken }, env);
    const { code, error } = await tgctl.run(bin, args, childEnv);
    if (error) {
      gha.warning(`tgctl disconnect could not run: ${error.message}`);
    } else if (code !== 0) {
      gha.warning(`tgctl disconnect failed (${tgctl.describeExit(code)}); see the lines above`);
    }
  } catch (e) {
    gha.warning(`tgctl disconnect: ${e && e.message ? e.message : e}`);
  } finally {
    // Cleanup never fails the job.
    process.exitCode = 0;
  }
}

if (require.main === module) post();

module.exports = { post, disconnectArgs };
