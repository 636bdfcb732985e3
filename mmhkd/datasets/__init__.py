"""Datasets registered by mmhkd (in mmpretrain's DATASETS)."""
