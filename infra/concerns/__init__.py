"""The service stack's concerns, one construct each (infra/stacks.py composes them).

Not named ``constructs``: the CDK CLI runs ``python app.py`` in infra/, where a package of that name would be
imported instead of the ``constructs`` library.
"""
