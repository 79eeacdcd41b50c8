"""The embedded local cloud: moto plus our fidelity plug-ins.

moto alone cannot run this system (see each plug-in's docstring for the gap it closes).
Only `cli` and `simulate` start it; the application never imports this package.
"""
