'use strict';
// Pure pieces of the actions: input reading, runner protocol, install helpers.

const test = require('node:test');
const assert = require('node:assert/strict');
const gha = require('../lib/gha');
const tgctl = require('../lib/tgctl');
const connect = require('../connect/main');
const serviceKey = require('../service-key/main');
const { inputDefaults } = require('./harness');

const env = (inputs, extra = {}) => {
  const e = { ...extra };
  for (const [k, v] of Object.entries(inputs)) e[`INPUT_${k.toUpperCase()}`] = v;
  return e;
};

test('inputs are read as the runner passes them, hyphens kept', () => {
  const e = { 'INPUT_SERVICE-KEY': '  abc \n', 'INPUT_MY INPUT': 'x' };
  assert.equal(gha.getInput('service-key', e), 'abc');
  assert.equal(gha.getInput('my input', { INPUT_MY_INPUT: 'x' }), 'x');
  assert.equal(gha.getInput('missing', e), '');
});

test('multi-line inputs: one item a line, commas too, comments and blanks dropped', () => {
  const e = { INPUT_PROBE: 'db.internal:5432\n\n  # a comment\ncache.internal:6379, api.internal:443\n' };
  assert.deepEqual(gha.getList('probe', e), ['db.internal:5432', 'cache.internal:6379', 'api.internal:443']);
});

test('booleans accept the YAML spellings and refuse others', () => {
  assert.equal(gha.getBool('cache', true, {}), true);
  assert.equal(gha.getBool('cache', true, { INPUT_CACHE: 'false' }), false);
  assert.equal(gha.getBool('cache', false, { INPUT_CACHE: 'True' }), true);
  assert.throws(() => gha.getBool('cache', true, { INPUT_CACHE: 'yes' }), /true or false/);
});

test('workflow command data and properties are escaped', () => {
  assert.equal(gha.escapeData('50%\r\nnext'), '50%25%0D%0Anext');
  assert.equal(gha.escapeProperty('a:b,c'), 'a%3Ab%2Cc');
  let out = '';
  gha.command('error', 'bad\nthing', { title: 'x:y' }, { write: (s) => (out += s) });
  assert.equal(out, '::error title=x%3Ay::bad%0Athing\n');
});

test('mask registers the whole secret and each line of it', () => {
  let out = '';
  const sink = { write: (s) => (out += s) };
  gha.mask('-----BEGIN KEY-----\nAAAABBBB\n-----END KEY-----', sink);
  const lines = out.trim().split('\n');
  assert.ok(lines.includes('::add-mask::AAAABBBB'));
  assert.ok(lines.includes('::add-mask::-----BEGIN KEY-----'));
  assert.ok(lines[0].startsWith('::add-mask::-----BEGIN KEY-----%0A'));
  // JSON-escaped newlines inside a service key are split too
  out = '';
  gha.mask('{"private_key":"-----BEGIN-----\\nSECRETLINE\\n-----END-----"}', sink);
  assert.ok(out.includes('::add-mask::SECRETLINE\n'));
});

test('file commands use heredocs with a random delimiter and can be read back', () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gha-')), 'out');
  fs.writeFileSync(f, 'status=connected\n');
  gha.setOutput('key-id', 'K1', { GITHUB_OUTPUT: f });
  gha.setOutput('multi', 'a\nb', { GITHUB_OUTPUT: f });
  assert.deepEqual([...gha.namesIn('GITHUB_OUTPUT', { GITHUB_OUTPUT: f })].sort(), ['key-id', 'multi', 'status']);
  assert.match(fs.readFileSync(f, 'utf8'), /^key-id<<ghadelimiter_[0-9a-f-]{36}\nK1\nghadelimiter_/m);
  assert.equal(gha.setOutput('x', 'y', {}), false, 'no GITHUB_OUTPUT: nothing written, no crash');
});

// Which flags the inputs become is not asserted here against a copy of our expectations:
// scripts/lib/argv-check.py builds every command line the actions can build and has the real
// tgctl's parser accept each one. These tests keep what the parser cannot see.

test('connect: no secret is ever in argv, whatever the credential', () => {
  const cases = [
    env({ 'service-key': '{"k":"SECRET"}', probe: 'a.internal:22' }),
    env({ 'api-token': 'SECRET', 'service-account': 'ci', network: 'acme' }),
    env({ provider: 'firezone', 'service-key': 'fz-SECRET' }),
    env({ provider: 'firezone', 'api-token': 'SECRET', 'service-account': 'ci' }),
  ];
  for (const e of cases) {
    const args = connect.connectArgs(connect.readInputs(e), '/tmp/e.env');
    assert.ok(!args.join(' ').includes('SECRET'), args.join(' '));
  }
});

test('connect: impossible input combinations are refused before anything runs, with the reason', () => {
  assert.throws(() => connect.readInputs(env({})), /no service key/);
  assert.throws(() => connect.readInputs(env({ 'service-key': 'a', 'service-account': 'b', 'api-token': 't' })), /only one of/);
  assert.throws(() => connect.readInputs(env({ 'api-token': 't' })), /without service-account/);
  assert.throws(() => connect.readInputs(env({ 'service-account': 'ci' })), /needs api-token/);
  assert.throws(() => connect.readInputs(env({ 'service-key': 'k', 'require-private': 'true' })), /require-private needs resolve/);
  assert.throws(() => connect.readInputs(env({ 'service-key': 'k', install: 'sometimes' })), /install must be auto or never/);
  assert.throws(() => connect.readInputs(env({ 'service-key': 'k', 'docker-dns': 'yes' })), /docker-dns must be true or false/);
  // Keys and tokens set in the step's env: are fine
  assert.ok(connect.readInputs(env({}, { TWINGATE_SERVICE_KEY: 'k' })));
  assert.ok(connect.readInputs(env({ 'service-account': 'ci' }, { TWINGATE_API_TOKEN: 't' })));
  assert.ok(connect.readInputs(env({ 'service-key': 'k', 'require-private': 'true', resolve: 'db.internal' })));
});

test('connect: provider firezone reads the credential from FIREZONE_TOKEN and the API token from FIREZONE_API_TOKEN', () => {
  assert.deepEqual(connect.secretNames('firezone'), { key: 'FIREZONE_TOKEN', apiToken: 'FIREZONE_API_TOKEN' });
  assert.deepEqual(connect.secretNames(''), { key: 'TWINGATE_SERVICE_KEY', apiToken: 'TWINGATE_API_TOKEN' });
  // The tokens set in the step's env: are the Firezone ones.
  assert.ok(connect.readInputs(env({ provider: 'firezone' }, { FIREZONE_TOKEN: 't' })));
  assert.throws(() => connect.readInputs(env({ provider: 'firezone' }, { TWINGATE_SERVICE_KEY: 'k' })), /no Firezone token/);
  assert.ok(connect.readInputs(env({ provider: 'firezone', 'service-account': 'ci' }, { FIREZONE_API_TOKEN: 't' })));
  assert.throws(() => connect.readInputs(env({ provider: 'firezone', 'service-account': 'ci' }, { TWINGATE_API_TOKEN: 't' })), /Firezone API token/);
});

test('service-key: impossible input combinations are refused with the reason', () => {
  assert.throws(() => serviceKey.readInputs(env({ command: 'list', 'api-token': 't' })), /one of create, rotate, revoke/);
  assert.throws(() => serviceKey.readInputs(env({ command: 'create', 'api-token': 't' })), /service-account/);
  assert.throws(() => serviceKey.readInputs(env({ command: 'rotate', 'api-token': 't' })), /needs key/);
  assert.throws(() => serviceKey.readInputs(env({ command: 'create', 'service-account': 'ci' })), /api-token is required/);
});

test('release targets, versions, URLs and checksums', () => {
  assert.equal(tgctl.releaseTarget('linux', 'x64'), 'x86_64-unknown-linux-musl');
  assert.equal(tgctl.releaseTarget('linux', 'arm64'), 'aarch64-unknown-linux-musl');
  assert.equal(tgctl.releaseTarget('darwin', 'arm64'), 'aarch64-apple-darwin');
  assert.equal(tgctl.releaseTarget('win32', 'x64'), 'x86_64-pc-windows-msvc');
  assert.throws(() => tgctl.releaseTarget('linux', 'ia32'), /no tgctl release/);
  assert.equal(tgctl.normaliseVersion('v1.2.3'), '1.2.3');
  assert.equal(tgctl.normaliseVersion('latest'), 'latest');
  assert.throws(() => tgctl.normaliseVersion('1.2; rm -rf /'), /version like/);
  assert.deepEqual(tgctl.assetUrls('0.1.0', 'x86_64-unknown-linux-musl', {}), {
    archive: 'https://github.com/tgctl/tgctl/releases/download/v0.1.0/tgctl-x86_64-unknown-linux-musl.tar.gz',
    checksum: 'https://github.com/tgctl/tgctl/releases/download/v0.1.0/tgctl-x86_64-unknown-linux-musl.tar.gz.sha256',
    asset: 'tgctl-x86_64-unknown-linux-musl.tar.gz',
  });
  assert.match(tgctl.assetUrls('latest', 't', { TGCTL_RELEASES_URL: 'http://mirror/r/' }).archive, /^http:\/\/mirror\/r\/latest\/download\/tgctl-t\.tar\.gz$/);
  const hex = 'a'.repeat(64);
  assert.equal(tgctl.parseChecksum(`${hex.toUpperCase()}  tgctl.tar.gz\n`), hex);
  assert.throws(() => tgctl.parseChecksum('<html>not found</html>'), /no SHA-256/);
});

test('env files written by tgctl are read in shell and dotenv forms', () => {
  assert.deepEqual(tgctl.parseEnvFile("export HTTPS_PROXY='http://127.0.0.1:3128'\nNO_PROXY=localhost\n# c\nA=\"x \\\"y\\\"\"\nB='it'\\''s'\n"), [
    ['HTTPS_PROXY', 'http://127.0.0.1:3128'],
    ['NO_PROXY', 'localhost'],
    ['A', 'x "y"'],
    ['B', "it's"],
  ]);
});

test('the child environment drops INPUT_* copies and adds the secrets', () => {
  const e = tgctl.childEnv({ TWINGATE_SERVICE_KEY: 'k', TWINGATE_API_TOKEN: '' }, { 'INPUT_SERVICE-KEY': 'k', PATH: '/bin' });
  assert.deepEqual(e, { PATH: '/bin', TWINGATE_SERVICE_KEY: 'k' });
});

test('exit codes are explained', () => {
  assert.match(tgctl.describeExit(7), /timed out/);
  assert.match(tgctl.describeExit(8), /client/);
  assert.equal(tgctl.describeExit(42), 'exit code 42');
});

test('broker-url: --broker and --audience, no secret; refused with another credential or without id-token: write', () => {
  const env = { 'INPUT_BROKER-URL': 'https://broker.example.com', 'INPUT_BROKER-AUDIENCE': 'tgctl-broker', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t.example/x' };
  const args = connect.connectArgs(connect.readInputs(env));
  assert.deepEqual(args.slice(args.indexOf('--broker'), args.indexOf('--broker') + 4), ['--broker', 'https://broker.example.com', '--audience', 'tgctl-broker']);
  assert.throws(() => connect.readInputs({ ...env, 'INPUT_SERVICE-KEY': '{}' }), /give only one of/);
  assert.throws(() => connect.readInputs({ ...env, ACTIONS_ID_TOKEN_REQUEST_URL: '' }), /id-token: write/);
});

test('the test harness reads action.yml defaults', () => {
  assert.deepEqual(inputDefaults('connect'), {
    'broker-audience': 'tgctl-broker',
    timeout: '120s',
    'require-private': 'false',
    install: 'auto',
    'docker-dns': 'false',
    cache: 'true',
  });
  assert.deepEqual(inputDefaults('service-key'), { delete: 'false', cache: 'true' });
});
