"""Engine parts of mmhkd: launch helpers, optimizer constructors, hooks,
model wrappers."""
from . import hooks, launch, model_wrappers, optimizers

__all__ = ['hooks', 'launch', 'model_wrappers', 'optimizers']
