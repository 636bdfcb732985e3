"""Engine parts registered by mmhkd (hooks, model wrappers)."""
