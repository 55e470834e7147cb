"""The repository as a Hugging Face Space: build the Space's tree, check it, push it.

The Space is the app (``app.py``, the package, the shipped tiers' weights, the credited examples) with
the README's front matter and the app's own requirements (``requirements.txt``; the development set
stays out). The Hub refuses binary files and files over 10 MB that are not stored through LFS/Xet, so
the tree carries a ``.gitattributes`` that routes every binary type there, and the checkpoints travel
with it (the packaged copy is what the app loads; nothing is fetched at start).

    python tools/space.py build dist/space          # the tree, checked
    python tools/space.py push --repo-id USER/NAME  # build, check, upload (huggingface_hub, LFS/Xet)
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MAX_PLAIN_BYTES = 10 * 1000 * 1000  # the Hub's limit for a file outside LFS/Xet
# what a Space needs: the app, its packages, the README, the licence; not the tests, training
# configs, lab history, comparison-only models or tools
INCLUDE = (
    "app.py",
    "README.md",
    "LICENSE",
    "requirements.txt",
    "bgremover/",
    "bgremover_app/",
    "bgremover_leaderboard/",
)
EXCLUDE = ("*/__pycache__/*", "*.pyc", "bgremover_leaderboard/results/design/*", "bgremover_app/*.pyi")
LFS_PATTERNS = ("*.safetensors", "*.bin", "*.onnx", "*.jpg", "*.jpeg", "*.png", "*.webp", "*.gif", "*.mp4", "*.webm")
REQUIRED_FRONT_MATTER = ("title", "sdk", "sdk_version", "app_file")


def tracked_files(repo: Path = REPO) -> list[str]:
    """The repository's files as git lists them (committed or staged), POSIX paths."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    return sorted(name for name in listed.decode().split("\0") if name and (repo / name).is_file())


def space_files(files: list[str]) -> list[str]:
    """The subset of ``files`` the Space holds.

    Example:
        >>> space_files(["app.py", "tests/test_app.py", "bgremover/io.py", "models/x/model.safetensors"])
        ['app.py', 'bgremover/io.py']
    """
    return [
        name
        for name in files
        if any(name == item or (item.endswith("/") and name.startswith(item)) for item in INCLUDE)
        and not any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDE)
    ]


def gitattributes() -> str:
    return "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in LFS_PATTERNS)


def front_matter(readme: Path) -> dict:
    """The YAML block between the README's leading ``---`` lines ({} when there is none)."""
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    block, sep, _ = text[4:].partition("\n---\n")
    return (yaml.safe_load(block) or {}) if sep else {}


def pinned(requirements: Path, name: str) -> str | None:
    """The version ``requirements`` pins ``name`` to (``name==X``), else None."""
    for line in requirements.read_text().splitlines():
        spec = line.split("#")[0].strip()
        if spec.lower().startswith(f"{name.lower()}=="):
            return spec.split("==", 1)[1].strip()
    return None


def lfs_patterns(tree: Path) -> list[str]:
    path = tree / ".gitattributes"
    if not path.is_file():
        return []
    return [line.split()[0] for line in path.read_text().splitlines() if "filter=lfs" in line]


def is_binary(path: Path) -> bool:
    """Git's rule: a NUL byte in the first 8,000 bytes."""
    with open(path, "rb") as stream:
        return b"\0" in stream.read(8000)


def check_space(tree: Path) -> list[str]:
    """Everything that would stop the Hub from taking ``tree`` or the Space from starting (empty: fine)."""
    problems = []
    meta = front_matter(tree / "README.md")
    problems += [f"README.md front matter lacks {key}" for key in REQUIRED_FRONT_MATTER if key not in meta]
    if meta.get("sdk") not in (None, "gradio"):
        problems.append(f"README.md front matter: sdk is {meta['sdk']!r}, the app is a gradio app")
    app_file = meta.get("app_file")
    if app_file and not (tree / app_file).is_file():
        problems.append(f"README.md front matter: app_file {app_file} is not in the Space")
    requirements = tree / "requirements.txt"
    if not requirements.is_file():
        problems.append("requirements.txt is missing")
    elif meta.get("sdk_version") and str(meta["sdk_version"]) != pinned(requirements, "gradio"):
        problems.append(
            f"README.md says sdk_version {meta['sdk_version']}, requirements.txt pins gradio "
            f"{pinned(requirements, 'gradio')}"
        )
    patterns = lfs_patterns(tree)
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and ".git" not in p.relative_to(tree).parts):
        name = path.relative_to(tree).as_posix()
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            continue
        if path.stat().st_size > MAX_PLAIN_BYTES:
            problems.append(f"{name} is {path.stat().st_size / 1e6:.1f} MB and not stored through LFS")
        elif is_binary(path):
            problems.append(f"{name} is binary and not stored through LFS")
    return problems


def build(out: Path, repo: Path = REPO) -> Path:
    """Write the Space's tree into ``out`` (emptied first) and check it; raises on a problem."""
    if out.exists():
        shutil.rmtree(out)
    for name in space_files(tracked_files(repo)):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    (out / ".gitattributes").write_text(gitattributes())
    problems = check_space(out)
    if problems:
        raise SystemExit("the Space would be refused or would not start:\n  " + "\n  ".join(problems))
    return out


def push(repo_id: str, out: Path, private: bool = False) -> str:
    """Build, check and upload the tree to the Space ``repo_id`` (created if missing); returns its URL."""
    from huggingface_hub import HfApi

    build(out)
    api = HfApi()
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=out, commit_message="Update the app")
    return f"https://huggingface.co/spaces/{repo_id}"


def requirement_closure(requirements: Path) -> set[str]:
    """The distributions ``requirements`` installs here, with everything they depend on (markers
    evaluated for this interpreter, extras followed), as normalised names."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = []
    for line in requirements.read_text().splitlines():
        spec = line.split("#")[0].strip()
        if spec and not spec.startswith("-"):
            wanted.append((Requirement(spec), ""))
    found: set[str] = set()
    while wanted:
        requirement, extra = wanted.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            raise SystemExit(f"{name} (from {requirements.name}) is not installed here") from None
        extras = ["", *sorted(requirement.extras)]
        key = f"{name}[{','.join(extras[1:])}]"
        if key in found:
            continue
        found.add(key)
        for child in dist.requires or []:
            for requested in extras:
                wanted.append((Requirement(child), requested))
    return {key.split("[")[0] for key in found}


def runtime_venv(requirements: Path, target: Path) -> Path:
    """A fresh virtual environment at ``target`` holding only the distributions ``requirements``
    needs, linked from this environment's installs (nothing downloaded): what a Space built from the
    tree would have. Returns its Python."""
    import sysconfig
    from importlib.metadata import distribution

    if target.exists():
        shutil.rmtree(target)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = target / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    here = Path(sysconfig.get_paths()["purelib"])
    for name in requirement_closure(requirements):
        dist = distribution(name)
        tops = {Path(entry.split(",")[0]).parts[0] for entry in (dist.read_text("RECORD") or "").splitlines()}
        for top in sorted(tops - {"..", ""}):
            if (here / top).exists() and not (site / top).exists():
                (site / top).symlink_to(here / top)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    built = sub.add_parser("build", help="write the Space's tree and check it")
    built.add_argument("out", type=Path)
    pushed = sub.add_parser("push", help="build, check and upload to a Space")
    pushed.add_argument("--repo-id", required=True, help="USER/NAME of the Space")
    pushed.add_argument("--out", type=Path, default=REPO / "dist" / "space")
    pushed.add_argument("--private", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"Space tree in {build(args.out)}")
    else:
        print(push(args.repo_id, args.out, args.private))
    return 0


if __name__ == "__main__":
    sys.exit(main())
