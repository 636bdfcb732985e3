"""mmhkd attention."""
from .task_driven_attention import TaskDrivenAttention
from .transformed_attention import (is_fusable, transform_affine,
                                    transformed_attention)

__all__ = [
    'TaskDrivenAttention', 'is_fusable', 'transform_affine',
    'transformed_attention'
]
