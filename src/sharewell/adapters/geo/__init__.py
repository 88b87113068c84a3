"""Geography: H3 hexagons, Getis-Ord Gi*, maps (numpy, h3, esda, libpysal live only here)."""
