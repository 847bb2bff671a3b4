"""Link prediction: splits, negatives, metrics, heuristics, per-node analysis and evaluation.

    from graphlearn.linkpred import evaluate
    result = evaluate("adamic_adar", "ogbl-ddi", protocol="ogb")
    print(result)                    # table
    result.to_json("ddi_aa.json")    # written atomically

See :func:`evaluate` for the protocols (``"ogb"``, ``"heart"``, ``"random"``).
"""
from graphlearn.linkpred.analysis import (approx_topological_concentration, bucket_report, bucketize, node_average,
                                          topological_concentration)
from graphlearn.linkpred.evaluate import PROTOCOLS, LinkPredResult, evaluate, score_pairs
from graphlearn.linkpred.heuristics import (HEURISTICS, AdamicAdar, CommonNeighbors, Heuristic, Jaccard, Katz,
                                            PersonalizedPageRank, PreferentialAttachment, ResourceAllocation,
                                            get_heuristic)
from graphlearn.linkpred.metrics import (auc, average_precision, compute_metrics, hits_at_k, hits_per_positive, mrr,
                                         ranks, reciprocal_ranks)
from graphlearn.linkpred.negatives import heart_negatives, heart_pairs, random_negatives
from graphlearn.linkpred.splits import (LinkSplit, as_link_split, from_edge_split, ogb_split, random_edge_split,
                                        temporal_edge_split)
from graphlearn.linkpred.topk import predict_topk

__all__ = [
    "evaluate", "LinkPredResult", "PROTOCOLS", "score_pairs", "predict_topk",
    "hits_at_k", "hits_per_positive", "mrr", "ranks", "reciprocal_ranks", "auc", "average_precision",
    "compute_metrics",
    "Heuristic", "CommonNeighbors", "AdamicAdar", "ResourceAllocation", "Jaccard", "PreferentialAttachment",
    "PersonalizedPageRank", "Katz", "HEURISTICS", "get_heuristic",
    "random_negatives", "heart_negatives", "heart_pairs",
    "LinkSplit", "random_edge_split", "temporal_edge_split", "ogb_split", "from_edge_split", "as_link_split",
    "node_average", "bucketize", "bucket_report", "topological_concentration", "approx_topological_concentration",
]
