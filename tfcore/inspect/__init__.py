"""See what a graph-mode model is made of (filled in below)."""
