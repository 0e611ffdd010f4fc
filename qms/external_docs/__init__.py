"""External documents (laws, decrees, circulars, decisions, standards) and the three-month update rule."""
