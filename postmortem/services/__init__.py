"""The use cases, one package per feature; each package's __init__ names its public verbs.

Layers, lowest first (a package imports only those below it): accounts, setup, deployments,
incidents, action_items, insights, exchange, demo.
"""
