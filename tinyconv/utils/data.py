"""``torch.utils.data``'s import path: the datasets, samplers and DataLoader of :mod:`tinyconv.data`."""
from ..data.collate import default_collate, default_convert
from ..data.dataset import ConcatDataset, Dataset, random_split
from ..data.datasets import TensorDataset
from ..data.loader import DataLoader
from ..data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from ..data.subset import Subset

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler", "SequentialSampler",
           "Subset", "SubsetRandomSampler", "TensorDataset", "default_collate", "default_convert", "random_split"]
