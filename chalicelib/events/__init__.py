"""The domain events: what the service publishes on its bus (the catalogue and its JSON Schemas) and how a
committed change of the table becomes events (mapping). The functions that publish and consume them are in
``chalicelib.handlers``."""
