"""PostgreSQL read models: schema, migrations, event application and the queries the API reads."""
