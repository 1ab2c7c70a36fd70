"""ngoso.vntext and vinorm side by side: throughput on news text and accuracy on NeMo's test cases.

    .venv/bin/python bench/vntext_vinorm.py [--seconds 3] [--tsv PATH] [--region north]
                                             [--show-failures] [--reinstall]

vinorm (PyPI, https://pypi.org/project/vinorm/) is NOT a dependency of ngoso.  This script installs
it for the benchmark alone, in a throwaway virtualenv at bench/out/vinorm-venv (git-ignored; reused
on later runs), and runs it there in a worker subprocess that receives the sentences as JSON on stdin
and answers with JSON on stdout.  Nothing of vinorm is imported into this interpreter.

Both sides get the same inputs:
  throughput  sentences/s over bench/data/news_vi.txt, split exactly as bench/vntext_speed.py does,
              timed with vntext_speed.rate() (its source is handed to the worker, so both sides are
              timed by the same code); the process is pinned to one CPU and the worker (and the
              binary it starts) inherit the pinning;
  accuracy    per category and overall on the TSV of bench/vntext_eval.py, scored by its tally()
              (same canon(), same EQUIVALENCES, strict and equiv columns).

vinorm.TTSnorm(text) writes ``text`` to input.txt inside its install folder, runs its bundled Linux
binary (vinorm/main) in a NEW PROCESS for every call, and reads output.txt back.  It is timed the
way a user calls it, TTSnorm(text) once per sentence with default options; one batched call on all
sentences joined by newlines is reported for information.

If vinorm cannot be installed or run, one line says why and the exit status is 0.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import vntext_eval  # noqa: E402  (also puts src/ on sys.path)
import vntext_speed  # noqa: E402
from ngoso.vntext import normalize  # noqa: E402

VENV = HERE / "out" / "vinorm-venv"
VINORM_SPEC = "vinorm==2.0.7"

# The worker runs inside VENV.  Protocol: one JSON object on stdin, one JSON object on stdout.
WORKER = r'''
import json, os, stat, sys, time, types

request = json.load(sys.stdin)
# vinorm's binary inherits stdout: keep the real stdout for the JSON answer and send anything the
# binary prints to stderr (the parent shows it only if something fails).
answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

try:
    import imp  # noqa: F401  (vinorm 2.0.7 uses imp.find_module, removed in Python 3.12)
except ImportError:
    import importlib.util
    shim = types.ModuleType("imp")
    def find_module(name, path=None):
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise ImportError(name)
        return None, os.path.dirname(spec.origin), None
    shim.find_module = find_module
    sys.modules["imp"] = shim

t0 = time.perf_counter()
import vinorm
from vinorm import TTSnorm
import_ms = (time.perf_counter() - t0) * 1000

folder = os.path.dirname(vinorm.__file__)
binary = os.path.join(folder, "main")
if not os.access(binary, os.X_OK):
    os.chmod(binary, os.stat(binary).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

namespace = {"time": time}
exec(request["rate_src"], namespace)   # vntext_speed.rate, the same timing code as the ngoso side
rate = namespace["rate"]
sentences = request["sentences"]

result = {"import_ms": import_ms, "folder": folder}
result["per_call"] = rate(TTSnorm, sentences, request["seconds"])
t0 = time.perf_counter()
TTSnorm("\n".join(sentences))
result["batched"] = len(sentences) / (time.perf_counter() - t0)
result["outputs"] = {name: [TTSnorm(s, **kwargs) for s in request["cases"]]
                     for name, kwargs in request["variants"].items()}
json.dump(result, answer, ensure_ascii=False)
answer.close()
'''

# Options under which vinorm is scored.  "default" is TTSnorm(text) as a user calls it;
# "unknown=False" is how `vntext_eval.py --vinorm` (and docs/vntext.md) scored it.
VARIANTS = {"default": {}, "unknown=False": {"unknown": False}}


class Unavailable(Exception):
    pass


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('vinorm'))"],
                           capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def ensure_vinorm(reinstall: bool) -> tuple[Path, str, str]:
    """Create or reuse the throwaway venv with vinorm; return (python, version, what was done)."""
    python = venv_python()
    wanted = VINORM_SPEC.partition("==")[2]
    version = None if reinstall else installed_version(python)
    if version and (not wanted or version == wanted):
        return python, version, "reused"
    if reinstall or not python.exists() or subprocess.run([str(python), "-c", "pass"],
                                                          capture_output=True).returncode != 0:
        made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], capture_output=True, text=True)
        if made.returncode != 0:
            raise Unavailable(f"could not create {VENV.relative_to(REPO)}: {last_line(made.stderr + made.stdout)}")
    try:
        pip = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", VINORM_SPEC],
                             capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"pip install {VINORM_SPEC} timed out after 900 s (package index unreachable?)") from None
    version = installed_version(python)
    if pip.returncode != 0 or not version:
        raise Unavailable(f"pip install {VINORM_SPEC} failed: {last_line(pip.stderr + pip.stdout)}")
    return python, version, "installed"


def run_worker(python: Path, request: dict) -> dict:
    proc = subprocess.run([str(python), "-c", WORKER], input=json.dumps(request, ensure_ascii=False),
                          capture_output=True, text=True, encoding="utf-8", cwd=str(VENV))
    if proc.returncode != 0:
        raise Unavailable(f"vinorm worker failed (exit {proc.returncode}): {last_line(proc.stderr)}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise Unavailable(f"vinorm worker returned no JSON: {last_line(proc.stdout + proc.stderr)}") from None


def totals(per_cat: dict[str, Counter]) -> Counter:
    total = Counter()
    for c in per_cat.values():
        total.update(c)
    return total


def pct(c: Counter, key: str) -> str:
    return f"{100 * c[key] / c['n']:5.1f}%" if c["n"] else "   - "


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    ap.add_argument("--tsv", type=Path, default=vntext_eval.DEFAULT_TSV, help=f"default: {vntext_eval.DEFAULT_TSV}")
    ap.add_argument("--region", default="north", help="ngoso.vntext region (vinorm has none)")
    ap.add_argument("--show-failures", action="store_true", help="list vinorm's failures (default call)")
    ap.add_argument("--reinstall", action="store_true", help=f"recreate {VENV.relative_to(REPO)}")
    args = ap.parse_args(argv)
    if not args.tsv.exists():
        print(f"TSV not found: {args.tsv} (pass --tsv PATH)", file=sys.stderr)
        return 2

    sentences = vntext_speed.load_sentences()
    rows = vntext_eval.load(args.tsv)
    cases = [inp for inp, _, _ in rows]

    try:
        python, version, how = ensure_vinorm(args.reinstall)
        pinned = vntext_speed.pin_one_core()  # before the worker starts, so it inherits the affinity
        theirs = run_worker(python, {
            "rate_src": inspect.getsource(vntext_speed.rate), "seconds": args.seconds,
            "sentences": sentences, "cases": cases, "variants": VARIANTS,
        })
    except (Unavailable, OSError) as exc:
        print(f"vinorm comparison skipped: {exc}")
        return 0
    if any(len(out) != len(cases) for out in theirs["outputs"].values()):
        print("vinorm comparison skipped: the worker returned a different number of outputs than cases")
        return 0

    ours_rate = vntext_speed.rate(normalize, sentences, args.seconds)
    t0 = time.perf_counter()
    ours_out = [normalize(s, region=args.region) for s in cases]
    ours_eval_ms = (time.perf_counter() - t0) * 1000

    print(f"vinorm {version} ({how}) in {VENV.relative_to(REPO)}, run by a worker subprocess; {pinned} "
          f"(the worker and vinorm's binary inherit it)")
    print(f"ngoso.vntext: region={args.region}; vinorm: TTSnorm(text) with its defaults "
          "(punc=False, unknown=True, lower=True, rule=False)")

    print(f"\n== throughput: {len(sentences)} sentences of {vntext_speed.DATA.relative_to(REPO)}, one core ==")
    per_call, batched = theirs["per_call"], theirs["batched"]
    print(f"{'ngoso.vntext normalize(s), per sentence':<44} {ours_rate:>10,.0f} sentences/s  "
          f"{1e6 / ours_rate:>10,.1f} µs/sentence")
    print(f"{'vinorm TTSnorm(s), per sentence':<44} {per_call:>10,.1f} sentences/s  "
          f"{1e6 / per_call:>10,.1f} µs/sentence   ngoso {ours_rate / per_call:,.0f}x faster")
    print(f"{'vinorm TTSnorm(all lines), one batched call':<44} {batched:>10,.1f} sentences/s  "
          f"{1e6 / batched:>10,.1f} µs/sentence   ngoso {ours_rate / batched:,.0f}x faster")
    print("note: every TTSnorm() call starts a new process of vinorm's binary (vinorm/main) and passes the "
          "text through input.txt/output.txt in its install folder; the per-sentence row is how a user "
          "calls it and includes that process start. Batched output is only joined text, shown for scale. "
          f"Python start-up and 'import vinorm' ({theirs['import_ms']:.0f} ms) are excluded.")

    # Accuracy: exactly vntext_eval's comparison (canon + EQUIVALENCES, via tally()) on both sides.
    scored = {"ngoso.vntext": vntext_eval.tally(rows, ours_out)}
    for name, outputs in theirs["outputs"].items():
        scored[f"vinorm {name}" if name != "default" else "vinorm"] = vntext_eval.tally(rows, outputs)
    labels = list(scored)
    cats = sorted({cat for _, _, cat in rows})
    print(f"\n== accuracy: {len(rows)} cases of {args.tsv.name}, scored by bench/vntext_eval.py "
          "(strict / equiv) ==")
    width = max(15, *map(len, labels))
    print(f"{'category':<10} {'n':>4}  " + "  ".join(f"{label:>{width}}" for label in labels))
    for cat in cats + ["overall"]:
        cells = []
        for label in labels:
            per_cat = scored[label][0]
            c = totals(per_cat) if cat == "overall" else per_cat[cat]
            cells.append(f"{pct(c, 'strict')} / {pct(c, 'equiv')}".rjust(width))
        n = len(rows) if cat == "overall" else sum(1 for r in rows if r[2] == cat)
        print(f"{cat:<10} {n:>4}  " + "  ".join(cells))
    print("equivalences needed (cases passing only with that one):")
    for name in vntext_eval.EQUIVALENCES:
        counts = [scored[label][1][name] for label in labels]
        if any(counts):
            print(f"  {name:<14} " + "  ".join(f"{c:>{width}}" for c in counts))
    print(f"eval run time: ngoso.vntext {ours_eval_ms:,.0f} ms for {len(rows)} cases (vinorm is not timed here)")
    print("normalisation before comparing: none beyond vntext_eval's canon(), applied equally to both sides "
          "(NFC, lower-case, punctuation removed, whitespace collapsed). vinorm lower-cases its output and "
          "appends ' .'/'. ' sentence marks; canon() removes both, so no extra step was needed. Caveat: the "
          "'letters' equivalence spells single letters and UPPER-CASE acronyms only, so it cannot help with "
          "vinorm's lower-cased acronyms ('gmt').")

    if args.show_failures:
        failures = scored["vinorm"][2]
        print(f"\nvinorm failures, default call ({len(failures)}):")
        for cat, inp, exp, out in failures:
            print(f"[{cat}] {inp!r}\n    NeMo:   {exp}\n    vinorm: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
