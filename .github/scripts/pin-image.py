#!/usr/bin/env python3
"""Pin one `images:` entry of a kustomization to an image DIGEST (the CI deploy job's bump).

    python3 .github/scripts/pin-image.py KUSTOMIZATION --name stock-backtest \
        --new-name ghcr.io/<owner>/stock-backtest --digest sha256:<64 hex> --tag <short sha>

The entry whose `name:` is NAME gets `newName: NEW_NAME` and `digest: DIGEST  # tag: TAG`; a
`newTag:` line is removed (a digest is immutable, a tag is not: the tag stays only as a comment for
people reading the file). Every other line, comments included, is kept byte for byte, so the deploy
commit's diff is exactly the pin. Idempotent. Exits 1 with a message when the file has no such
entry: a deploy must never be a silent no-op.

Standard library only (it runs on a bare GitHub runner before any project install); a line-based
edit because PyYAML would drop the file's comments. Tests: tests/deploy/test_deploy_workflow.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*$")  # no tag, no digest, lower case
TAG = re.compile(r"^[\w][\w.-]{0,127}$")
KEY = re.compile(
    r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z]+):\s*(?P<value>[^#]*?)\s*(#.*)?$"
)
PINNED_KEYS = {"newName", "newTag", "digest"}


class PinError(Exception):
    """The kustomization cannot be pinned as asked."""


def _images_block(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the lines below the top-level `images:` key."""
    for number, line in enumerate(lines):
        if re.match(r"^images:\s*(#.*)?$", line):
            end = number + 1
            while end < len(lines):
                text = lines[end]
                top_level = text[:1] not in ("", " ", "\t", "#", "-", "\n")
                if top_level:
                    break
                end += 1
            return number + 1, end
    raise PinError("no top-level `images:` list")


def _entries(lines: list[str], start: int, end: int) -> list[tuple[int, int, int]]:
    """(first line, end line, key column) of each list item in lines[start:end]."""
    items: list[tuple[int, int, int]] = []
    for number in range(start, end):
        match = re.match(r"^(\s*)-\s+", lines[number])
        if match:
            column = len(match.group(0))
            if items:
                items[-1] = (items[-1][0], number, items[-1][2])
            items.append((number, end, column))
    return items


def pin(text: str, name: str, new_name: str, digest: str, tag: str) -> str:
    """The kustomization text with the `name` entry pinned to new_name@digest."""
    if not DIGEST.match(digest):
        raise PinError(f"digest must be sha256:<64 lower-case hex>, got {digest!r}")
    if not IMAGE_NAME.match(new_name):
        raise PinError(f"new name must be a lower-case repository without tag, got {new_name!r}")
    if not TAG.match(tag):
        raise PinError(f"tag must be a plain image tag, got {tag!r}")
    lines = text.splitlines(keepends=True)
    start, end = _images_block(lines)
    for first, last, column in _entries(lines, start, end):
        keys = {}
        for number in range(first, last):
            match = KEY.match(lines[number])
            if match:
                keys[match.group("key")] = (number, match.group("value").strip("'\""))
        if keys.get("name", (None, None))[1] != name:
            continue
        pad = " " * column
        pinned = [f"{pad}newName: {new_name}\n", f"{pad}digest: {digest}  # tag: {tag}\n"]
        dropped = {keys[key][0] for key in PINNED_KEYS if key in keys}
        kept = [lines[number] for number in range(first, last) if number not in dropped]
        name_at = keys["name"][0] - first - sum(1 for n in dropped if n < keys["name"][0])
        if first in dropped:  # the item's `- ` line was a pinned key: the name line takes the dash
            kept[name_at] = lines[first][:column] + kept[name_at][column:]
        if not kept[name_at].endswith("\n"):  # the name was the file's last, unterminated line
            kept[name_at] += "\n"
        kept[name_at + 1 : name_at + 1] = pinned
        return "".join(lines[:first] + kept + lines[last:])
    raise PinError(f"no `images:` entry named {name!r}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kustomization", type=Path)
    parser.add_argument("--name", required=True, help="the entry's `name:` (the manifests' image)")
    parser.add_argument("--new-name", required=True, help="the registry repository, no tag")
    parser.add_argument("--digest", required=True, help="sha256:<hex> of the pushed image")
    parser.add_argument("--tag", required=True, help="the pushed tag, kept as a comment")
    args = parser.parse_args(argv)
    path: Path = args.kustomization
    try:
        text = path.read_text(encoding="utf-8")
        pinned = pin(text, args.name, args.new_name, args.digest, args.tag)
    except (OSError, PinError) as exc:
        print(f"pin-image: {path}: {exc}", file=sys.stderr)
        return 1
    if pinned != text:
        path.write_text(pinned, encoding="utf-8")
    print(f"pin-image: {path}: {args.name} -> {args.new_name}@{args.digest} (tag {args.tag})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
