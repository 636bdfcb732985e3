"""mmhkd heads."""
from .logit_discriminator import LogitDiscriminator

__all__ = ['LogitDiscriminator']
