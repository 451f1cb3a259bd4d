"""`python -m mpr` runs the command line."""

from mpr.cli import main

main()
