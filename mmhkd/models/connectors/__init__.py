"""mmhkd connectors."""
