"""Data: IDX files, the MNIST, Fashion-MNIST and CIFAR-10 datasets, DataLoader and transforms."""
from .idx import read_idx, write_idx
from .dataset import ConcatDataset, Dataset, random_split
from .datasets import MNIST, FashionMNIST, TensorDataset, default_data_dir
from .cifar import CIFAR10
from .subset import Subset
from .collate import default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from .loader import DataLoader
from . import transforms
from .transforms import (Normalize, Compose, Lambda, ToTensor, RandomShift, RandomCrop, RandomHorizontalFlip,
                         RandomRotation, ElasticDistortion, RandomApply, MNIST_MEAN, MNIST_STD)

__all__ = ["read_idx", "write_idx", "MNIST", "FashionMNIST", "CIFAR10", "TensorDataset", "Subset",
           "DataLoader", "Normalize", "Compose", "RandomShift", "RandomCrop", "RandomHorizontalFlip",
           "RandomRotation", "ElasticDistortion", "RandomApply", "default_data_dir", "MNIST_MEAN", "MNIST_STD",
           "BatchSampler", "ConcatDataset", "Dataset", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "default_collate", "default_convert", "random_split", "transforms", "Lambda", "ToTensor"]
