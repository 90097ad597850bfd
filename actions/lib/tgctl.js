'use strict';
// Finding or installing tgctl, and running it. All Twingate logic lives in tgctl itself; this
// file only gets the binary onto the runner (checksum-verified, through the runner's tool cache)
// and starts it with secrets in its environment, never in argv.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const gha = require('./gha');

/** The tgctl release these actions were released with; bumped by the release workflow's check. */
const DEFAULT_TGCTL_VERSION = '1.0.0';
/** Where releases live; TGCTL_RELEASES_URL overrides it (a mirror, GHES, or tests). */
const DEFAULT_RELEASES_URL = 'https://github.com/tgctl/tgctl/releases';

/** tgctl's documented exit codes (`tgctl help exit-codes`), for the error annotation. */
const EXIT_CODES = {
  1: 'error',
  2: 'bad input or service key',
  3: 'authentication failed (API token or service key refused)',
  4: 'not found',
  5: 'rejected by the API',
  6: 'network error or rate limit, after retries',
  7: 'timed out waiting for the connection',
  8: 'the Twingate client is missing or failed',
  130: 'interrupted',
};

function describeExit(code) {
  return EXIT_CODES[code] ? `exit code ${code}: ${EXIT_CODES[code]}` : `exit code ${code}`;
}

/** The Rust target triple of the release asset for this runner. */
function releaseTarget(platform = process.platform, arch = process.arch) {
  const cpu = { x64: 'x86_64', arm64: 'aarch64' }[arch];
  if (platform === 'linux' && cpu) return `${cpu}-unknown-linux-musl`;
  if (platform === 'darwin' && cpu) return `${cpu}-apple-darwin`;
  // Windows on Arm runs the x86_64 build under emulation.
  if (platform === 'win32' && cpu) return 'x86_64-pc-windows-msvc';
  throw new gha.UsageError(`no tgctl release for ${platform}/${arch}; put a tgctl binary on PATH or set TGCTL_BIN`);
}

const exeName = (platform = process.platform) => (platform === 'win32' ? 'tgctl.exe' : 'tgctl');

/** Normalises a version input: "" stays "", "latest" stays, "v1.2.3" becomes "1.2.3". */
function normaliseVersion(v) {
  v = (v || '').trim();
  if (v === '' || v === 'latest') return v;
  v = v.replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(v)) {
    throw new gha.UsageError(`tgctl-version must be a version like 1.0.0 or "latest", not ${JSON.stringify(v)}`);
  }
  return v;
}

/** The archive of a target, as the release publishes it: .zip on Windows, .tar.gz elsewhere. */
const archiveExt = (target) => (target.includes('windows') ? 'zip' : 'tar.gz');

/** The URLs of the archive and its checksum for a version ("latest" or "1.2.3"). */
function assetUrls(version, target, env = process.env) {
  const base = (env.TGCTL_RELEASES_URL || DEFAULT_RELEASES_URL).replace(/\/+$/, '');
  const asset = `tgctl-${target}.${archiveExt(target)}`;
  const dir = version === 'latest' ? `${base}/latest/download` : `${base}/download/v${version}`;
  return { archive: `${dir}/${asset}`, checksum: `${dir}/${asset}.sha256`, asset };
}

/** The first 64-hex-digit word of a .sha256 file (`<hex>  <name>` or just `<hex>`). */
function parseChecksum(text) {
  const m = /\b([0-9a-fA-F]{64})\b/.exec(text);
  if (!m) throw new Error('the .sha256 file holds no SHA-256 checksum');
  return m[1].toLowerCase();
}

/** Which executable file named `name` is found on PATH, or null. */
function which(name, env = process.env) {
  const exts = process.platform === 'win32' ? (env.PATHEXT || '.EXE').split(';') : [''];
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      try {
        const st = fs.statSync(candidate);
        if (st.isFile() && (process.platform === 'win32' || st.mode & 0o111)) return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** The version a tgctl binary reports ("tgctl 0.1.0" -> "0.1.0"), or null. */
function binaryVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) return null;
  const m = /(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)/.exec(r.stdout || '');
  return m ? m[1] : null;
}

async function fetchBuffer(url, { attempts = 3, log = () => {} } = {}) {
  let last;
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(url, { redirect: 'follow', headers: { 'User-Agent': 'tgctl-action' } });
      if (res.ok) return Buffer.from(await res.arrayBuffer());
      last = new Error(`GET ${url}: HTTP ${res.status}`);
      // A missing asset will not appear by retrying.
      if (res.status === 404 || res.status === 403) throw last;
    } catch (e) {
      last = e.cause ? new Error(`GET ${url}: ${e.message} (${e.cause.code || e.cause.message})`) : e;
      if (/HTTP 40[34]/.test(last.message)) throw last;
    }
    if (i < attempts) {
      log(`download failed (${last.message}); retrying in ${i * 2} s`);
      await new Promise((r) => setTimeout(r, i * 2000));
    }
  }
  throw last;
}

/** The tool cache directory of a version, laid out as @actions/tool-cache does. */
function cacheDir(version, env = process.env, arch = process.arch) {
  const root = env.RUNNER_TOOL_CACHE;
  if (!root) return null;
  return { dir: path.join(root, 'tgctl', version, arch), marker: path.join(root, 'tgctl', version, `${arch}.complete`) };
}

function findInCache(version, env, platform) {
  const c = cacheDir(version, env);
  if (!c) return null;
  const bin = path.join(c.dir, exeName(platform));
  return fs.existsSync(c.marker) && fs.existsSync(bin) ? bin : null;
}

function findBinary(dir, name) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return p;
    if (entry.isDirectory()) {
      const found = findBinary(p, name);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Downloads the release archive and its checksum, verifies the SHA-256, extracts tgctl and puts
 * it in the tool cache (or a temp dir when caching is off). Returns the binary's path.
 */
async function download(version, { env = process.env, cache = true, platform = process.platform, log = () => {} } = {}) {
  const target = releaseTarget(platform);
  const urls = assetUrls(version, target, env);
  log(`Downloading ${urls.archive}`);
  const archive = await fetchBuffer(urls.archive, { log });
  const expected = parseChecksum((await fetchBuffer(urls.checksum, { log })).toString('utf8'));
  const actual = crypto.createHash('sha256').update(archive).digest('hex');
  if (actual !== expected) {
    throw new Error(`checksum mismatch for ${urls.asset}: expected ${expected}, got ${actual}; nothing was installed`);
  }
  log(`SHA-256 verified: ${actual}`);

  const tmpRoot = env.RUNNER_TEMP || os.tmpdir();
  fs.mkdirSync(tmpRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(tmpRoot, 'tgctl-download-'));
  try {
    const tarball = path.join(work, urls.asset);
    fs.writeFileSync(tarball, archive);
    const extracted = path.join(work, 'x');
    fs.mkdirSync(extracted);
    // tar reads both forms: GNU tar the .tar.gz of Linux and macOS, Windows' bsdtar the .zip.
    const tar = spawnSync('tar', [urls.asset.endsWith('.zip') ? '-xf' : '-xzf', tarball, '-C', extracted], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`could not extract ${urls.asset}: ${(tar.stderr || tar.error || '').toString().trim()}`);
    const bin = findBinary(extracted, exeName(platform));
    if (!bin) throw new Error(`${urls.asset} holds no ${exeName(platform)}`);
    fs.chmodSync(bin, 0o755);

    // "latest" is cached under the version the binary reports.
    const resolved = version === 'latest' ? binaryVersion(bin) || 'latest' : version;
    let destDir;
    let marker = null;
    const c = cache && resolved !== 'latest' ? cacheDir(resolved, env) : null;
    if (c) {
      destDir = c.dir;
      marker = c.marker;
      fs.rmSync(destDir, { recursive: true, force: true });
    } else {
      destDir = fs.mkdtempSync(path.join(tmpRoot, 'tgctl-bin-'));
    }
    fs.mkdirSync(destDir, { recursive: true });
    const dest = path.join(destDir, exeName(platform));
    fs.copyFileSync(bin, dest);
    fs.chmodSync(dest, 0o755);
    if (marker) fs.writeFileSync(marker, '');
    return { path: dest, version: resolved, source: c ? 'downloaded (tool cache)' : 'downloaded' };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The tgctl to run:
 * 1. TGCTL_BIN, if set;
 * 2. with tgctl-version empty: tgctl on PATH if there is one, else the default version;
 * 3. tgctl on PATH if it is the requested version;
 * 4. the tool cache (when `cache`);
 * 5. a download from the release, checksum-verified.
 */
async function locate({ version = '', cache = true, env = process.env, platform = process.platform, log = () => {} } = {}) {
  if (env.TGCTL_BIN) {
    const bin = env.TGCTL_BIN;
    if (!fs.existsSync(bin)) throw new gha.UsageError(`TGCTL_BIN is ${bin}, which does not exist`);
    return { path: bin, version: binaryVersion(bin), source: 'TGCTL_BIN' };
  }
  version = normaliseVersion(version);
  const onPath = which('tgctl', env);
  if (version === '') {
    if (onPath) return { path: onPath, version: binaryVersion(onPath), source: 'PATH' };
    version = DEFAULT_TGCTL_VERSION;
  }
  if (onPath && version !== 'latest' && binaryVersion(onPath) === version) {
    return { path: onPath, version, source: 'PATH' };
  }
  if (cache && version !== 'latest') {
    const cached = findInCache(version, env, platform);
    if (cached) return { path: cached, version, source: 'tool cache' };
  }
  return download(version, { env, cache, platform, log });
}

/** Whether the steps after this one need tgctl's directory on PATH (it was not there already). */
function addsToPath(found) {
  return found.source === 'tool cache' || found.source.startsWith('downloaded');
}

/** Runs tgctl with stdin closed and output streamed to the job log; resolves to the exit code. */
function run(bin, args, env, { stdout = 'inherit' } = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', stdout, 'inherit'] });
    let out = '';
    if (stdout === 'pipe') child.stdout.on('data', (d) => (out += d));
    const forward = (sig) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', (e) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve({ code: 127, stdout: out, error: e });
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve({ code: code === null ? (signal === 'SIGINT' ? 130 : 143) : code, stdout: out });
    });
  });
}

/**
 * The child's environment: the step's, without the INPUT_* copies of secrets, plus `extra`
 * (where the secrets go: TWINGATE_SERVICE_KEY, TWINGATE_API_TOKEN).
 */
function childEnv(extra, env = process.env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('INPUT_')) out[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

/** Masks a service key in every form it could be printed: raw, base64, decoded, its private key. */
function maskServiceKey(raw) {
  if (!raw) return;
  gha.mask(raw);
  let json = raw.trim();
  if (!json.startsWith('{')) {
    const decoded = Buffer.from(json, 'base64').toString('utf8');
    if (decoded.trim().startsWith('{')) {
      json = decoded.trim();
      gha.mask(json);
    }
  } else {
    gha.mask(Buffer.from(json).toString('base64'));
  }
  try {
    const doc = JSON.parse(json);
    if (doc && typeof doc.private_key === 'string') gha.mask(doc.private_key);
  } catch {
    // tgctl reports a malformed key (exit 2) without quoting it.
  }
}

/** Parses an env file that tgctl wrote (`NAME=value`, optionally `export ` and quotes). */
function parseEnvFile(text) {
  const vars = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trim();
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1).replace(/'\\''/g, "'");
    } else if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    vars.push([m[1], value]);
  }
  return vars;
}

module.exports = {
  DEFAULT_TGCTL_VERSION,
  DEFAULT_RELEASES_URL,
  EXIT_CODES,
  describeExit,
  releaseTarget,
  archiveExt,
  normaliseVersion,
  assetUrls,
  parseChecksum,
  which,
  binaryVersion,
  download,
  locate,
  addsToPath,
  run,
  childEnv,
  maskServiceKey,
  parseEnvFile,
};
