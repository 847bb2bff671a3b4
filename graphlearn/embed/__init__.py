"""Random-projection node embeddings (FastRP).

``FastRP`` is imported on first use, so ``graphlearn.embed.io`` (reading and writing
embedding files) loads without torch."""

__all__ = ["FastRP"]


def __getattr__(name):
    if name == "FastRP":
        from graphlearn.embed.fastrp import FastRP

        return FastRP
    raise AttributeError(f"module 'graphlearn.embed' has no attribute {name!r}")
