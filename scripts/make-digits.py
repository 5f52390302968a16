#!/usr/bin/env python3
"""Rebuild data/digits/*.jsonl from the copy of the UCI optical digits data set
that ships inside scikit-learn's wheel on PyPI (nothing else is downloaded).

    python3 scripts/make-digits.py            # pip-downloads the pinned wheel into the cache
    python3 scripts/make-digits.py WHEEL.whl  # or uses a wheel you already have

The split is fixed (seed 7) so every run of the demo and the tests sees the same
base / stream / holdout events in the same order.
"""
import csv, gzip, io, json, os, random, subprocess, sys, tempfile, zipfile

SKLEARN = "1.5.2"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "digits")


def wheel_path() -> str:
    if len(sys.argv) > 1:
        return sys.argv[1]
    cache = os.path.join(os.environ.get("STREAMTUNE_CACHE", os.path.expanduser("~/.cache/streamtune")), "wheels")
    os.makedirs(cache, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.11", "--platform", "manylinux2014_x86_64",
                    f"scikit-learn=={SKLEARN}", "-d", cache], check=True)
    return next(os.path.join(cache, f) for f in os.listdir(cache) if f.startswith(f"scikit_learn-{SKLEARN}"))


def main() -> None:
    with zipfile.ZipFile(wheel_path()) as z:
        raw = gzip.decompress(z.read("sklearn/datasets/data/digits.csv.gz")).decode()
    rows = [[int(float(v)) for v in r] for r in csv.reader(io.StringIO(raw)) if r]
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    splits = {"base": order[:300], "holdout": order[300:600], "stream": order[600:]}
    os.makedirs(OUT, exist_ok=True)
    for name, idx in splits.items():
        with open(os.path.join(OUT, f"{name}.jsonl"), "w") as f:
            for i in idx:
                r = rows[i]
                f.write(json.dumps({"id": f"digits-{i:04d}", "input": {"features": r[:64]}, "label": str(r[64])},
                                   separators=(",", ":")) + "\n")
        print(f"{name}: {len(idx)} events")


if __name__ == "__main__":
    main()
