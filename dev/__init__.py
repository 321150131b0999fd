"""The local stack: a serialized moto server, the table, a Cognito pool, chalice local."""
