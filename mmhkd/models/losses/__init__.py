"""mmhkd losses."""
