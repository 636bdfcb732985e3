"""Engine parts of mmhkd: launch helpers, hooks, model wrappers."""
from . import launch

__all__ = ['launch']
