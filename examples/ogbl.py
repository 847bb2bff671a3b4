"""NCN / NCNC (Wang, Yang & Zhang, ICLR 2024) on the OGB link-prediction datasets.

    python examples/ogbl.py --dataset ogbl-ddi --model ncn                           # one epoch: ~8 min on 2 cores
    python examples/ogbl.py --dataset ogbl-ddi --model ncn --epochs 3                # ~25 min
    python examples/ogbl.py --dataset ogbl-ddi --model ncn --paper                   # the paper's setting (10 runs)
    python examples/ogbl.py --dataset ogbl-ddi --model ncnc --paper                  # NCN, then NCNC from it
    python examples/ogbl.py --dataset ogbl-collab --model ncnc
    python examples/ogbl.py --dataset ogbl-ppa --model ncn --root /data/ogb          # OGB's folders under /data/ogb

On 2 CPU cores one ogbl-ddi epoch of NCN takes about 7 to 8 minutes (44 batches of
24,576 edges at about 10 s each, then about 12 s to score the validation split), so the
authors' 100 epochs take about 12 hours there.

The protocol is OGB's: its fixed train/valid/test edges and its fixed negatives (shared
negatives for ddi, collab and ppa; 1000 target negatives per positive for citation2),
scored by :func:`graphlearn.linkpred.evaluate` (``protocol="ogb"``), whose metrics agree
with ``ogb.linkproppred.Evaluator``. The metric is OGB's: Hits@20 (ddi), Hits@50 (collab),
Hits@100 (ppa), MRR (citation2); the reported test value is the one at the epoch of best
validation metric. The data are read offline from OGB's folder layout
(:func:`graphlearn.datasets.load_ogb`; ``--root`` or ``$GRAPHLEARN_DATA``).

The defaults are the authors' per-data-set hyper-parameters (README of
GraphPKU/NeuralCommonNeighbor; their flag names: --xdp, --tdp, --gnndp, --gnnedp,
--preedp, --predp, --gnnlr, --prelr, --ln, --lnnn, --res, --use-xlin, --tailact,
--twolayerlin, --maskinput, --probscale, --proboffset, --pt, --alpha, --trndeg,
--tstdeg, --splitsize), each overridable by its flag. ogbl-ddi has no node features:
the encoder learns one embedding per node. NCNC on ogbl-ddi is the authors' two-stage
recipe: NCN is trained for ``--epochs``, then an NCNC predictor starts from NCN's trained
predictor and is trained for ``--ncnc-epochs`` on the frozen encoder
(``--ncnc-from-scratch`` trains NCNC directly instead). citation2 is directed; the
message-passing graph is its symmetrised training graph (as the authors do). collab
scores the test edges on the training graph plus the validation edges (OGB's
"validation edges as input").

Paper (10 runs): ogbl-ddi Hits@20 NCN 82.32 +- 6.10, NCNC 84.11 +- 3.67; ogbl-ppa
Hits@100 NCN 61.19 +- 0.85.

The last line is one JSON object: per model the mean/std over the runs of the test and
validation metric, the learning curve of every run (validation metric per epoch), the
best epochs, and seconds per epoch (training and validation).
"""
import argparse
import sys
import time

import torch

from graphlearn.linkpred import ogb_split
from graphlearn.nn import NCN
from graphlearn.nn.models.ncn import CONVS, NCNCPredictor
from graphlearn.train import seed_everything, train_link_predictor
from graphlearn.train.script import (add_common_args, add_ncn_args, integer_type, override, print_json_line,
                                     real_type, run_seeds, summarize)

# The authors' commands (README of GraphPKU/NeuralCommonNeighbor), in their flag names; the same
# for NCN and NCNC except on ddi, where NCNC is a second stage (ncnc_* entries).
SETTINGS = {
    "ogbl-ddi": dict(xdp=0.05, tdp=0.0, gnnedp=0.0, preedp=0.0, predp=0.6, gnndp=0.4, gnnlr=0.0021, prelr=0.0018,
                     batch_size=24576, ln=True, lnnn=True, conv="puresum", hidden=224, layers=1, use_xlin=True,
                     twolayerlin=True, res=True, tailact=False, maskinput=True, use_valedges_as_input=False,
                     probscale=10.0, proboffset=3.0, pt=0.1, alpha=0.5, splitsize=262144, trndeg=None,
                     tstdeg=None, epochs=100, ncnc_prelr=0.0025, ncnc_epochs=2),
    "ogbl-collab": dict(xdp=0.25, tdp=0.05, gnnedp=0.25, preedp=0.0, predp=0.3, gnndp=0.1, gnnlr=0.0082,
                        prelr=0.0037, batch_size=65536, ln=True, lnnn=True, conv="gcn", hidden=64, layers=1,
                        use_xlin=True, twolayerlin=False, res=True, tailact=True, maskinput=True,
                        use_valedges_as_input=True, probscale=2.5, proboffset=6.0, pt=0.1, alpha=1.05,
                        splitsize=None, trndeg=None, tstdeg=None, epochs=100),
    "ogbl-ppa": dict(xdp=0.0, tdp=0.0, gnnedp=0.1, preedp=0.0, predp=0.1, gnndp=0.0, gnnlr=0.0013, prelr=0.0013,
                     batch_size=16384, ln=True, lnnn=True, conv="gcn", hidden=64, layers=3, use_xlin=False,
                     twolayerlin=False, res=True, tailact=True, maskinput=True, use_valedges_as_input=False,
                     probscale=4.0, proboffset=8.5, pt=0.1, alpha=0.9, splitsize=131072, trndeg=None,
                     tstdeg=None, epochs=25),
    "ogbl-citation2": dict(xdp=0.0, tdp=0.3, gnnedp=0.0, preedp=0.0, predp=0.2, gnndp=0.2, gnnlr=0.0088,
                           prelr=0.0058, batch_size=32768, ln=True, lnnn=True, conv="puregcn", hidden=64, layers=3,
                           use_xlin=True, twolayerlin=False, res=True, tailact=True, maskinput=False,
                           use_valedges_as_input=False, probscale=7.0, proboffset=4.7, pt=0.3, alpha=1.0,
                           splitsize=None, trndeg=128, tstdeg=128, epochs=20),
}
# the paper's test metric (mean over 10 runs), only where this example's protocol is the paper's
PAPER = {"ogbl-ddi": {"ncn": 0.8232, "ncnc": 0.8411}, "ogbl-ppa": {"ncn": 0.6119}}
MODELS = ("ncn", "ncnc")
_BOOLEANS = ("ln", "lnnn", "res", "use_xlin", "tailact", "twolayerlin", "maskinput", "use_valedges_as_input")


def predictor_options(kind: str, hp: dict) -> dict:
    opts = dict(dropout=hp["predp"], edge_dropout=hp["preedp"], layer_norm=hp["lnnn"], feature_mlp=hp["use_xlin"],
                tail_activation=hp["tailact"], two_layer_head=hp["twolayerlin"], cn_max_degree=hp["cndeg"])
    if kind == "ncnc":
        opts.update(prob_scale=hp["probscale"], prob_offset=hp["proboffset"], pt=hp["pt"], alpha=hp["alpha"],
                    train_max_degree=hp["trndeg"], test_max_degree=hp["tstdeg"], completion_batch=hp["splitsize"])
    return opts


def build_model(kind: str, in_channels, num_nodes: int, hp: dict) -> NCN:
    encoder = dict(num_layers=hp["layers"], conv=hp["conv"], dropout=hp["gnndp"], input_dropout=hp["xdp"],
                   tail_dropout=hp["tdp"], edge_dropout=hp["gnnedp"], layer_norm=hp["ln"], residual=hp["res"],
                   num_embeddings=None if in_channels is not None else num_nodes)
    return NCN(in_channels, hp["hidden"], predictor=kind, encoder_options=encoder,
               predictor_options=predictor_options(kind, hp))


def ncnc_from(ncn: NCN, hp: dict) -> NCN:
    """The second stage on ddi: an NCNC predictor initialised from NCN's trained predictor
    (NCNCPredictor extends NCNPredictor: the same parameters, plus none unless learnable
    pt), on NCN's encoder, which stays frozen."""
    predictor = NCNCPredictor(hp["hidden"], **predictor_options("ncnc", hp))
    missing, unexpected = predictor.load_state_dict(ncn.predictor.state_dict(), strict=False)
    if missing or unexpected:
        raise RuntimeError(f"NCN -> NCNC: parameters missing {missing}, unexpected {unexpected}")
    ncn.encoder.requires_grad_(False)
    return NCN.from_modules(ncn.encoder, predictor)


def fit(model: NCN, split, x, groups, epochs: int, hp: dict, args, seed: int):
    return train_link_predictor(model, split, x=x, protocol="ogb", epochs=epochs, batch_size=hp["batch_size"],
                                lr=groups[0]["lr"], params=groups, patience=args.patience, seed=seed,
                                target_link_removal=hp["maskinput"], valid_as_input=hp["use_valedges_as_input"],
                                eval_batch_size=args.eval_batch_size, progress=not args.quiet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ogbl-ddi", choices=sorted(SETTINGS))
    parser.add_argument("--model", default="ncn", choices=MODELS, help="ncn or ncnc (default ncn)")
    add_common_args(parser)
    parser.add_argument("--epochs", type=integer_type(1), default=None,
                        help="training epochs (default 1, a short run; with --paper the authors' for the data "
                             "set: ddi 100, collab 100, ppa 25, citation2 20)")
    parser.add_argument("--paper", action="store_true",
                        help="the paper's setting: the authors' epochs and 10 runs (unless --epochs / --runs say "
                             "otherwise); about 12 hours per ddi run on 2 CPU cores")
    parser.add_argument("--ncnc-epochs", type=integer_type(1), default=None,
                        help="ddi, --model ncnc: epochs of the NCNC stage after NCN (default 2, the authors')")
    parser.add_argument("--ncnc-prelr", type=real_type(0, min_open=True), default=None,
                        help="ddi, --model ncnc: learning rate of the NCNC stage (default 0.0025, the authors')")
    parser.add_argument("--ncnc-from-scratch", action="store_true",
                        help="ddi, --model ncnc: train NCNC directly instead of after NCN")
    parser.add_argument("--hidden", "--hiddim", type=integer_type(1), default=None)
    parser.add_argument("--layers", "--mplayers", type=integer_type(0), default=None, help="propagations")
    parser.add_argument("--conv", choices=CONVS, default=None, help="the encoder's propagation (the authors' --model)")
    add_ncn_args(parser)
    parser.add_argument("--eval-batch-size", type=integer_type(1), default=65536)
    for name in _BOOLEANS:
        parser.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=None,
                            help="(default: the authors' for the data set)")
    for name, what in (("trndeg", "NCNC: degree cap of the completion sets in training"),
                       ("tstdeg", "NCNC: degree cap of the completion sets in evaluation"),
                       ("cndeg", "degree cap of the common-neighbour sets"),
                       ("splitsize", "NCNC: completion pairs scored per chunk")):
        parser.add_argument(f"--{name}", type=integer_type(1), default=None, help=f"{what} (default: the authors')")
    args = parser.parse_args()
    if args.paper and "--runs" not in sys.argv[1:] and not any(a.startswith("--runs=") for a in sys.argv[1:]):
        args.runs = 10
    seeds = run_seeds(args, parser)

    hp = {"cndeg": None, "ncnc_prelr": None, "ncnc_epochs": 2, **SETTINGS[args.dataset]}
    if not args.paper:
        hp["epochs"] = 1
    hp = override(hp, args)
    two_stage = args.model == "ncnc" and args.dataset == "ogbl-ddi" and not args.ncnc_from_scratch
    kinds = ("ncn", "ncnc") if two_stage else (args.model,)
    if not two_stage and (args.ncnc_epochs is not None or args.ncnc_prelr is not None):
        parser.error("argument --ncnc-epochs/--ncnc-prelr: only for the two-stage recipe, --dataset ogbl-ddi "
                     "--model ncnc without --ncnc-from-scratch")

    split = ogb_split(args.dataset, root=args.root)
    n = split.num_nodes
    featureless = split.x is None
    x = None if featureless else split.x
    if x is not None and not x.is_floating_point():  # ppa's one-hot species may parse as integers
        x = x.float()
    in_channels = None if featureless else x.size(1)

    runs = {k: [] for k in kinds}
    curves = {k: [] for k in kinds}
    best_epochs = {k: [] for k in kinds}
    seconds = {k: 0.0 for k in kinds}
    epochs_run = {k: 0 for k in kinds}
    metric = None

    def stage(kind: str, model: NCN, groups, epochs: int, run: int, seed: int) -> None:
        nonlocal metric
        t0 = time.perf_counter()
        result = fit(model, split, x, groups, epochs, hp, args, seed)
        seconds[kind] += time.perf_counter() - t0
        metric = result.monitor[len("val_"):]
        epochs_run[kind] += result.epochs
        runs[kind].append({f"test_{metric}": result[f"test_{metric}"], f"val_{metric}": result[f"val_{metric}"]})
        curves[kind].append([round(r[f"val_{metric}"], 4) for r in result.history])
        best_epochs[kind].append(result.best_epoch)
        if not args.quiet:
            print(f"run {run} {kind}: test {metric} {result[f'test_{metric}']:.4f} (validation "
                  f"{result[f'val_{metric}']:.4f}, best epoch {result.best_epoch} of {result.epochs})", flush=True)

    for run, seed in enumerate(seeds):
        seed_everything(seed)
        model = build_model(kinds[0], in_channels, n, hp)
        stage(kinds[0], model, [{"params": model.encoder.parameters(), "lr": hp["gnnlr"]},
                                {"params": model.predictor.parameters(), "lr": hp["prelr"]}], hp["epochs"], run, seed)
        if two_stage:  # NCNC from the trained (best-epoch) NCN, encoder frozen
            ncnc = ncnc_from(model, hp)
            stage("ncnc", ncnc, [{"params": ncnc.predictor.parameters(), "lr": hp["ncnc_prelr"]}],
                  hp["ncnc_epochs"], run, seed)

    out = {"dataset": args.dataset, "protocol": "ogb", "metric": metric, "model": args.model, "runs": args.runs,
           "epochs": hp["epochs"]}
    if two_stage:
        out["ncnc_epochs"] = hp["ncnc_epochs"]
    for kind in kinds:
        out[kind] = {**summarize(runs[kind]), "s_per_epoch": round(seconds[kind] / max(epochs_run[kind], 1), 3),
                     "best_epoch": best_epochs[kind], "val_curve": curves[kind]}
        if kind in PAPER.get(args.dataset, {}) and (kind == "ncn" or two_stage):
            out[kind][f"paper_test_{metric}"] = PAPER[args.dataset][kind]
    out["threads"] = torch.get_num_threads()
    print_json_line(out)


if __name__ == "__main__":
    main()
