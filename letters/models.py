"""Models arrive with their issue (money flow / the collection engine)."""
