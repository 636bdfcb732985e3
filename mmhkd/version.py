"""Version of the mmhkd package."""

__version__ = '0.1.0'
