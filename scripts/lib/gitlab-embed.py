#!/usr/bin/env python3
"""The GitLab component embeds the wrapper scripts verbatim (a component is one YAML file; a job
cannot fetch files from the component's project). This writes them into
gitlab/templates/connect.yml (--write) or checks that the embedded copies match (--check).

usage: gitlab-embed.py --check|--write  (run from the repository root)
"""
import sys

TEMPLATE = "gitlab/templates/connect.yml"
MARKER = "# The scripts below are the CircleCI orb's"
BLOCKS = [
    (".tgctl-install", "circleci-orb/src/scripts/install.sh"),
    (".tgctl-connect-script", "circleci-orb/src/scripts/connect.sh"),
    (".tgctl-disconnect-script", "circleci-orb/src/scripts/disconnect.sh"),
    (".tgctl-rotate-script", "gitlab/scripts/rotate-key.sh"),
]


def render():
    with open(TEMPLATE, encoding="utf-8") as f:
        text = f.read()
    head, sep, _ = text.partition(MARKER)
    if not sep:
        sys.exit(f"{TEMPLATE}: the marker line is missing")
    out = [head, MARKER, " (gitlab/scripts for rotation),\n# embedded verbatim; scripts/test-wrappers.sh checks that they match.\n"]
    for job, script in BLOCKS:
        with open(script, encoding="utf-8") as f:
            body = f.read()
        out.append(f"\n{job}:\n  script:\n    - |\n")
        for line in body.rstrip("\n").split("\n"):
            out.append(f"      {line}\n" if line else "\n")
    return text, "".join(out)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    current, wanted = render()
    if mode == "--write":
        with open(TEMPLATE, "w", encoding="utf-8") as f:
            f.write(wanted)
    elif current != wanted:
        sys.exit(f"{TEMPLATE}: the embedded scripts differ from circleci-orb/src/scripts and gitlab/scripts; run scripts/lib/gitlab-embed.py --write")


if __name__ == "__main__":
    main()
