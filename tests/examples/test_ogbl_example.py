"""examples/ogbl.py: NCN / NCNC on OGB's link datasets, run on tiny folders in OGB's layout."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.datasets.ogb_folders import write_graph_raw

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "ogbl.py")
TINY = ["--epochs", "1", "--batch-size", "64", "--hidden", "8", "--quiet"]
METRIC = {"ogbl-ddi": "hits@20", "ogbl-collab": "hits@50", "ogbl-ppa": "hits@100", "ogbl-citation2": "mrr"}


def _pairs(rng, n, count, taken):
    """`count` distinct node pairs (u != v) whose undirected key is not in `taken` (updated)."""
    out = []
    while len(out) < count:
        u, v = (int(a) for a in rng.integers(0, n, 2))
        key = (min(u, v), max(u, v))
        if u != v and key not in taken:
            taken.add(key)
            out.append((u, v))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def write_link_folder(root, name, n=60, e=300, p=25, m=60, seed=0):
    """A tiny, valid OGB link folder (``root/ogbl_<name>``): raw/ with the training edges
    (and the dataset's node features / extra files), split/<type>/{train,valid,test}.pt
    as OGB ships them (dicts of numpy arrays). Two communities, so the edges have
    structure; no negative is a positive, as the split's validation requires."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(str(root), name.replace("-", "_"))
    half = n // 2
    taken, edges = set(), []
    while len(edges) < 2 * p + e:  # edges mostly inside the two halves
        u = int(rng.integers(0, n))
        v = int(rng.integers(0, half)) + (half if (u >= half) == (rng.random() < 0.9) else 0)
        key = (min(u, v), max(u, v))
        if u != v and key not in taken:
            taken.add(key)
            edges.append((u, v))
    edges = np.array(edges, dtype=np.int64)
    train, valid, test = edges[:e], edges[e:e + p], edges[e + p:]
    node_feat, extra, kind = None, {}, {"ogbl-ddi": "target", "ogbl-ppa": "throughput"}.get(name, "time")
    if name == "ogbl-collab":
        node_feat = rng.standard_normal((n, 5)).astype(np.float32).round(4)
        extra = {"edge_weight": rng.integers(1, 3, e), "edge_year": rng.integers(2000, 2018, e)}
    elif name == "ogbl-ppa":
        node_feat = np.eye(7, dtype=np.int64)[rng.integers(0, 7, n)]  # one-hot species, integers in the csv
    elif name == "ogbl-citation2":
        node_feat = rng.standard_normal((n, 6)).astype(np.float32).round(4)
        extra = {"node_year": rng.integers(1990, 2020, n)}
    write_graph_raw(folder, train, [n], [e], node_feat=node_feat, extra=extra)
    if name == "ogbl-citation2":  # directed; 20 target negatives per positive (OGB: 1000)
        split = {"train": {"source_node": train[:, 0], "target_node": train[:, 1]}}
        for part, pos in (("valid", valid), ("test", test)):
            neg = rng.integers(0, n, (p, 20))
            for i, s in enumerate(pos[:, 0].tolist()):  # (s, t) is no positive, in either direction
                for j in range(neg.shape[1]):
                    while int(neg[i, j]) == s or (min(s, int(neg[i, j])), max(s, int(neg[i, j]))) in taken:
                        neg[i, j] = rng.integers(0, n)
            split[part] = {"source_node": pos[:, 0], "target_node": pos[:, 1], "target_node_neg": neg}
    else:
        split = {"train": {"edge": train}, "valid": {"edge": valid, "edge_neg": _pairs(rng, n, m, taken)},
                 "test": {"edge": test, "edge_neg": _pairs(rng, n, m, taken)}}
        if name == "ogbl-collab":
            split["train"].update(weight=extra["edge_weight"], year=extra["edge_year"])
    sdir = os.path.join(folder, "split", kind)
    os.makedirs(sdir, exist_ok=True)
    for part, d in split.items():
        torch.save(d, os.path.join(sdir, f"{part}.pt"))
    return folder


def run_example(*args, timeout=240):
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout[-3000:]  # --quiet: the JSON line only
    return json.loads(lines[0])


def check_block(block, metric, epochs):
    for key in (f"test_{metric}", f"val_{metric}"):
        assert set(block[key]) == {"mean", "std"} and 0.0 <= block[key]["mean"] <= 1.0, (key, block)
    assert len(block["val_curve"]) == 1 and len(block["val_curve"][0]) == epochs
    assert all(0.0 <= v <= 1.0 for v in block["val_curve"][0])
    assert block["best_epoch"][0] in range(1, epochs + 1) and block["s_per_epoch"] > 0


@pytest.mark.parametrize("name,model", [("ogbl-collab", "ncnc"), ("ogbl-ppa", "ncn"), ("ogbl-citation2", "ncnc"),
                                        ("ogbl-ddi", "ncn")])
def test_each_dataset_runs_with_ogb_metric(tmp_path, name, model):
    write_link_folder(tmp_path, name)
    result = run_example("--dataset", name, "--model", model, "--root", str(tmp_path), *TINY)
    assert result["dataset"] == name and result["protocol"] == "ogb" and result["metric"] == METRIC[name]
    assert result["runs"] == 1 and result["epochs"] == 1 and result["model"] == model
    check_block(result[model], METRIC[name], 1)
    if name == "ogbl-ppa":
        assert result["ncn"]["paper_test_hits@100"] == 0.6119


def test_ddi_two_stage_ncnc_starts_from_ncn(tmp_path):
    """--model ncnc on ddi: NCN for --epochs, then NCNC from NCN's weights for
    --ncnc-epochs; both stages reported. Two runs: mean/std over both."""
    write_link_folder(tmp_path, "ogbl-ddi")
    result = run_example("--dataset", "ogbl-ddi", "--model", "ncnc", "--root", str(tmp_path), "--ncnc-epochs", "2",
                         "--runs", "2", *TINY)
    assert result["ncnc_epochs"] == 2 and result["runs"] == 2
    for kind, epochs in (("ncn", 1), ("ncnc", 2)):
        block = result[kind]
        assert len(block["val_curve"]) == 2 and all(len(c) == epochs for c in block["val_curve"]), block
        assert 0.0 <= block["test_hits@20"]["mean"] <= 1.0 and block["test_hits@20"]["std"] >= 0.0
    assert result["ncn"]["paper_test_hits@20"] == 0.8232 and result["ncnc"]["paper_test_hits@20"] == 0.8411
    scratch = run_example("--dataset", "ogbl-ddi", "--model", "ncnc", "--ncnc-from-scratch", "--root",
                          str(tmp_path), *TINY)
    assert "ncn" not in scratch and "ncnc_epochs" not in scratch
    check_block(scratch["ncnc"], "hits@20", 1)


def test_ncnc_stage_initialised_from_ncn_and_encoder_frozen():
    """The second stage's predictor equals the trained NCN predictor at the start; the
    encoder takes no gradient."""
    spec = importlib.util.spec_from_file_location("ogbl_example", SCRIPT)
    ogbl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ogbl)
    hp = {**ogbl.SETTINGS["ogbl-ddi"], "cndeg": None, "hidden": 8}
    ncn = ogbl.build_model("ncn", None, 30, hp)
    with torch.no_grad():
        for prm in ncn.predictor.parameters():
            prm.add_(torch.randn_like(prm))
    ncnc = ogbl.ncnc_from(ncn, hp)
    assert ncnc.kind == "ncnc" and ncnc.encoder is ncn.encoder
    assert all(not prm.requires_grad for prm in ncnc.encoder.parameters())
    want = ncn.predictor.state_dict()
    assert all(torch.equal(v, want[k]) for k, v in ncnc.predictor.state_dict().items())
    assert ncnc.predictor.prob_scale == 10.0 and ncnc.predictor.completion_batch == 262144


@pytest.mark.parametrize("argv,message", [
    (["--xdp", "1"], "argument --xdp: must be a number in [0, 1), got 1.0"),
    (["--dataset", "ogbl-wikikg2"], "argument --dataset: invalid choice"),
    (["--ncnc-epochs", "0"], "argument --ncnc-epochs: must be an integer >= 1, got 0"),
    (["--dataset", "ogbl-collab", "--ncnc-epochs", "3"], "only for the two-stage recipe"),
    (["--hidden", "x"], "argument --hidden/--hiddim: expected an integer >= 1, got 'x'"),
])
def test_bad_flags_fail_at_parse_time(tmp_path, argv, message):
    """Refused by argparse before any data is read (the root is empty): exit 2, one line."""
    proc = subprocess.run([sys.executable, SCRIPT, "--root", str(tmp_path), *argv], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert message in proc.stderr.strip().splitlines()[-1], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
