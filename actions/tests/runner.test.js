'use strict';
// The actions run as the runner runs them (node main.js / post.js with INPUT_*, file commands
// and STATE_*), against a stand-in tgctl that records its argv and environment. The real tgctl
// is exercised in e2e.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const CANARY_KEY = JSON.stringify({
  version: '1',
  network: 'acme.twingate.com',
  service_account_id: 'c0ffee00-0000-4000-8000-000000000001',
  private_key: '-----BEGIN PRIVATE KEY-----\nCANARYPRIVATEKEYLINE0123456789\n-----END PRIVATE KEY-----',
  key_id: 'c0ffee00-0000-4000-8000-000000000002',
  expires_at: '2030-01-01T00:00:00+00:00',
  login_path: '/api/v4/headless/login',
});
const CANARY_TOKEN = 'tgcanary-api-token-5f1e2d3c4b5a';
const fake = { TGCTL_BIN: h.FAKE_TGCTL };

test('connect: tgctl connect --wait gets the key in its environment; outputs, state, env for later steps', async (t) => {
  const r = h.newRunner(t);
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'service-key': CANARY_KEY, resolve: 'db.internal\nweb.internal', probe: 'db.internal:5432' },
    env: fake,
  });
  assert.equal(main.code, 0, main.log);
  // Which flags the inputs become is proved against tgctl's own parser (scripts/lib/argv-check.py).
  assert.deepEqual(h.calls(r).map((c) => c.split(' ')[0]), ['connect', 'disconnect']);
  assert.equal(h.childEnvSeen(r, 'connect').TWINGATE_SERVICE_KEY, CANARY_KEY);
  assert.equal(h.childEnvSeen(r, 'connect').GITHUB_ACTIONS, 'true');
  assert.equal(h.childEnvSeen(r, 'connect').INPUT_VARS, '0', 'INPUT_* copies of secrets are not passed on');
  assert.deepEqual(main.outputs, { status: 'online', 'elapsed-ms': '1234', 'key-id': 'U2VydmljZUFjY291bnRLZXk6ZmFrZQ==' });
  assert.equal(main.state.connect, 'started');
  assert.equal(main.state.tgctl, h.FAKE_TGCTL);
  assert.deepEqual(main.env, { HTTPS_PROXY: 'http://127.0.0.1:3128', NO_PROXY: 'localhost' });
  assert.deepEqual(fs.readdirSync(r.temp).filter((f) => f.endsWith('.env')), [], 'the env file is removed');

  assert.equal(post.code, 0, post.log);
  for (const [what, log] of [['main', main.log], ['post', post.log]]) {
    h.assertNoSecret(log, 'CANARYPRIVATEKEYLINE0123456789', what);
    h.assertNoSecret(log, CANARY_KEY, what);
  }
  assert.ok(h.masked(main.log, CANARY_KEY), 'the key is masked');
  assert.ok(h.masked(main.log, 'CANARYPRIVATEKEYLINE0123456789'), 'each line of the private key is masked');
  assert.ok(h.masked(main.log, Buffer.from(CANARY_KEY).toString('base64')), 'its base64 form is masked');
});

test('connect: a base64 key is masked in both forms', async (t) => {
  const r = h.newRunner(t);
  const b64 = Buffer.from(CANARY_KEY).toString('base64');
  const main = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': b64 }, env: fake });
  assert.equal(main.code, 0, main.log);
  assert.equal(h.childEnvSeen(r, 'connect').TWINGATE_SERVICE_KEY, b64);
  assert.ok(h.masked(main.log, b64) && h.masked(main.log, CANARY_KEY) && h.masked(main.log, 'CANARYPRIVATEKEYLINE0123456789'));
});

test('connect: a minted key: the API token goes to connect and to disconnect, in the environment', async (t) => {
  const r = h.newRunner(t);
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'api-token': CANARY_TOKEN, 'service-account': 'ci-deployer', network: 'acme', timeout: '45s', 'network-mode': 'proxy' },
    env: fake,
  });
  assert.equal(main.code, 0, main.log);
  assert.equal(post.code, 0, post.log);
  assert.deepEqual(h.calls(r).map((c) => c.split(' ')[0]), ['connect', 'disconnect']);
  assert.equal(h.childEnvSeen(r, 'connect').TWINGATE_API_TOKEN, CANARY_TOKEN);
  assert.equal(h.childEnvSeen(r, 'disconnect').TWINGATE_API_TOKEN, CANARY_TOKEN, 'disconnect can revoke the minted key');
  assert.equal(h.childEnvSeen(r, 'connect').TWINGATE_SERVICE_KEY, '');
  h.assertNoSecret(main.log + post.log, CANARY_TOKEN);
  assert.ok(h.masked(main.log, CANARY_TOKEN));
});

test('connect: a failed connect fails the step with the reason, and post still disconnects', async (t) => {
  const r = h.newRunner(t);
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'service-key': CANARY_KEY },
    env: { ...fake, FAKE_TGCTL_EXIT: '7', FAKE_TGCTL_NO_OUTPUTS: '1' },
  });
  assert.equal(main.code, 1);
  assert.match(main.stdout, /^::error title=tgctl connect::tgctl connect failed \(exit code 7: timed out waiting for the connection\)/m);
  assert.equal(main.outputs.status, 'timeout', 'status is set even when tgctl could not');
  assert.equal(post.code, 0, post.log);
  assert.deepEqual(h.calls(r).map((c) => c.split(' ')[0]), ['connect', 'disconnect']);
  h.assertNoSecret(main.log + post.log, 'CANARYPRIVATEKEYLINE0123456789');
});

test('connect: bad inputs fail main before tgctl runs; post then has nothing to undo', async (t) => {
  const r = h.newRunner(t);
  const { main, post } = await h.runMainAndPost(r, 'connect', { inputs: { 'api-token': CANARY_TOKEN }, env: fake });
  assert.equal(main.code, 1);
  assert.match(main.stdout, /::error title=tgctl connect::api-token is given without service-account/);
  assert.equal(post.code, 0);
  assert.match(post.log, /nothing to disconnect/);
  assert.deepEqual(h.calls(r), []);
  h.assertNoSecret(main.log + post.log, CANARY_TOKEN);
});

test('post never fails the job, even when disconnect fails or tgctl is gone', async (t) => {
  const r = h.newRunner(t);
  const failing = await h.runStep(r, 'connect', 'post.js', {
    inputs: { 'service-key': CANARY_KEY },
    env: { ...fake, FAKE_TGCTL_DISCONNECT_EXIT: '8' },
    state: { connect: 'started', tgctl: h.FAKE_TGCTL },
  });
  assert.equal(failing.code, 0);
  assert.match(failing.stdout, /^::warning::tgctl disconnect failed \(exit code 8/m);
  const gone = await h.runStep(r, 'connect', 'post.js', {
    inputs: { 'service-key': CANARY_KEY },
    state: { connect: 'started', tgctl: path.join(r.root, 'no-such-tgctl') },
  });
  assert.equal(gone.code, 0);
  assert.match(gone.stdout, /^::warning::tgctl disconnect could not run/m);
});

test('service-key: create writes the key to a file, masks it and outputs its id', async (t) => {
  const r = h.newRunner(t);
  const keyFile = path.join(r.root, 'key.json');
  const res = await h.runStep(r, 'service-key', 'main.js', {
    inputs: { command: 'create', 'api-token': CANARY_TOKEN, 'service-account': 'ci', 'key-file': keyFile, 'expires-in-days': '1' },
    env: { ...fake, FAKE_TGCTL_NEW_KEY: CANARY_KEY },
  });
  assert.equal(res.code, 0, res.log);
  assert.deepEqual(h.calls(r).map((c) => c.split(' ').slice(0, 2).join(' ')), ['service-key create']);
  assert.equal(fs.readFileSync(keyFile, 'utf8').trim(), CANARY_KEY);
  assert.deepEqual(res.outputs, { 'key-id': 'U2VydmljZUFjY291bnRLZXk6bmV3', 'key-name': 'new-key', 'key-file': keyFile, 'expires-at': '2027-01-01T00:00:00Z' });
  assert.ok(h.masked(res.log, CANARY_KEY) && h.masked(res.log, CANARY_TOKEN));
  h.assertNoSecret(res.log, CANARY_TOKEN);
  h.assertNoSecret(res.log, 'CANARYPRIVATEKEYLINE0123456789');
  assert.equal(h.childEnvSeen(r, 'service-key-create').TWINGATE_API_TOKEN, CANARY_TOKEN);
});

test('service-key: a default key file lands in RUNNER_TEMP; revoke outputs the revoked id', async (t) => {
  const r = h.newRunner(t);
  const created = await h.runStep(r, 'service-key', 'main.js', {
    inputs: { command: 'rotate', 'api-token': CANARY_TOKEN, key: 'nightly', delete: 'true' },
    env: fake,
  });
  assert.equal(created.code, 0, created.log);
  assert.ok(created.outputs['key-file'].startsWith(r.temp + path.sep), created.outputs['key-file']);
  const revoked = await h.runStep(r, 'service-key', 'main.js', { inputs: { command: 'revoke', key: 'old-key' }, env: { ...fake, TWINGATE_API_TOKEN: CANARY_TOKEN } });
  assert.equal(revoked.code, 0, revoked.log);
  assert.equal(revoked.outputs['key-id'], 'U2VydmljZUFjY291bnRLZXk6b2xk');
  assert.equal(revoked.outputs['key-file'], '');
  h.assertNoSecret(revoked.log, CANARY_TOKEN);
});

test('connect: a macOS or Windows runner is told to use a Linux runner, before anything is installed', async (t) => {
  const r = h.newRunner(t);
  const mac = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k' }, env: { ...fake, RUNNER_OS: 'macOS' } });
  assert.equal(mac.code, 1, mac.log);
  assert.match(mac.log, /::error title=tgctl connect::Twingate has no headless macOS client: run this job on a Linux runner/);
  const win = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k' }, env: { ...fake, RUNNER_OS: 'Windows' } });
  assert.equal(win.code, 1, win.log);
  assert.match(win.log, /run this job on a Linux runner \(this one is Windows\)/);
  assert.deepEqual(h.calls(r), []);
  const post = await h.runStep(r, 'connect', 'post.js', { inputs: { 'service-key': 'k' }, env: { ...fake, RUNNER_OS: 'macOS' }, state: mac.state });
  assert.equal(post.code, 0, post.log);
  assert.match(post.log, /nothing to disconnect/);
});
