"""What every example and benchmark script shares: the common flags and the final JSON line.

    parser = argparse.ArgumentParser(description=...)
    add_common_args(parser, epochs=200, runs=10)      # --root --runs --epochs --seed --quiet
    args = parser.parse_args()
    runs = [one_run(args, seed=args.seed + r) for r in range(args.runs)]   # dicts of metrics
    print_json_line({"dataset": "cora", "runs": args.runs, **summarize(runs)})

The scripts' conventions (README and the style guide): ``--root DIR`` (data; default
``$GRAPHLEARN_DATA`` or ``../shared/datasets``), ``--runs N``, ``--epochs N`` where it
trains, ``--seed S`` (run ``r`` uses ``seed + r``), ``--quiet`` (no progress bars), and
exactly one JSON line at the end, with ``{"mean", "std"}`` per metric over the runs.
This module imports no torch, so scripts that do not train can use it too.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from typing import IO, Any, Dict, Mapping, Optional, Sequence

from graphlearn import _validate

__all__ = ["add_common_args", "add_ncn_args", "override", "run_seeds", "integer_type", "real_type", "reals_type", "seed_type", "summarize",
           "print_json_line"]

SEED_MAX = _validate.SEED_MAX

_DEFAULT = object()


def add_common_args(parser: argparse.ArgumentParser, *, epochs: Optional[int] = None, runs: int = 1, seed: int = 0,
                    root: Any = _DEFAULT, root_help: Optional[str] = None) -> argparse.ArgumentParser:
    """Adds ``--root``, ``--runs``, ``--epochs`` (only when ``epochs`` is given: the
    default epoch count), ``--seed`` and ``--quiet`` to ``parser``.

    Args:
        epochs: default of ``--epochs``; None: the script does not train, no flag.
        runs, seed: defaults of ``--runs`` and ``--seed``.
        root: default of ``--root``; by default ``$GRAPHLEARN_DATA`` or
            ``../shared/datasets`` (:func:`graphlearn.datasets.default_root`). None
            leaves the choice to the loader (e.g. the Cora bundled with graphlearn).
        root_help: help text of ``--root`` when the default is not the usual one.
    """
    from graphlearn.datasets._paths import default_root

    if root is _DEFAULT:
        root = default_root()
        help_text = root_help or "data folder (default: $GRAPHLEARN_DATA or ../shared/datasets, here %(default)s)"
    else:
        help_text = root_help or "data folder (default: %(default)s)"
    parser.add_argument("--root", default=root, help=help_text)
    parser.add_argument("--runs", type=_positive, default=runs, help="independent runs, seeds seed..seed+runs-1 "
                                                                    "(default %(default)s)")
    if epochs is not None:
        parser.add_argument("--epochs", type=_positive, default=epochs, help="training epochs (default %(default)s)")
    parser.add_argument("--seed", type=seed_type(), default=seed,
                        help="seed of the first run, in [0, 2**63 - 1] (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


# argparse types: graphlearn._validate's checks (torch-free), worded as argparse errors.


def integer_type(min: Optional[int] = 1, max: Optional[int] = None):
    """An argparse ``type=``: an integer in ``[min, max]`` (``3.0`` and ``1e3`` are not
    integers), refused with argparse's one-line ``argument --x: ...`` message."""
    return _validate.arg_type(lambda v, n: _validate.integer(v, n, min=min, max=max), int,
                              f"an integer{_validate._bounds(min, max)}")


def seed_type():
    """An argparse ``type=`` for seeds: an integer in ``[0, 2**63 - 1]``."""
    return integer_type(0, SEED_MAX)


def real_type(min: Optional[float] = None, max: Optional[float] = None, *, min_open: bool = False,
              max_open: bool = False):
    """An argparse ``type=``: a finite number in the interval (ends open when asked)."""
    return _validate.arg_type(lambda v, n: _validate.real(v, n, min=min, max=max, min_open=min_open,
                                                          max_open=max_open), float, "a number")


def reals_type(min: Optional[float] = None, max: Optional[float] = None, *, min_open: bool = False,
               max_open: bool = False):
    """An argparse ``type=``: a comma-separated list of numbers, each as :func:`real_type`."""
    one = real_type(min, max, min_open=min_open, max_open=max_open)

    def parse(text: str):
        parts = [t.strip() for t in text.split(",")]
        if not text.strip() or any(not t for t in parts):
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
        return [one(t) for t in parts]

    parse.__name__ = "numbers"
    return parse


_positive = integer_type(1)

# the NCN authors' hyper-parameter flags (GraphPKU/NeuralCommonNeighbor), shared by the NCN examples
NCN_DROPOUTS = ("xdp", "tdp", "gnndp", "gnnedp", "preedp", "predp")


def add_ncn_args(parser: argparse.ArgumentParser) -> None:
    """The NCN/NCNC flags under the authors' names, every default None (meaning: the
    authors' value for the data set, see :func:`override`): the dropouts (``--xdp``
    input, ``--tdp`` after the last propagation, ``--gnndp`` encoder, ``--gnnedp`` edge
    dropout of the encoder's graph, ``--preedp`` of the predictor's, ``--predp``
    predictor), the learning rates (``--gnnlr``, ``--prelr``), ``--batch-size``,
    ``--patience`` and NCNC's calibration (``--probscale``, ``--proboffset``, ``--pt``,
    ``--alpha``)."""
    authors = "(default: the authors' for the data set)"
    what = dict(xdp="input features", tdp="after the last propagation", gnndp="in the encoder",
                gnnedp="of the encoder graph's edges", preedp="of the predictor graph's edges",
                predp="in the predictor")
    for name in NCN_DROPOUTS:
        parser.add_argument(f"--{name}", type=real_type(0, 1, max_open=True), default=None,
                            help=f"dropout {what[name]} {authors}")
    for name, part in (("gnnlr", "encoder"), ("prelr", "predictor")):
        parser.add_argument(f"--{name}", type=real_type(0, min_open=True), default=None,
                            help=f"learning rate of the {part} {authors}")
    parser.add_argument("--batch-size", type=integer_type(1), default=None, help=f"training pairs per batch {authors}")
    parser.add_argument("--patience", type=integer_type(1), default=None, help="early stopping (default: none)")
    for name, part in (("probscale", "scale"), ("proboffset", "offset"), ("pt", "pt"), ("alpha", "alpha")):
        kind = real_type(0, 1) if name == "pt" else (real_type(0) if name == "alpha" else real_type())
        parser.add_argument(f"--{name}", type=kind, default=None, help=f"NCNC calibration {part} {authors}")


def override(defaults: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    """A copy of ``defaults`` with every key that ``args`` sets (not None) replaced."""
    out = dict(defaults)
    for key in out:
        if getattr(args, key, None) is not None:
            out[key] = getattr(args, key)
    return out


def run_seeds(args: argparse.Namespace, parser: Optional[argparse.ArgumentParser] = None) -> range:
    """The seeds of the runs, ``args.seed .. args.seed + args.runs - 1``; refuses (through
    ``parser.error``, exit status 2, else ValueError) when the last one passes 2**63 - 1."""
    last = args.seed + args.runs - 1
    if last > SEED_MAX:
        msg = f"argument --seed: --seed + --runs - 1 = {last} passes the largest seed {SEED_MAX}"
        if parser is not None:
            parser.error(msg)
        raise ValueError(msg)
    return range(args.seed, last + 1)


def _is_number(v: Any) -> bool:
    """A real number: int/float (not bool), or a numpy/torch scalar of a numeric dtype."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    dtype = str(getattr(v, "dtype", "bool"))
    return getattr(v, "ndim", None) == 0 and "bool" not in dtype and "complex" not in dtype


def summarize(runs: Sequence[Mapping[str, Any]], digits: Optional[int] = 4) -> Dict[str, Dict[str, float]]:
    """``{metric: {"mean": ..., "std": ...}}`` over runs (sample standard deviation; 0 for one run).

    Args:
        runs: one dict of metrics per run (numbers; other values are ignored). Every run
            must report the same metrics.
        digits: round mean and std to this many decimals (None: no rounding).

    Raises:
        ValueError: no runs, or runs that disagree on their metrics.
    """
    if not runs:
        raise ValueError("summarize needs at least one run")
    names = [k for k, v in runs[0].items() if _is_number(v)]
    for i, r in enumerate(runs):
        have = [k for k, v in r.items() if _is_number(v)]
        if sorted(have) != sorted(names):
            raise ValueError(f"run {i} reports metrics {sorted(have)}, run 0 reports {sorted(names)}")
    out: Dict[str, Dict[str, float]] = {}
    for k in names:
        values = [float(r[k]) for r in runs]
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        out[k] = {"mean": round(mean, digits), "std": round(std, digits)} if digits is not None else \
            {"mean": mean, "std": std}
    return out


def _plain(obj: Any) -> Any:
    """JSON-ready values: numpy/torch scalars -> Python numbers, tensors/arrays -> lists,
    NaN and infinities -> None (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # numpy / torch
        return _plain(obj.tolist())
    return obj


def print_json_line(result: Mapping[str, Any], file: Optional[IO[str]] = None) -> str:
    """Prints ``result`` as exactly one line of JSON (compact, keys in the given order)
    to ``file`` (default stdout), flushes, and returns the line."""
    line = json.dumps(_plain(result), allow_nan=False)
    out = sys.stdout if file is None else file
    print(line, file=out, flush=True)
    return line
