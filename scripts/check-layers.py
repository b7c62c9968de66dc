#!/usr/bin/env python3
"""Floors that only look down: every #include "..." of a room must name a file of that room or
of a room below it (README, "Design"). The same order as the rooms' CMake link lines.

    scripts/check-layers.py [ROOT]

Exits 1 and names each offending include; prints the floors and the count of includes checked
otherwise. tests/ and bench/ may include anything; a room's own tests live in tests/<room>/.
"""
import os
import re
import sys

# Each room and the rooms it may include from (besides itself). Lower floors first.
FLOORS = {
    "scenarios": [],
    "host/model": [],
    "host/base": ["host/model"],
    "host/market": ["host/model", "host/base", "scenarios"],
    "host/engine": ["host/model", "host/base", "host/market", "scenarios"],
    "cuda": ["host/engine", "host/model", "host/base", "host/market", "scenarios"],
    "host/margin": ["cuda", "host/engine", "host/market", "host/model", "host/base", "scenarios"],
    "host/backtest": ["host/margin", "host/engine", "host/market", "host/model", "host/base", "scenarios"],
    "host/synthetic": ["host/engine", "host/market", "host/model", "host/base", "scenarios"],
    "host/clearing": ["host/margin", "host/engine", "host/market", "host/model", "host/base", "scenarios"],
    "host/intraday": ["host/margin", "host/engine", "host/market", "host/model", "host/base", "scenarios"],
    "api/json": ["host/intraday", "host/clearing", "host/backtest", "host/margin", "host/engine", "host/market", "host/model", "host/base",
                 "scenarios"],
    "api/report": ["api/json", "host/intraday", "host/clearing", "host/backtest", "host/margin", "host/engine", "host/market",
                   "host/model", "host/base", "scenarios"],
    "api/http": ["api/report", "api/json", "host/intraday", "host/clearing", "host/margin", "host/engine", "host/market", "host/model", "host/base",
                 "scenarios"],
    "api/mpi": ["api/json", "host/intraday", "host/clearing", "host/backtest", "host/margin", "host/engine", "host/market",
                "host/model", "host/base", "scenarios"],
    "api/cli": ["api/mpi", "api/http", "api/report", "api/json", "host/intraday", "host/clearing", "host/synthetic", "host/backtest", "host/margin", "host/engine",
                "host/market", "host/model", "host/base", "scenarios"],
    "api": ["api/cli"],  # main.cpp
}
SOURCES = (".h", ".cpp", ".cu", ".cuh")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def room_of(path):
    """The longest room prefix of a repository path, or None (tests, bench, tools)."""
    best = None
    for room in FLOORS:
        if path == room or path.startswith(room + "/"):
            if best is None or len(room) > len(best):
                best = room
    # api/ itself holds only main.cpp; files of api/<x>/ belong to their room.
    return best


def self_test():
    """The checker must catch an upward include and pass a downward one."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        write("host/model/A.h", "#pragma once\n")
        write("host/engine/B.h", '#include "host/model/A.h"\n')
        ok = subprocess.run([sys.executable, __file__, root], capture_output=True, text=True)
        write("scenarios/C.h", '#include "host/engine/B.h"\n')
        bad = subprocess.run([sys.executable, __file__, root], capture_output=True, text=True)
    if ok.returncode != 0 or bad.returncode != 1 or "scenarios/C.h:1" not in bad.stdout:
        print("self-test failed:", ok.stdout, bad.stdout)
        return 1
    print("check-layers self-test: a downward include passes, an upward one is named")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test()
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    problems, checked = [], 0
    for top in ("scenarios", "host", "cuda", "api"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                room = room_of(path)
                if room is None:
                    problems.append(f"{path}: in no room (add its folder to FLOORS)")
                    continue
                with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    target = m.group(1)
                    checked += 1
                    target_room = room_of(target)
                    if target_room is None:
                        problems.append(f"{path}: includes \"{target}\", which is in no room")
                    elif target_room != room and target_room not in FLOORS[room]:
                        line = text.count("\n", 0, m.start()) + 1
                        problems.append(f"{path}:{line}: {room} may not include \"{target}\" ({target_room} is not "
                                        f"below it; it may use: {', '.join(FLOORS[room]) or 'nothing'})")
    if problems:
        print("\n".join(problems))
        print(f"check-layers: {len(problems)} include(s) break the floors")
        return 1
    print(f"check-layers: {checked} includes in {len(FLOORS)} rooms, every one looks down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
