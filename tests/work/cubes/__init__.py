"""A kind of work that is only its declaration: its package (this one: ``kind`` with its
``WorkKind`` and page, ``request`` with its request model), its registry line
(``kinds.registry.register(CUBE)``, the run-time twin of a line in ``KINDS``) and its migration
(``migration``). Nothing else in the platform names it; ``tests/work/test_kind_contract.py``
gets its submission, status, sharing, list, checks, tenancy, page, bulk command and client
from that alone (docs/work-kinds.md "Adding a kind")."""
