"""River's online baseline on the exact stream the TypeScript bench scored:
predict_one then learn_one per event, same order, same (already featurized) inputs.
Reads a JSONL of {"x": [...], "y": ...} and the task from argv; prints one JSON line."""
import json, sys

from river import linear_model, multiclass, optim, preprocessing


def main() -> None:
    path, task = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(path)]
    if task == "regression":
        model = preprocessing.TargetStandardScaler(regressor=linear_model.LinearRegression())
    elif len({r["y"] for r in rows}) > 2:
        model = multiclass.OneVsRestClassifier(linear_model.LogisticRegression())
    else:
        model = linear_model.LogisticRegression()
    hits, err, n = 0, 0.0, 0
    for r in rows:
        x = {i: v for i, v in enumerate(r["x"]) if v != 0}
        y = r["y"]
        if task == "regression":
            p = model.predict_one(x)
            err += abs((p or 0.0) - y)
        else:
            # LogisticRegression is binary: map the two labels to booleans.
            if not isinstance(model, multiclass.OneVsRestClassifier):
                first = rows[0]["y"]
                p = model.predict_one(x)
                hits += int(p == (y == first))
                model.learn_one(x, y == first)
                n += 1
                continue
            hits += int(model.predict_one(x) == y)
        model.learn_one(x, y)
        n += 1
    print(json.dumps({"events": n, "value": err / n if task == "regression" else hits / n, "model": type(model).__name__}))


if __name__ == "__main__":
    main()
