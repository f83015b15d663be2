#!/usr/bin/env python3
"""Runs docker/Dockerfile's build stage without a container engine: its
COPY instructions copy from this tree into a fresh directory (the stage's
WORKDIR), then its RUN instructions run there with /bin/sh -c, as the
engine would run them on Debian 12. So an image build fails here first
when the Dockerfile copies too little or its build commands drift from
the README's (check_container_files.py checks that they are the same).

The binary it builds must then work like the image's: --version names the
project's version and `check` accepts docker/pullgate.yaml.

This compiles everything (several minutes on two cores): meson suite
'slow'. With --configure-only the same steps run with `meson compile`
turned into a no-op (a `meson` wrapper first in PATH), which shows in
seconds that the copied files are all meson needs: meson suite 'static'.

    tests/static/build_like_the_dockerfile.py [--configure-only] [--dry-run] [--keep]

--dry-run prints the steps without running them; --keep keeps the
directory. Exits non-zero on any failure.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_container_files as cf  # noqa: E402  (the Dockerfile reader)

STEP_TIMEOUT = 3000  # seconds for one RUN; meson's own timeout is the outer bound


def build_stage():
    instructions = cf.parse_dockerfile(cf.read(os.path.join(cf.DOCKER, "Dockerfile")))
    from_, steps = cf.stages(instructions)[0]
    if not re.search(r"\sAS\s+build$", from_.args):
        raise SystemExit(f"docker/Dockerfile: the first stage is not the build stage: {from_}")
    return steps


def copy_into(workdir, context, args):
    """COPY SRC... DEST relative to `workdir`, with Docker's rules for a
    directory source (its contents) and a DEST ending in / (a directory)."""
    words = shlex.split(args)
    if any(w.startswith("--") for w in words):
        raise SystemExit(f"COPY flags are not supported here: {args}")
    *sources, dest = words
    target = dest if os.path.isabs(dest) else os.path.join(workdir, dest)
    for source in sources:
        path = os.path.join(context, source)
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif dest.endswith("/") or len(sources) > 1:
            os.makedirs(target, exist_ok=True)
            shutil.copy2(path, os.path.join(target, os.path.basename(source)))
        else:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            shutil.copy2(path, target)


MESON_WRAPPER = """#!/bin/sh
# build_like_the_dockerfile.py --configure-only: configure, never compile.
if [ "$1" = compile ]; then echo "(meson compile skipped: --configure-only)"; exit 0; fi
exec {meson} "$@"
"""


def configure_only_path(root):
    """A PATH whose `meson` configures as usual and skips `meson compile`."""
    meson = shutil.which("meson")
    if meson is None:
        raise SystemExit("FAILED: no meson on PATH (scripts/install-deps.sh installs it)")
    bin_dir = os.path.join(root, "configure-only-bin")
    os.makedirs(bin_dir)
    wrapper = os.path.join(bin_dir, "meson")
    with open(wrapper, "w") as f:
        f.write(MESON_WRAPPER.format(meson=shlex.quote(meson)))
    os.chmod(wrapper, 0o755)
    return bin_dir + os.pathsep + os.environ.get("PATH", "")


def run_stage(root, dry_run, configure_only=False):
    steps = build_stage()
    context = os.path.join(root, "context")
    os.makedirs(context)
    workdir = context
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if configure_only:
        env["PATH"] = configure_only_path(root)
    for ins in steps:
        print(f"--- Dockerfile line {ins.line}: {ins.keyword} {ins.args}", flush=True)
        if ins.keyword == "WORKDIR":
            workdir = os.path.join(context, ins.args.lstrip("/"))
            os.makedirs(workdir, exist_ok=True)
        elif ins.keyword == "COPY":
            copy_into(workdir, cf.ROOT, ins.args)
        elif ins.keyword == "RUN":
            if dry_run:
                continue
            started = time.monotonic()
            done = subprocess.run(["/bin/sh", "-c", ins.args], cwd=workdir, env=env,
                                  timeout=STEP_TIMEOUT)
            print(f"    exit {done.returncode} after {time.monotonic() - started:.0f}s",
                  flush=True)
            if done.returncode != 0:
                raise SystemExit(f"FAILED: Dockerfile line {ins.line}: {ins.args}")
        elif ins.keyword in ("ENV", "ARG", "LABEL", "USER", "SHELL"):
            raise SystemExit(f"{ins.keyword} in the build stage: teach this script about it")
    return workdir


def check_binary(workdir):
    built = os.path.join(workdir, "build", "proxy", "pullgate")
    if not os.access(built, os.X_OK):
        raise SystemExit(f"FAILED: the build stage made no {built}")
    project = re.search(r"version\s*:\s*'([^']+)'", cf.read(os.path.join(cf.ROOT, "meson.build")))
    version = cf.run([built, "--version"]).stdout.strip()
    if version != f"pullgate {project.group(1)}":
        raise SystemExit(f"FAILED: --version printed {version!r}")
    checked = cf.run([built, "check", "--config", os.path.join(cf.DOCKER, "pullgate.yaml")])
    if checked.returncode != 0:
        raise SystemExit(f"FAILED: check rejected docker/pullgate.yaml:\n{checked.stdout}"
                         f"{checked.stderr}")
    print(f"{built}: {version}; docker/pullgate.yaml is valid")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configure-only", action="store_true",
                        help="run the steps with `meson compile` skipped")
    parser.add_argument("--dry-run", action="store_true", help="print the steps only")
    parser.add_argument("--keep", action="store_true", help="keep the build directory")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="pullgate-dockerfile-build-")
    try:
        workdir = run_stage(root, args.dry_run, args.configure_only)
        if args.dry_run:
            print("dry run: nothing was run")
            return 0
        if args.configure_only:
            if not os.path.exists(os.path.join(workdir, "build", "build.ninja")):
                raise SystemExit("FAILED: meson did not configure build/")
            print("the build stage's files configure: build/build.ninja written")
        else:
            check_binary(workdir)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
