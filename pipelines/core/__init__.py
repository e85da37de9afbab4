"""What every stage shares and nothing else: settings read from the environment when a command
or run starts, the exceptions Strata reports (terminal or transient, so retries know which is
which), the advisory-lock keys that serialize writers, and small metadata renderers. It imports no
other stage.
"""
