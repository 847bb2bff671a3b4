"""Small synthetic tasks for the training loops (seconds on two cores)."""
import torch
from torch_geometric.data import Data


def planted_partition(num_nodes=120, num_classes=3, p_in=0.15, p_out=0.01, num_features=8, seed=0):
    """A stochastic block model with noisy class-indicative features and masks
    (train 10 per class, val 30, test the rest)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    same = y.view(-1, 1) == y.view(1, -1)
    prob = torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
    upper = torch.triu(torch.rand(num_nodes, num_nodes, generator=g) < prob, diagonal=1)
    src, dst = upper.nonzero().t()
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    x = torch.randn(num_nodes, num_features, generator=g)
    x[:, :num_classes] += 0.8 * torch.nn.functional.one_hot(y, num_classes)
    perm = torch.randperm(num_nodes, generator=g)
    train = torch.cat([perm[y[perm] == c][:10] for c in range(num_classes)])
    rest = perm[~torch.isin(perm, train)]
    masks = {}
    for name, idx in (("train", train), ("val", rest[:30]), ("test", rest[30:])):
        m = torch.zeros(num_nodes, dtype=torch.bool)
        m[idx] = True
        masks[f"{name}_mask"] = m
    return Data(x=x, y=y, edge_index=edge_index, num_nodes=num_nodes, **masks)
