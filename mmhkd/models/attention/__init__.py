"""mmhkd attention."""
