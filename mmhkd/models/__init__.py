"""Models registered by mmhkd."""
from . import (algorithms, attention, backbones, connectors, heads,  # noqa
               losses, necks, teacher_cache)
