"""Engine parts of mmhkd: launch helpers, optimizer constructors, hooks."""
from . import launch, optimizers

__all__ = ['launch', 'optimizers']
