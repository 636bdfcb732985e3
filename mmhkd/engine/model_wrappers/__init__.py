"""Model wrappers for distributed training."""
from .hksanc_ddp import DiscriminatorLoss, HKSANCDistributedDataParallel

__all__ = ['DiscriminatorLoss', 'HKSANCDistributedDataParallel']
