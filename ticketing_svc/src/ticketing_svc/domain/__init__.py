"""The ticketing domain: plain Python, standard library only."""
