"""Random-projection node embeddings (FastRP)."""
from graphlearn.embed.fastrp import FastRP

__all__ = ["FastRP"]
