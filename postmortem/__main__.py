"""`python -m postmortem …`: the same commands as the `postmortem` console script."""

from .console import main

main()
