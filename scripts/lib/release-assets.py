#!/usr/bin/env python3
"""The wrappers download exactly what the release publishes.

Reads the assets .github/workflows/release.yml builds (its build matrix: tgctl-<target>.<archive>,
each with a .sha256), asks each wrapper's own code which asset it downloads on each platform it
knows (the action's releaseTarget/assetUrls under node; the orb's and the GitLab component's
install.sh functions under sh), and fails on any asset a wrapper would fetch that the release
does not publish, and on any published asset no wrapper fetches.

usage: release-assets.py
"""
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def published():
    wf = yaml.safe_load(open(os.path.join(ROOT, ".github/workflows/release.yml"), encoding="utf-8"))
    return {f"tgctl-{m['target']}.{m['archive']}" for m in wf["jobs"]["build"]["strategy"]["matrix"]["include"]}


NODE = r"""
const t = require(process.argv[1] + '/actions/lib/tgctl.js');
const out = [];
for (const platform of ['linux', 'darwin', 'win32']) {
  for (const arch of ['x64', 'arm64']) {
    const target = t.releaseTarget(platform, arch);
    const urls = t.assetUrls('1.2.3', target, {});
    out.push({ platform: `${platform}/${arch}`, asset: urls.asset, archive: urls.archive, checksum: urls.checksum });
  }
}
console.log(JSON.stringify(out));
"""

SH = r"""
TGCTL_SOURCED_FOR_TESTS=1
. "$1"
for os in Linux Darwin MINGW64_NT-10.0; do
  for cpu in x86_64 aarch64; do
    target="$(tgctl_target "$os" "$cpu")" || exit 1
    url="$(tgctl_download_url 1.2.3 "$target")"
    printf '%s/%s %s\n' "$os" "$cpu" "$url"
  done
done
"""


def main():
    assets = published()
    problems, fetched = [], set()
    action = json.loads(subprocess.run(["node", "-e", NODE, ROOT], capture_output=True, text=True, check=True).stdout)
    for a in action:
        fetched.add(a["asset"])
        if a["asset"] not in assets:
            problems.append(f"actions/lib/tgctl.js on {a['platform']} fetches {a['asset']}, which the release does not publish")
        if not a["archive"].endswith("/download/v1.2.3/" + a["asset"]) or a["checksum"] != a["archive"] + ".sha256":
            problems.append(f"actions/lib/tgctl.js: {a['archive']} is not the release layout download/vX.Y.Z/<asset>[.sha256]")
    scripts = {"circleci-orb": os.path.join(ROOT, "circleci-orb/src/scripts/install.sh")}
    # The component's copy, as GitLab runs it
    class L(yaml.SafeLoader):
        pass
    L.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))
    jobs = list(yaml.load_all(open(os.path.join(ROOT, "gitlab/templates/connect.yml"), encoding="utf-8"), Loader=L))[1]
    gl = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"release-assets-gitlab-install-{os.getpid()}.sh")
    with open(gl, "w", encoding="utf-8") as f:
        f.write(jobs[".tgctl-install"]["script"][0])
    scripts["gitlab"] = gl
    try:
        for label, path in scripts.items():
            out = subprocess.run(["sh", "-c", SH, "sh", path], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                platform, url = line.split(" ", 1)
                asset = url.rsplit("/", 1)[1]
                fetched.add(asset)
                if asset not in assets:
                    problems.append(f"{label} install.sh on {platform} fetches {asset}, which the release does not publish")
                if not url.endswith("/download/v1.2.3/" + asset):
                    problems.append(f"{label} install.sh: {url} is not the release layout download/vX.Y.Z/<asset>")
    finally:
        os.remove(gl)
    for asset in sorted(assets - fetched):
        problems.append(f"the release publishes {asset}, which no wrapper fetches")
    for p in problems:
        print(f"release-assets: {p}")
    if not problems:
        print(f"release-assets: the wrappers fetch exactly the {len(assets)} published assets: {', '.join(sorted(assets))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
