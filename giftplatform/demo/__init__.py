"""Demo and benchmark data: realistic, valid, and the same for the same seed."""
