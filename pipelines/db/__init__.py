"""Reaching PostgreSQL: the embedded server or ``DATABASE_URL``, connections whose driver errors
are sorted into terminal and transient, versioned SQL migrations, the static SQL text kept in
``sql/`` and read by name, and making a database ready for a command (server up, databases
present, schema current).
"""
