"""The archive queue: jobs from enqueue to completion, and the workers that run them.

``states`` names a job's states, modes and events; ``transitions`` is the one table of the
moves between states and the only writer of a job's state (decision 0114).
``lifecycle`` enqueues, claims (a lease), reports progress and cancels; ``completion``
turns staged uploads into archive state through the job kinds in ``kinds/``; ``staging`` and
``uploads`` receive a worker's files; ``heartbeats``, ``workers`` and ``worker_clients`` know
the machines. Decisions: 0100-0105 (leases, claim locking, staging, deduplication, admin
tokens, read committed), 0107 (uploads complete or nothing), 0111 (the original worker).
"""
