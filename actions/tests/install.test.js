'use strict';
// Installing tgctl from a release: a local HTTP server stands in for the release download URL
// (TGCTL_RELEASES_URL), serving tgctl-<target>.tar.gz and its .sha256 as the release workflow
// publishes them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const h = require('./harness');
const tgctl = require('../lib/tgctl');

/** Builds the release assets of `version` for this machine, the way release.yml packs them. */
function buildAssets(dir, version) {
  const target = tgctl.releaseTarget();
  const stage = path.join(dir, `stage-${version}`, `tgctl-${target}`);
  fs.mkdirSync(stage, { recursive: true });
  // The stand-in tgctl, reporting the version it was packed as.
  const script = fs.readFileSync(h.FAKE_TGCTL, 'utf8').replace('${FAKE_TGCTL_VERSION:-0.1.0}', version);
  fs.writeFileSync(path.join(stage, 'tgctl'), script, { mode: 0o755 });
  fs.writeFileSync(path.join(stage, 'README.md'), 'tgctl\n');
  const asset = `tgctl-${target}.tar.gz`;
  const tarball = path.join(dir, `${version}-${asset}`);
  execFileSync('tar', ['-czf', tarball, '-C', path.dirname(stage), path.basename(stage)]);
  const sum = crypto.createHash('sha256').update(fs.readFileSync(tarball)).digest('hex');
  return { asset, archive: fs.readFileSync(tarball), checksum: `${sum}  ${asset}\n` };
}

/** Serves /download/v<version>/<asset>[.sha256] and /latest/download/... ; counts requests. */
async function releaseServer(t, releases, { latest } = {}) {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url);
    const m = /^\/r\/(?:download\/v([^/]+)|(latest)\/download)\/([^/]+?)(\.sha256)?$/.exec(req.url);
    const version = m && (m[2] ? latest : m[1]);
    const rel = version && releases[version];
    if (!rel || m[3] !== rel.asset) {
      res.writeHead(404).end('Not Found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(m[4] ? rel.checksum : rel.archive);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}/r`, hits };
}

// A PATH without any tgctl on it, so the action has to install one.
const cleanPath = () => process.env.PATH.split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'tgctl'))).join(path.delimiter);

test('installs a pinned version: checksum verified, tool cache filled, then reused without downloading', async (t) => {
  const r = h.newRunner(t);
  const releases = { '0.3.1': buildAssets(r.root, '0.3.1') };
  const srv = await releaseServer(t, releases);
  const env = { TGCTL_RELEASES_URL: srv.url, PATH: cleanPath() };
  const inputs = { 'service-key': '{"k":"v"}', 'tgctl-version': 'v0.3.1' };

  const first = await h.runStep(r, 'connect', 'main.js', { inputs, env });
  assert.equal(first.code, 0, first.log);
  const cached = path.join(r.toolCache, 'tgctl', '0.3.1', process.arch, 'tgctl');
  assert.ok(fs.existsSync(cached) && fs.existsSync(path.join(r.toolCache, 'tgctl', '0.3.1', `${process.arch}.complete`)));
  assert.equal(first.state.tgctl, cached);
  assert.deepEqual(first.path, [path.dirname(cached)], 'later steps find tgctl on PATH');
  assert.match(first.log, /SHA-256 verified/);
  assert.equal(srv.hits.length, 2);
  assert.deepEqual(h.calls(r).map((c) => c.split(' ')[0]), ['connect']);

  const second = await h.runStep(r, 'connect', 'main.js', { inputs, env });
  assert.equal(second.code, 0, second.log);
  assert.match(second.log, /from tool cache/);
  assert.equal(srv.hits.length, 2, 'no second download');
  assert.deepEqual(second.path, [path.dirname(cached)], 'a tool-cache hit puts tgctl on PATH for later steps too');
  const key = await h.runStep(r, 'service-key', 'main.js', {
    inputs: { command: 'revoke', key: 'K', 'api-token': 't', 'tgctl-version': '0.3.1' },
    env,
  });
  assert.equal(key.code, 0, key.log);
  assert.deepEqual(key.path, [path.dirname(cached)], 'the service-key action too');
});

test('a checksum mismatch installs nothing and fails the step', async (t) => {
  const r = h.newRunner(t);
  const rel = buildAssets(r.root, '0.3.2');
  rel.checksum = `${'0'.repeat(64)}  ${rel.asset}\n`;
  const srv = await releaseServer(t, { '0.3.2': rel });
  const { main, post } = await h.runMainAndPost(r, 'connect', {
    inputs: { 'service-key': '{"k":"v"}', 'tgctl-version': '0.3.2' },
    env: { TGCTL_RELEASES_URL: srv.url, PATH: cleanPath() },
  });
  assert.equal(main.code, 1);
  assert.match(main.stdout, /::error title=tgctl connect::could not install tgctl: checksum mismatch for tgctl-.*: expected 0{64}, got [0-9a-f]{64}; nothing was installed/);
  assert.ok(!fs.existsSync(path.join(r.toolCache, 'tgctl', '0.3.2')));
  assert.deepEqual(h.calls(r), []);
  assert.equal(post.code, 0);
});

test('a missing release is a clear error, not retried', async (t) => {
  const r = h.newRunner(t);
  const srv = await releaseServer(t, {});
  const main = await h.runStep(r, 'connect', 'main.js', {
    inputs: { 'service-key': '{"k":"v"}', 'tgctl-version': '9.9.9' },
    env: { TGCTL_RELEASES_URL: srv.url, PATH: cleanPath() },
  });
  assert.equal(main.code, 1);
  assert.match(main.stdout, /could not install tgctl: GET http:\/\/127\.0\.0\.1:\d+\/r\/download\/v9\.9\.9\/tgctl-.*\.tar\.gz: HTTP 404/);
  assert.equal(srv.hits.length, 1);
});

test('"latest" follows the latest release and caches it under the version it reports; cache: false keeps it out', async (t) => {
  const r = h.newRunner(t);
  const srv = await releaseServer(t, { '0.4.0': buildAssets(r.root, '0.4.0') }, { latest: '0.4.0' });
  const env = { TGCTL_RELEASES_URL: srv.url, PATH: cleanPath() };
  const latest = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k', 'tgctl-version': 'latest' }, env });
  assert.equal(latest.code, 0, latest.log);
  assert.equal(latest.state.tgctl, path.join(r.toolCache, 'tgctl', '0.4.0', process.arch, 'tgctl'));

  const r2 = h.newRunner(t);
  const nocache = await h.runStep(r2, 'connect', 'main.js', { inputs: { 'service-key': 'k', 'tgctl-version': '0.4.0', cache: 'false' }, env });
  assert.equal(nocache.code, 0, nocache.log);
  assert.ok(nocache.state.tgctl.startsWith(r2.temp + path.sep), nocache.state.tgctl);
  assert.ok(!fs.existsSync(path.join(r2.toolCache, 'tgctl')));
});

test('tgctl already on PATH is used as is when no version is asked for, or when it is that version', async (t) => {
  const r = h.newRunner(t);
  const bin = path.join(r.root, 'bin');
  fs.mkdirSync(bin);
  fs.copyFileSync(h.FAKE_TGCTL, path.join(bin, 'tgctl'));
  fs.chmodSync(path.join(bin, 'tgctl'), 0o755);
  const srv = await releaseServer(t, {});
  const env = { PATH: `${bin}${path.delimiter}${cleanPath()}`, TGCTL_RELEASES_URL: srv.url };
  const any = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k' }, env });
  assert.equal(any.code, 0, any.log);
  assert.equal(any.state.tgctl, path.join(bin, 'tgctl'));
  assert.match(any.log, /tgctl 0\.1\.0 from PATH/);
  const same = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k', 'tgctl-version': '0.1.0' }, env });
  assert.equal(same.code, 0, same.log);
  const other = await h.runStep(r, 'connect', 'main.js', { inputs: { 'service-key': 'k', 'tgctl-version': '0.2.0' }, env });
  assert.equal(other.code, 1, 'another version is downloaded (here: from a mirror without it)');
  assert.match(other.stdout, /could not install tgctl: GET \S+\/download\/v0\.2\.0\/\S+: HTTP 404/);
  assert.equal(srv.hits.length, 1, 'nothing was downloaded for the first two');
});
