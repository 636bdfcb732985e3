"""mmhkd necks."""
