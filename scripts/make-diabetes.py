#!/usr/bin/env python3
"""Rebuild data/diabetes/diabetes.jsonl from the diabetes data set (Efron et al.,
2004, "Least Angle Regression") as shipped inside scikit-learn's wheel on PyPI
(BSD-3-Clause; nothing else is downloaded): 442 patients, 10 raw baseline
variables, target = disease progression one year later. Fixed order (seed 7).

    python3 scripts/make-diabetes.py            # pip-downloads the pinned wheel into the cache
    python3 scripts/make-diabetes.py WHEEL.whl  # or uses a wheel you already have
"""
import gzip, json, os, random, sys, zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util

spec = importlib.util.spec_from_file_location("make_digits", os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-digits.py"))
make_digits = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_digits)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "diabetes")


def main() -> None:
    with zipfile.ZipFile(make_digits.wheel_path()) as z:
        x = gzip.decompress(z.read("sklearn/datasets/data/diabetes_data_raw.csv.gz")).decode().split("\n")
        y = gzip.decompress(z.read("sklearn/datasets/data/diabetes_target.csv.gz")).decode().split("\n")
    xs = [[float(v) for v in line.split()] for line in x if line.strip()]
    ys = [float(v) for v in y if v.strip()]
    order = list(range(len(xs)))
    random.Random(7).shuffle(order)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "diabetes.jsonl"), "w") as f:
        for i in order:
            f.write(json.dumps({"id": f"diabetes-{i:03d}", "input": {"features": xs[i]}, "label": ys[i]}, separators=(",", ":")) + "\n")
    print(f"diabetes.jsonl: {len(order)} events")


if __name__ == "__main__":
    main()
