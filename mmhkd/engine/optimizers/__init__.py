"""Optimizer wrapper constructors."""
from .hksanc_optim_wrapper_constructor import HKSANCOptimWrapperConstructor

__all__ = ['HKSANCOptimWrapperConstructor']
