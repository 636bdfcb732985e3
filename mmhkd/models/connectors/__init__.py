"""mmhkd connectors."""
from .hierarchical_attention_connector import (HierarchicalAttentionConnector,
                                               build_channel_transform)

__all__ = ['HierarchicalAttentionConnector', 'build_channel_transform']
