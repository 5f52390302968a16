#!/usr/bin/env python3
"""Peer models for the learning-quality benchmark: River and Vowpal Wabbit, each
configured the way its own documentation recommends, scored on exactly the
label events streamtune sees.

    PY=$(bash scripts/river-venv.sh)
    $PY bench/quality/peers.py EVENTS.jsonl [MORE.jsonl ...] --task classification --prefix 300
        [--models ARF,vw] [--lag 16] [--max-seconds-per-model 0] [--jobs 1]

Input: raw label events, one JSON object a line ({"input":{"features":[...]}} or
{"input":{"text":"..."}}, "label"), read in file order; several files are read
one after the other (e.g. data/digits/base.jsonl data/digits/stream.jsonl).

Protocols, per model, each on a fresh model: learn the first N (--prefix)
events without scoring them (the same information streamtune gets from its base
set), then
  - primary: predict-then-learn one event at a time (progressive validation,
    the standard prequential protocol) on every remaining event;
  - lagged (--lag L, 0 to skip): predict L events, then learn those L, as
    streamtune's trainer does with its micro-batches.
The score is the accuracy (classification) or the mean absolute error
(regression) over the remaining events; eps is remaining events per second of
that scored predict+learn loop.

Output: one JSON line
    {"river": {NAME: {"score": x, "eps": y, "score_lagged": x, "eps_lagged": y}, ...},
     "river_best": {"model": NAME, "score": x}, "river_best_lagged": {...},
     "vw": {ARGS: {...}, ...},
     "peer_best": {"system": "river"|"vw", "model": NAME, "score": x}, "peer_best_lagged": {...},
     "timed_out": ["river:NAME", "vw:ARGS (lagged)", ...],
     "task": ..., "input": "features"|"text", "events": n, "prefix": N, "lag": L, "seconds": t}
With --max-seconds-per-model S > 0 (the same budget bench:quality gives
streamtune; 0, the default, is none), a model that runs out stops and reports
{"score": null, "eps": y, "note": "timed out after S s on K events"} and is
listed in "timed_out", never dropped silently; one whose predictions stop being
finite numbers reports score null with a note too. The *_best fields are the
best of the models that finished.
"""
import argparse
import json
import math
import multiprocessing
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

# --------------------------------------------------------------------- events


@dataclass
class Stream:
    xs: list  # dict {feature index: value} per event, or the event's text
    ys: list  # class strings (classification) or floats (regression)
    kind: str  # "features" or "text"
    labels: list  # sorted distinct classes ([] for regression)


def read_events(paths: list[str], task: str) -> Stream:
    xs, ys, kind = [], [], None
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                ev = json.loads(line)
                inp = ev["input"]
                if "features" in inp:
                    this = "features"
                    # Dense dict, zeros included: River's StandardScaler treats a
                    # missing key as "not seen", so dropping zeros would skew its
                    # running means; the models here are all dense-capable.
                    x = {i: float(v) for i, v in enumerate(inp["features"])}
                elif "text" in inp:
                    this, x = "text", str(inp["text"])
                else:
                    sys.exit(f"{path}: event {ev.get('id')} has neither input.features nor input.text")
                if kind not in (None, this):
                    sys.exit(f"{path}: mixes feature and text events")
                kind = this
                xs.append(x)
                ys.append(float(ev["label"]) if task == "regression" else str(ev["label"]))
    if not xs:
        sys.exit("no events")
    labels = [] if task == "regression" else sorted(set(ys))
    return Stream(xs, ys, kind, labels)


# ------------------------------------------------------------------ the peers
# A peer is a name plus a factory returning an object with predict(x) and
# learn(x, y) in terms of the stream's own labels; adapters below translate to
# each library's label conventions.


class RiverPeer:
    """A River model used as is: classifiers and regressors that take the
    stream's labels directly."""

    def __init__(self, model):
        self.model = model

    def predict(self, x):
        return self.model.predict_one(x)

    def learn(self, x, y):
        self.model.learn_one(x, y)


class RiverBinaryPeer(RiverPeer):
    """River's LogisticRegression is a binary classifier on booleans: map the
    positive class (the second of the two sorted labels) to True and back."""

    def __init__(self, model, labels):
        super().__init__(model)
        self.neg, self.pos = labels

    def predict(self, x):
        p = self.model.predict_one(x)
        return None if p is None else (self.pos if p else self.neg)

    def learn(self, x, y):
        self.model.learn_one(x, y == self.pos)


def river_peers(task: str, s: Stream) -> dict[str, Callable[[], Any]]:
    """River pipelines, named "Step|Step". Hyper-parameters are River's
    defaults or those of River's docstring examples / benchmark suite
    (benchmarks/ in the River repository), with seeds fixed."""
    from river import feature_extraction, forest, linear_model, multiclass, naive_bayes, neighbors
    from river import preprocessing as pp
    from river import tree

    binary = len(s.labels) == 2

    def logreg(name_prefix, first_step):
        # LogisticRegression is binary; River's docs wrap it in OneVsRest for more classes.
        if binary:
            return {f"{name_prefix}|LogisticRegression": lambda: RiverBinaryPeer(first_step() | linear_model.LogisticRegression(), s.labels)}
        return {
            f"{name_prefix}|LogisticRegression(OvR)": lambda: RiverPeer(
                first_step() | multiclass.OneVsRestClassifier(linear_model.LogisticRegression())
            )
        }

    if task == "classification" and s.kind == "text":
        # River's text recipes: word counts into naive Bayes, TF-IDF into a linear model.
        # (Tree ensembles on a growing bag-of-words vocabulary are neither
        # recommended by River nor tractable here, so they are left out.)
        peers = {
            "BagOfWords|MultinomialNB": lambda: RiverPeer(
                feature_extraction.BagOfWords(lowercase=True) | naive_bayes.MultinomialNB(alpha=1)
            ),
            "BagOfWords|ComplementNB": lambda: RiverPeer(
                feature_extraction.BagOfWords(lowercase=True) | naive_bayes.ComplementNB(alpha=1)
            ),
        }
        peers.update(logreg("TFIDF", feature_extraction.TFIDF))
        return peers

    if task == "classification":
        peers = logreg("StandardScaler", pp.StandardScaler)
        if not binary:
            # River's docs example for ImageSegments; cheaper than OvR with K models.
            peers["StandardScaler|SoftmaxRegression"] = lambda: RiverPeer(pp.StandardScaler() | linear_model.SoftmaxRegression())
        peers.update(
            {
                "GaussianNB": lambda: RiverPeer(naive_bayes.GaussianNB()),
                # KNN as in River's KNNClassifier docs example: scaled inputs,
                # SWINN approximate search (keeps the last 1,000 events) with L1 distance.
                "StandardScaler|KNNClassifier(SWINN,L1)": lambda: RiverPeer(pp.StandardScaler() | neighbors.KNNClassifier(engine=_swinn())),
                # Trees take raw features (splits are scale-free), as in River's docs.
                "HoeffdingAdaptiveTreeClassifier": lambda: RiverPeer(tree.HoeffdingAdaptiveTreeClassifier(seed=42)),
                "ARFClassifier": lambda: RiverPeer(forest.ARFClassifier(seed=42)),
                "AMFClassifier": lambda: RiverPeer(forest.AMFClassifier(seed=42)),
            }
        )
        return peers

    if s.kind == "text":
        sys.exit("text regression is not supported")
    return {
        "StandardScaler|LinearRegression": lambda: RiverPeer(pp.StandardScaler() | linear_model.LinearRegression()),
        # Same model learning a standardised target: it converges faster when the
        # target is far from 0 with a spread far from 1 (diabetes: ~150 ± 77),
        # and is kept as a separate entry so a divergence would show as its own
        # null score instead of spoiling the plain pipeline's.
        "StandardScaler|TargetStandardScaler(LinearRegression)": lambda: RiverPeer(
            pp.StandardScaler() | pp.TargetStandardScaler(regressor=linear_model.LinearRegression())
        ),
        "StandardScaler|KNNRegressor(SWINN,L1)": lambda: RiverPeer(pp.StandardScaler() | neighbors.KNNRegressor(engine=_swinn())),
        "StandardScaler|HoeffdingAdaptiveTreeRegressor": lambda: RiverPeer(
            pp.StandardScaler() | tree.HoeffdingAdaptiveTreeRegressor(seed=42)
        ),
        "StandardScaler|ARFRegressor": lambda: RiverPeer(pp.StandardScaler() | forest.ARFRegressor(seed=42)),
        "AMFRegressor": lambda: RiverPeer(forest.AMFRegressor(seed=42)),
    }


def _swinn():
    import functools

    from river import neighbors, utils

    return neighbors.SWINN(dist_func=functools.partial(utils.math.minkowski_distance, p=1), seed=42)


class VWPeer:
    """Vowpal Wabbit through its Python Workspace, one example at a time:
    predict on the unlabelled example, then learn on the labelled one.
    Numeric features go in namespace "f" as x0:v x1:v ... (zeros dropped: VW
    is sparse, an absent feature is 0); text goes in namespace "t" as
    lowercased whitespace tokens with "|", ":" (VW syntax) and "%" escaped."""

    def __init__(self, args: str, task: str, s: Stream):
        from vowpalwabbit import Workspace

        self.ws = Workspace(args + " --quiet")
        self.task, self.kind, self.labels = task, s.kind, s.labels
        self.index = {c: i + 1 for i, c in enumerate(s.labels)}  # --oaa labels are 1..K
        self.binary = task == "classification" and len(s.labels) == 2
        self.link_logistic = "--link logistic" in args

    def features(self, x) -> str:
        if self.kind == "text":
            toks = (t.lower().replace("%", "%25").replace("|", "%7C").replace(":", "%3A") for t in x.split())
            return "|t " + " ".join(toks)
        return "|f " + " ".join(f"x{i}:{v:.9g}" for i, v in x.items() if v != 0.0)

    def label(self, y) -> str:
        if self.task == "regression":
            return f"{y:.9g}"
        if self.binary:
            return "1" if y == self.labels[1] else "-1"
        return str(self.index[y])

    def predict(self, x):
        p = self.ws.predict(self.features(x))
        if self.task == "regression":
            return float(p)
        if self.binary:
            # With --link logistic the prediction is a probability, otherwise a margin.
            return self.labels[1] if p > (0.5 if self.link_logistic else 0.0) else self.labels[0]
        return self.labels[int(p) - 1] if 1 <= int(p) <= len(self.labels) else None

    def learn(self, x, y):
        self.ws.learn(f"{self.label(y)} {self.features(x)}")

    def close(self):
        self.ws.finish()


def vw_peers(task: str, s: Stream) -> dict[str, Callable[[], Any]]:
    """VW command lines per task, as VW's docs give them; VW's defaults
    (--adaptive --normalized --invariant updates) stay on. VW's plain defaults
    (squared loss; for binary tasks labels -1/1 and the sign of the margin)
    are always one of them. One variant each adds what VW's docs suggest for
    non-linear data: quadratic interactions (-q ff) for numeric features,
    bigrams (--ngram t2) for text."""
    if task == "regression":
        # Squared loss is VW's default loss: "--loss_function squared" is the plain defaults.
        args = ["--loss_function squared", "--loss_function squared -q ff"]
    elif len(s.labels) == 2:
        base = "--loss_function logistic --link logistic"
        args = [VW_DEFAULTS, base, f"{base} --ngram t2"] if s.kind == "text" else [VW_DEFAULTS, base, f"{base} -q ff"]
    else:
        k = len(s.labels)
        base = f"--oaa {k} --loss_function logistic"
        args = [f"--oaa {k}", base, f"{base} --ngram t2" if s.kind == "text" else f"{base} -q ff"]
    return {a: (lambda a=a: VWPeer("" if a == VW_DEFAULTS else a, task, s)) for a in args}


# The name under which VW with no arguments at all is reported.
VW_DEFAULTS = "(defaults)"


# ------------------------------------------------------------------ the runner


def run_one(task: str, s: Stream, prefix: int, factory: Callable, max_seconds: float, lag: int = 1) -> dict:
    """Learn the prefix unscored, then score the rest: predict `lag` events,
    then learn them (lag 1: the standard predict-then-learn). With a time
    limit (> 0), stop when it is reached (checked per event, so a slow model
    cannot hang the bench)."""
    t0 = time.perf_counter()
    over = (lambda: time.perf_counter() - t0 > max_seconds) if max_seconds > 0 else (lambda: False)
    model = factory()
    n = len(s.xs)
    note = None
    for i in range(min(prefix, n)):
        model.learn(s.xs[i], s.ys[i])
        if over():
            note = f"timed out after {max_seconds:g} s in the {prefix}-event prefix ({i + 1} events)"
            break
    hits, abs_err, scored = 0, 0.0, 0
    t_scored = time.perf_counter()
    if note is None:
        for start in range(prefix, n, lag):
            stop = min(start + lag, n)
            preds = [model.predict(s.xs[i]) for i in range(start, stop)]
            for i, p in zip(range(start, stop), preds):
                y = s.ys[i]
                if task == "regression":
                    # A regressor with no prediction yet counts as predicting 0.
                    abs_err += abs((0.0 if p is None else float(p)) - y)
                else:
                    hits += p == y
                model.learn(s.xs[i], y)
                scored += 1
            if over() and stop < n:
                note = f"timed out after {max_seconds:g} s on {scored} events"
                break
    elapsed = time.perf_counter() - t_scored
    if hasattr(model, "close"):
        model.close()
    eps = round(scored / elapsed, 1) if scored and elapsed > 0 else None
    if note is not None or scored == 0:
        return {"score": None, "eps": eps, "note": note or "no events after the prefix"}
    score = abs_err / scored if task == "regression" else hits / scored
    if not math.isfinite(score):
        return {"score": None, "eps": eps, "note": "diverged: predictions are not finite"}
    return {"score": round(score, 4), "eps": eps}


def run_both(task: str, s: Stream, prefix: int, factory: Callable, max_seconds: float, lag: int) -> dict:
    """The primary protocol's result, with the lagged one's beside it as *_lagged fields."""
    out = run_one(task, s, prefix, factory, max_seconds)
    if lag > 1:
        lagged = run_one(task, s, prefix, factory, max_seconds, lag)
        out.update({f"{k}_lagged": v for k, v in lagged.items()})
    return out


# Fork-inherited state for the worker processes: the stream is read once in the
# parent and shared copy-on-write instead of being pickled to every worker.
_JOB: dict = {}


def _work(key):
    system, name = key
    task, s, prefix, max_s, lag = _JOB["task"], _JOB["stream"], _JOB["prefix"], _JOB["max_s"], _JOB["lag"]
    factory = (river_peers if system == "river" else vw_peers)(task, s)[name]
    return key, run_both(task, s, prefix, factory, max_s, lag)


def selected(name: str, system: str, wanted: list[str] | None) -> bool:
    """--models takes comma-separated tokens; a token picks every model whose
    name contains it (case-insensitive), or a whole system ("river", "vw")."""
    if not wanted:
        return True
    low = name.lower()
    return any(w == system or w in low for w in wanted)


def best(results: dict, task: str, field: str = "score"):
    scored = [(r[field], name) for name, r in results.items() if r.get(field) is not None]
    if not scored:
        return None
    score, name = (min if task == "regression" else max)(scored, key=lambda t: t[0])
    return {"model": name, "score": score}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("events", nargs="+", help="JSONL label events, read in order")
    ap.add_argument("--task", required=True, choices=["classification", "regression"])
    ap.add_argument("--prefix", type=int, required=True, help="events learned before scoring starts")
    ap.add_argument("--models", default="", help="comma-separated name fragments, or river / vw")
    ap.add_argument("--lag", type=int, default=16, help="micro-batch of the lagged protocol; 0 or 1 skips it")
    ap.add_argument(
        "--max-seconds-per-model",
        type=float,
        default=0.0,
        help="time budget per model and protocol; 0 (default) is none",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="models run in parallel processes; 1 (default) keeps each model's eps free of contention",
    )
    a = ap.parse_args()

    t0 = time.perf_counter()
    s = read_events(a.events, a.task)
    if a.task == "classification" and len(s.labels) < 2:
        sys.exit("classification needs at least two classes")
    wanted = [w.strip().lower() for w in a.models.split(",") if w.strip()] or None
    keys = [("river", n) for n in river_peers(a.task, s) if selected(n, "river", wanted)]
    keys += [("vw", n) for n in vw_peers(a.task, s) if selected(n, "vw", wanted)]
    if not keys:
        sys.exit(f"--models {a.models!r} selects no model")

    _JOB.update(task=a.task, stream=s, prefix=a.prefix, max_s=a.max_seconds_per_model, lag=a.lag)
    if a.jobs > 1 and len(keys) > 1:
        with multiprocessing.get_context("fork").Pool(min(a.jobs, len(keys))) as pool:
            done = dict(pool.imap_unordered(_work, keys))
    else:
        done = dict(_work(k) for k in keys)

    out: dict[str, Any] = {"river": {}, "vw": {}}
    for system, name in keys:  # keep the declared order, whatever order jobs finished in
        out[system][name] = done[(system, name)]
        print(f"{system:5s} {name:55s} {json.dumps(done[(system, name)])}", file=sys.stderr)
    for suffix in ("", "_lagged") if a.lag > 1 else ("",):
        field = "score" + suffix
        out["river_best" + suffix] = best(out["river"], a.task, field)
        candidates = [dict(system=sys_, **b) for sys_ in ("river", "vw") if (b := best(out[sys_], a.task, field))]
        out["peer_best" + suffix] = (
            (min if a.task == "regression" else max)(candidates, key=lambda c: c["score"]) if candidates else None
        )
    out["timed_out"] = [
        f"{system}:{name}{suffix and ' (lagged)'}"
        for system, name in keys
        for suffix in ("", "_lagged")
        if "timed out" in (done[(system, name)].get("note" + suffix) or "")
    ]
    out.update(
        task=a.task,
        input=s.kind,
        events=len(s.xs),
        prefix=a.prefix,
        lag=a.lag,
        seconds=round(time.perf_counter() - t0, 1),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
