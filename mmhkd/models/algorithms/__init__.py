"""mmhkd algorithms."""
