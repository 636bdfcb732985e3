"""mmhkd attention."""
from .task_driven_attention import TaskDrivenAttention

__all__ = ['TaskDrivenAttention']
