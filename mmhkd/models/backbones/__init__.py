"""CIFAR-style ResNet backbones (registered in mmpretrain's MODELS)."""
from .cifar_resnet import CifarResNet
from .preact_bottleneck_resnet import PreActBottleneckResNet

__all__ = ['CifarResNet', 'PreActBottleneckResNet']
