"""mmhkd backbones."""
