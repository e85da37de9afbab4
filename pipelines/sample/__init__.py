"""A small export in the portal's own format, with the answer a correct import must give: canonical
records revised layer by layer, rendered the many ways the portal spells names, values and
numbers, and (for dirty samples) spoiled with exactly one known analyst error each. Used by
``make run`` and by the tests on machines without the reference generator.
"""
