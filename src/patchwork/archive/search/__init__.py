"""Search: one interface (``service``) over an index kept in step with every write.

``terms`` is the one text normalisation, ``indexing`` keeps the postings (it hooks every ORM
flush when ``patchwork.archive`` is imported) and rebuilds them, ``query_plan`` reads them
(``postings`` counts and lists what they hold, ``conditions`` are the SQL tests they share),
``exact_match`` is Patchwork-Radio's lookup, ``romanize`` makes romaji. Decisions: 0300-0305.
"""
