"""Statistical tests of association between defection reporting and indicators.

Every function returns a tidy :class:`pandas.DataFrame` (or a small result
object with a ``tidy()`` method) with a fixed set of columns; nothing prints.
"""
