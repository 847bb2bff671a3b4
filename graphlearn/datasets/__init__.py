"""Offline dataset loaders (no downloads) and synthetic graph generators."""
from graphlearn.datasets._paths import default_root
from graphlearn.datasets.blogcatalog import load_blogcatalog
from graphlearn.datasets.hetero import load_hetero, load_imdb
from graphlearn.datasets.ogb import OGBDataset, OGBGraphDataset, OGBLinkDataset, OGBNodeDataset, load_ogb
from graphlearn.datasets.planetoid import load_planetoid
from graphlearn.datasets.synthetic import power_law_graph, random_graph
from graphlearn.datasets.tu import TUGraphDataset, load_tu

__all__ = ["default_root", "load_planetoid", "load_blogcatalog", "load_ogb", "OGBDataset", "OGBLinkDataset",
           "OGBNodeDataset", "OGBGraphDataset", "load_tu", "TUGraphDataset",
           "load_imdb", "load_hetero", "power_law_graph", "random_graph"]
