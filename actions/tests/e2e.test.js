'use strict';
// The connect action with the real tgctl: main connects through the simulated client to the
// Admin API emulator, outputs are written, post disconnects; post cleans up after a failed main;
// a key minted by main is revoked by post; the key never reaches the log.
// Needs the workspace binaries (TGCTL_BIN_DIR, else $CARGO_TARGET_DIR/debug or target/debug) and
// `tgctl connect`: without it these tests FAIL (they do not skip).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const h = require('./harness');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN_DIR = process.env.TGCTL_BIN_DIR || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug');
const bin = (name) => path.join(BIN_DIR, name);

function requireConnect() {
  for (const name of ['tgctl', 'tgctl-emulator', 'twingate-sim']) {
    assert.ok(fs.existsSync(bin(name)), `${bin(name)} is missing: build the workspace (cargo build --workspace --bins) or set TGCTL_BIN_DIR`);
  }
  const help = spawnSync(bin('tgctl'), ['connect', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, `tgctl has no \`connect\` command yet (\`tgctl connect --help\` exits ${help.status}): these end-to-end tests need it.\n${help.stderr}`);
}

/** Emulator + faked machine + simulated client, as scripts/lib/world.sh sets them up. */
async function world(t) {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tgctl-e2e-'));
  for (const d of ['bin', 'sysroot/dev/net', 'sysroot/proc/self']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'sysroot/dev/net/tun'), '');
  fs.writeFileSync(path.join(dir, 'sysroot/proc/self/status'), 'Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n');
  fs.symlinkSync(bin('twingate-sim'), path.join(dir, 'bin', 'twingate'));
  const emu = spawn(bin('tgctl-emulator'), ['serve', '--port', '0', '--seed', 'demo', '--quiet', '--reads-per-minute', '0', '--writes-per-minute', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const env = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the emulator did not start')), 10000);
    emu.stdout.on('data', (d) => {
      out += d;
      if (/^TGCTL_EMULATOR_URL=.*\n/m.test(out)) {
        clearTimeout(timer);
        resolve(Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
      }
    });
  });
  const w = {
    dir,
    env: {
      ...env,
      PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`,
      TGCTL_CONFIG_DIR: path.join(dir, 'config'),
      TGCTL_STATE_DIR: path.join(dir, 'state'),
      TGCTL_NO_KEYRING: '1',
      TGCTL_SYSROOT: path.join(dir, 'sysroot'),
      TWINGATE_SIM_DIR: path.join(dir, 'sim'),
      TWINGATE_SIM_API_URL: env.TGCTL_EMULATOR_URL,
      TGCTL_BACKOFF_SCALE: '0',
      TGCTL_BIN: bin('tgctl'),
    },
    port: new URL(env.TGCTL_EMULATOR_URL).port,
    tgctl(args, extra = {}) {
      const r = spawnSync(bin('tgctl'), args, { encoding: 'utf8', env: { ...process.env, ...w.env, ...extra } });
      assert.equal(r.status, 0, `tgctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    },
  };
  t.after(() => {
    const pidFile = path.join(dir, 'sim', 'twingated.pid');
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()));
      } catch {
        // already gone
      }
    }
    emu.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return w;
}

function keyStatus(w, id) {
  return JSON.parse(w.tgctl(['service-key', 'get', id, '-o', 'json'])).status;
}

test('e2e: main connects with a service key, writes outputs; post disconnects; the key never shows', async (t) => {
  requireConnect();
  const w = await world(t);
  w.tgctl(['service-account', 'create', 'ci-e2e', '--resource', 'demo-web']);
  const keyFile = path.join(w.dir, 'key.json');
  const keyId = w.tgctl(['service-key', 'create', '--service-account', 'ci-e2e', '--expires-in-days', '1', '--key-file', keyFile, '-o', 'id']);
  const key = fs.readFileSync(keyFile, 'utf8').trim();
  const privateLine = JSON.parse(key).private_key.split('\n')[1];
  const r = h.newRunner(t);
  const env = { ...w.env };
  delete env.TWINGATE_API_TOKEN; // a plain key needs no API token
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'service-key': key, timeout: '60s', probe: `127.0.0.1:${w.port}`, resolve: 'localhost' },
    env,
  });
  assert.equal(main.code, 0, main.log);
  assert.equal(main.outputs.status, 'online', JSON.stringify(main.outputs));
  assert.match(main.outputs['elapsed-ms'] || '', /^\d+$/);
  assert.ok(main.outputs['key-id'], 'key-id output');
  const status = spawnSync(bin('tgctl'), ['status', '-o', 'json'], { encoding: 'utf8', env: { ...process.env, ...w.env } });
  assert.equal(status.status, 0, status.stderr);
  assert.equal(post.code, 0, post.log);
  assert.doesNotMatch(post.log, /::warning::/, post.log);
  for (const log of [main.log, post.log]) {
    h.assertNoSecret(log, privateLine);
    h.assertNoSecret(log, key);
  }
  assert.equal(keyStatus(w, keyId), 'active', 'a key given to connect is the user\'s: disconnect leaves it alone');
  // post again (a re-run): still fine
  const again = await h.runStep(r, 'connect', 'post.js', { inputs: { 'service-key': key }, env, state: main.state });
  assert.equal(again.code, 0, again.log);
});

test('e2e: post cleans up after a main that failed (probe never answers)', async (t) => {
  requireConnect();
  const w = await world(t);
  w.tgctl(['service-account', 'create', 'ci-e2e-fail', '--resource', 'demo-web']);
  const keyFile = path.join(w.dir, 'key.json');
  w.tgctl(['service-key', 'create', '--service-account', 'ci-e2e-fail', '--expires-in-days', '1', '--key-file', keyFile, '-q']);
  const r = h.newRunner(t);
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'service-key-file': keyFile, timeout: '3s', probe: '127.0.0.1:1' },
    env: w.env,
  });
  assert.equal(main.code, 1, main.log);
  assert.match(main.stdout, /::error title=tgctl connect::tgctl connect failed \(exit code 7/);
  assert.notEqual(main.outputs.status, 'online', JSON.stringify(main.outputs));
  assert.equal(post.code, 0, post.log);
  const simState = path.join(w.dir, 'sim', 'twingated.pid');
  assert.ok(!fs.existsSync(simState) || spawnSync('kill', ['-0', fs.readFileSync(simState, 'utf8').trim()]).status !== 0, 'the client was stopped');
});

test('e2e: a key minted by main (api-token + service-account) is revoked by post', async (t) => {
  requireConnect();
  const w = await world(t);
  w.tgctl(['service-account', 'create', 'ci-e2e-mint', '--resource', 'demo-web']);
  const r = h.newRunner(t);
  const token = w.env.TWINGATE_API_TOKEN;
  const env = { ...w.env };
  delete env.TWINGATE_API_TOKEN; // only through the input
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'api-token': token, 'service-account': 'ci-e2e-mint', timeout: '60s', probe: `127.0.0.1:${w.port}` },
    env,
  });
  assert.equal(main.code, 0, main.log);
  assert.equal(post.code, 0, post.log);
  h.assertNoSecret(main.log + post.log, token);
  const keys = JSON.parse(w.tgctl(['service-key', 'list', '--service-account', 'ci-e2e-mint', '-o', 'json']));
  assert.ok(keys.every((k) => k.status !== 'active'), `the minted key is not active any more: ${JSON.stringify(keys)}`);
});

test('e2e: no client on the runner: main installs it from the local signed apt repository, connects with a minted key; post revokes it', async (t) => {
  requireConnect();
  const w = await world(t);
  fs.rmSync(path.join(w.dir, 'bin', 'twingate'));
  // The repository of scripts/lib/apt-repo.sh (the simulated client as a signed .deb), and an apt
  // and dpkg state of this test's own in the faked machine's root: a real apt-get installs into it.
  const sysroot = w.env.TGCTL_SYSROOT;
  for (const [args, what] of [
    [['build', path.join(w.dir, 'apt')], 'the repository'],
    [['root', sysroot], 'the apt state'],
  ]) {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/lib/apt-repo.sh'), ...args], { encoding: 'utf8', env: { ...process.env, BIN_DIR } });
    assert.equal(r.status, 0, `apt-repo.sh: ${what}: ${r.stderr}`);
  }
  const repo = path.join(w.dir, 'apt', 'repo');
  // tgctl downloads the key itself: served on loopback.
  const server = require('node:http').createServer((req, res) => res.end(fs.readFileSync(path.join(repo, 'gpg.key'))));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  w.tgctl(['service-account', 'create', 'ci-e2e-install', '--resource', 'demo-web']);
  const r = h.newRunner(t);
  const token = w.env.TWINGATE_API_TOKEN;
  const env = {
    ...w.env,
    PATH: `${path.join(sysroot, 'usr/bin')}${path.delimiter}${path.join(sysroot, 'usr/sbin')}${path.delimiter}${w.env.PATH}`,
    APT_CONFIG: path.join(sysroot, 'etc/apt/apt.conf'),
    TGCTL_TWINGATE_APT_URL: `file:${repo}/`,
    TGCTL_TWINGATE_APT_KEY_URL: `http://127.0.0.1:${server.address().port}/gpg.key`,
  };
  delete env.TWINGATE_API_TOKEN;
  const cache = path.join(w.dir, 'client-cache');
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'api-token': token, 'service-account': 'ci-e2e-install', 'client-version': '2026.100.1000', 'client-cache': cache, timeout: '60s', probe: `127.0.0.1:${w.port}` },
    env,
  });
  assert.equal(main.code, 0, main.log);
  assert.match(main.log, /Installing the Twingate client \(2026\.100\.1000\)/);
  assert.ok(fs.existsSync(path.join(sysroot, 'usr/bin/twingate')), 'the client is installed in the test root');
  const version = spawnSync('dpkg-query', [`--admindir=${path.join(sysroot, 'var/lib/dpkg')}`, '-W', '-f', '${Version}', 'twingate'], { encoding: 'utf8' });
  assert.equal(version.stdout, '2026.100.1000');
  assert.equal(main.outputs.status, 'online');
  assert.equal(post.code, 0, post.log);
  h.assertNoSecret(main.log + post.log, token);
  const keys = JSON.parse(w.tgctl(['service-key', 'list', '--service-account', 'ci-e2e-install', '-o', 'json']));
  assert.ok(main.outputs['key-id'], 'a key was minted');
  assert.ok(keys.every((k) => k.status !== 'active'), `the minted key is revoked and deleted: ${JSON.stringify(keys)}`);
});

test('e2e: provider firezone connects through the headless client with the token from service-key; post stops it', async (t) => {
  requireConnect();
  assert.ok(fs.existsSync(bin('firezone-sim')), `${bin('firezone-sim')} is missing: build the workspace`);
  const w = await world(t);
  const token = 'fz-e2e-token-CANARY0123456789';
  const r = h.newRunner(t);
  const env = { ...w.env, TGCTL_FIREZONE_BIN: bin('firezone-sim'), FIREZONE_SIM_DIR: path.join(w.dir, 'fz'), FIREZONE_SIM_SCENARIO: 'ready-after=100', FIREZONE_SIM_VALID_TOKEN: token, FIREZONE_SIM_MAX_LIFETIME: '60' };
  delete env.TWINGATE_API_TOKEN;
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { provider: 'firezone', 'service-key': token, timeout: '30s', probe: `127.0.0.1:${w.port}` },
    env,
  });
  assert.equal(main.code, 0, main.log);
  assert.equal(main.outputs.status, 'online', JSON.stringify(main.outputs));
  assert.equal(post.code, 0, post.log);
  h.assertNoSecret(main.log + post.log, token);
  const calls = fs.readFileSync(path.join(w.dir, 'fz', 'calls'), 'utf8');
  assert.ok(!calls.includes(token), 'the token reached argv');
  const pid = fs.readFileSync(path.join(w.dir, 'fz', 'client.pid'), 'utf8').trim();
  const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  assert.ok(!stat || / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))), 'post stopped the client');
});

test('e2e: the service-key action creates a key into a 0600 file, then revokes it', async (t) => {
  const w = await world(t);
  w.tgctl(['service-account', 'create', 'ci-e2e-keys']);
  const r = h.newRunner(t);
  const created = await h.runStep(r, 'service-key', 'main.js', {
    inputs: { command: 'create', 'service-account': 'ci-e2e-keys', 'expires-in-days': '1' },
    env: w.env,
  });
  assert.equal(created.code, 0, created.log);
  const file = created.outputs['key-file'];
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
  const key = fs.readFileSync(file, 'utf8').trim();
  h.assertNoSecret(created.log, key);
  assert.ok(h.masked(created.log, key));
  assert.equal(keyStatus(w, created.outputs['key-id']), 'active');
  const revoked = await h.runStep(r, 'service-key', 'main.js', {
    inputs: { command: 'revoke', key: created.outputs['key-id'] },
    env: w.env,
  });
  assert.equal(revoked.code, 0, revoked.log);
  assert.equal(keyStatus(w, created.outputs['key-id']), 'revoked');
});
