"""mmhkd heads."""
