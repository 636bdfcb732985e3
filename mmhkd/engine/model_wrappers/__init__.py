"""Model wrappers for distributed training."""
from .hksanc_ddp import DiscriminatorStep, HKSANCDistributedDataParallel

__all__ = ['DiscriminatorStep', 'HKSANCDistributedDataParallel']
