"""The Lambda entry points of the jobs and consumers, one module each (Chalice blueprints): the stream's
publisher, the bus's consumers and the scheduled jobs. Each takes its dependencies from
``chalicelib.bootstrap`` and runs one use case; the events they read and publish are described in
``chalicelib.events``."""
